"""Pydantic models of the classic GitFleet API: GitHub metadata and clone tasks. Field names and
types are GitFleet 0.2's, so code written against it keeps working; GitHub's JSON maps onto them
by name (`raw_data` keeps the whole object).
"""

from __future__ import annotations

import time
from datetime import datetime
from enum import Enum
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, ConfigDict, Field

from gitfleet.errors import ProviderType

__all__ = [
    "ProviderType",
    "UserInfo",
    "RepoInfo",
    "RepoDetails",
    "RateLimitInfo",
    "CommitRef",
    "BranchInfo",
    "ContributorInfo",
    "CloneStatusType",
    "CloneStatus",
    "CloneTask",
]

_FROZEN = ConfigDict(frozen=True, extra="ignore")


def _parse_time(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class UserInfo(BaseModel):
    model_config = _FROZEN

    id: int
    login: str
    name: Optional[str] = None
    email: Optional[str] = None
    avatar_url: Optional[str] = None
    provider_type: ProviderType = ProviderType.GITHUB
    raw_data: Optional[Dict[str, Any]] = None


class RepoInfo(BaseModel):
    model_config = _FROZEN

    id: int
    name: str
    full_name: str
    clone_url: str
    description: Optional[str] = None
    default_branch: str = "main"
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    language: Optional[str] = None
    fork: bool = False
    forks_count: int = 0
    stargazers_count: Optional[int] = None
    watchers_count: Optional[int] = None
    html_url: Optional[str] = None
    private: bool = False
    visibility: str = "public"
    owner: Optional[UserInfo] = None
    provider_type: ProviderType = ProviderType.GITHUB
    raw_data: Optional[Dict[str, Any]] = None

    def created_datetime(self) -> Optional[datetime]:
        return _parse_time(self.created_at)

    def updated_datetime(self) -> Optional[datetime]:
        return _parse_time(self.updated_at)


class RepoDetails(RepoInfo):
    topics: List[str] = Field(default_factory=list)
    homepage: Optional[str] = None
    has_wiki: bool = False
    has_issues: bool = False
    has_projects: bool = False
    has_pages: Optional[bool] = None
    has_downloads: Optional[bool] = None
    allow_forking: Optional[bool] = None
    archived: bool = False
    disabled: Optional[bool] = None
    pushed_at: Optional[str] = None
    size: int = 0
    open_issues_count: Optional[int] = None
    network_count: Optional[int] = None
    subscribers_count: Optional[int] = None
    license: Optional[Dict[str, Any]] = None

    def pushed_datetime(self) -> Optional[datetime]:
        return _parse_time(self.pushed_at)


class RateLimitInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: int
    remaining: int
    reset_time: int
    used: int
    provider_type: ProviderType = ProviderType.GITHUB

    def seconds_until_reset(self) -> int:
        return max(0, self.reset_time - int(time.time()))


class CommitRef(BaseModel):
    model_config = _FROZEN

    sha: str
    url: Optional[str] = None


class BranchInfo(BaseModel):
    model_config = _FROZEN

    name: str
    commit: Optional[CommitRef] = None
    commit_sha: str = ""
    protected: bool = False
    provider_type: ProviderType = ProviderType.GITHUB
    raw_data: Optional[Dict[str, Any]] = None

    def model_post_init(self, __context: Any) -> None:
        if not self.commit_sha and self.commit is not None:
            object.__setattr__(self, "commit_sha", self.commit.sha)


class ContributorInfo(BaseModel):
    model_config = _FROZEN

    id: int
    login: str
    contributions: int
    avatar_url: Optional[str] = None
    provider_type: ProviderType = ProviderType.GITHUB
    raw_data: Optional[Dict[str, Any]] = None


class CloneStatusType(str, Enum):
    QUEUED = "queued"
    CLONING = "cloning"
    COMPLETED = "completed"
    FAILED = "failed"


class CloneStatus(BaseModel):
    """`progress` (0-100) is set while cloning, `error` when failed."""

    model_config = _FROZEN

    status_type: CloneStatusType
    progress: Optional[int] = None
    error: Optional[str] = None


class CloneTask(BaseModel):
    """`temp_dir` is the clone's directory once completed (a bare repository: no checkout)."""

    model_config = _FROZEN

    url: str
    status: CloneStatus
    temp_dir: Optional[str] = None
