"""The classic GitFleet GitHub API (`GitHubClient`, `TokenManager`) on the engine's GitHub
client: every call is a query of a `gh_*` table, so requests are paginated, rate-limit aware,
ETag-cached and rotate over the tokens exactly as SQL users get them. The models are built from
each item's JSON as GitHub sent it (the tables' `raw` column).
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Type, TypeVar

from pydantic import BaseModel, Field, SecretStr
from pydantic.dataclasses import dataclass

from gitfleet import _gitfleet
from gitfleet._sql import literal
from gitfleet.errors import (
    AuthError,
    GitHubError,
    NotFoundError,
    ProviderError,
    ProviderType,
    RateLimitError,
)
from gitfleet.models import (
    BranchInfo,
    ContributorInfo,
    RateLimitInfo,
    RepoDetails,
    RepoInfo,
    UserInfo,
)

__all__ = [
    "GitProviderClient",
    "GitHubClient",
    "TokenManager",
    "TokenInfo",
    "TokenStatus",
    "ProviderType",
    "ProviderError",
    "AuthError",
    "RateLimitError",
    "NotFoundError",
    "GitHubError",
]

Model = TypeVar("Model", bound=BaseModel)


@dataclass
class TokenStatus:
    """What is known of a token's quota. `remaining_calls` is 5000 until GitHub has said."""

    is_valid: bool
    remaining_calls: int
    reset_time: Optional[int] = None
    last_used: Optional[float] = Field(default_factory=time.time)

    @property
    def is_rate_limited(self) -> bool:
        return self.remaining_calls <= 0 and bool(self.reset_time) and time.time() < (self.reset_time or 0)

    @property
    def is_available(self) -> bool:
        return self.is_valid and not self.is_rate_limited


@dataclass
class TokenInfo:
    token: str
    provider: ProviderType
    username: Optional[str] = None
    status: Optional[TokenStatus] = None

    def __post_init__(self) -> None:
        if self.status is None:
            self.status = TokenStatus(is_valid=True, remaining_calls=5000)

    @property
    def secret_token(self) -> SecretStr:
        return SecretStr(self.token)

    def __repr__(self) -> str:  # the token itself never reaches logs
        return f"TokenInfo(provider={self.provider.value!r}, username={self.username!r}, status={self.status!r})"


class TokenManager:
    """Tokens per provider, on the engine's token pools: a `GitHubClient` (or `Session`) given
    this manager rotates over its tokens, and what GitHub says about a token's quota (or a 401)
    is seen here. The next token is the valid one with the most quota left."""

    def __init__(self) -> None:
        self._pools: Dict[ProviderType, _gitfleet.TokenPool] = {}
        self._usernames: Dict[str, str] = {}

    def _pool(self, provider: ProviderType = ProviderType.GITHUB) -> _gitfleet.TokenPool:
        return self._pools.setdefault(ProviderType(provider), _gitfleet.TokenPool())

    def add_token(self, token: str, provider: ProviderType = ProviderType.GITHUB, username: Optional[str] = None) -> None:
        """Adds a token (one already known is not added twice)."""
        self._pool(provider).add(token)
        if username is not None:
            self._usernames[token] = username

    def _info(self, t: Dict[str, Any], provider: ProviderType) -> TokenInfo:
        remaining = t["remaining"] if t["remaining"] is not None else (t["limit"] or 5000)
        status = TokenStatus(is_valid=not t["invalid"], remaining_calls=remaining, reset_time=t["reset"], last_used=None)
        return TokenInfo(token=t["token"], provider=ProviderType(provider), username=self._usernames.get(t["token"]), status=status)

    def get_all_tokens(self, provider: ProviderType = ProviderType.GITHUB) -> List[TokenInfo]:
        return [self._info(t, provider) for t in self._pool(provider).tokens()]

    def count_available_tokens(self, provider: ProviderType = ProviderType.GITHUB) -> int:
        return self._pool(provider).available(int(time.time()))

    async def get_next_available_token(self, provider: ProviderType = ProviderType.GITHUB) -> Optional[TokenInfo]:
        """The token the next request would use, or None if every token is spent or invalid."""
        secret = self._pool(provider).pick(int(time.time()))
        if secret is None:
            return None
        info = next(self._info(t, provider) for t in self._pool(provider).tokens() if t["token"] == secret)
        assert info.status is not None
        info.status.last_used = time.time()
        return info

    async def update_rate_limit(self, token: str, provider: ProviderType, remaining: int, reset_time: int) -> None:
        self._pool(provider).update(token, remaining, reset_time)

    async def mark_token_invalid(self, token: str, provider: ProviderType) -> None:
        self._pool(provider).invalidate(token)


class GitProviderClient(ABC):
    """What a git hosting provider's client offers (classic GitFleet's base class)."""

    def __init__(self, provider_type: ProviderType) -> None:
        self.provider_type = provider_type

    @abstractmethod
    async def fetch_repositories(self, owner: str) -> List[RepoInfo]: ...

    @abstractmethod
    async def fetch_user_info(self) -> UserInfo: ...

    @abstractmethod
    async def get_rate_limit(self) -> RateLimitInfo: ...

    @abstractmethod
    async def fetch_repository_details(self, owner: str, repo: str) -> RepoDetails: ...

    @abstractmethod
    async def fetch_contributors(self, owner: str, repo: str) -> List[ContributorInfo]: ...

    @abstractmethod
    async def fetch_branches(self, owner: str, repo: str) -> List[BranchInfo]: ...

    @abstractmethod
    async def validate_credentials(self) -> bool: ...

    async def to_pandas(self, data: Any) -> Any:
        from gitfleet.converters import to_dataframe

        return to_dataframe(data)


class GitHubClient(GitProviderClient):
    """GitHub's REST API through the engine.

    Unlike GitFleet 0.2, listings are paginated to the end, `fetch_repositories` lists an
    organisation's repositories too, and responses are ETag-cached in `cache_dir`. When every
    token is out of quota a `RateLimitError` is raised at once (`wait_on_rate_limit=True` waits
    for the reset instead)."""

    def __init__(
        self,
        token: str,
        base_url: Optional[str] = None,
        token_manager: Optional[TokenManager] = None,
        *,
        cache_dir: Optional[str] = None,
        wait_on_rate_limit: bool = False,
    ) -> None:
        super().__init__(ProviderType.GITHUB)
        from gitfleet import Session

        self.token = token
        self.base_url = (base_url or "https://api.github.com").rstrip("/")
        self.token_manager = token_manager
        # The session's tokens: the manager's (shared, quota included), else a pool of its own.
        tokens = token_manager if token_manager is not None else TokenManager()
        if token:
            tokens.add_token(token)
        self._session = Session(
            repos=[],
            cache_dir=cache_dir,
            github_api_url=self.base_url,
            token_manager=tokens,
            wait_on_rate_limit=wait_on_rate_limit,
        )

    async def _items(self, sql: str) -> List[Dict[str, Any]]:
        result = await self._session.sql_async(sql)
        return [json.loads(raw) for raw in result.to_arrow().column("raw").to_pylist()]

    @staticmethod
    def _model(model: Type[Model], item: Dict[str, Any]) -> Model:
        try:
            return model.model_validate({**item, "provider_type": ProviderType.GITHUB, "raw_data": item})
        except Exception as e:  # pydantic's ValidationError, kept as classic GitFleet reported it
            raise ValueError(f"Error validating {model.__name__}: {e}") from e

    async def fetch_repositories(self, owner: str) -> List[RepoInfo]:
        """Every repository of a user or organisation."""
        items = await self._items(f"SELECT raw FROM gh_repos WHERE owner = {literal(owner)}")
        return [self._model(RepoInfo, i) for i in items]

    async def fetch_user_info(self) -> UserInfo:
        """The authenticated user."""
        items = await self._items("SELECT raw FROM gh_user")
        return self._model(UserInfo, items[0])

    async def get_rate_limit(self) -> RateLimitInfo:
        """The core quota of the token the next request would use (the one with most left)."""
        result = await self._session.sql_async(
            'SELECT "limit", remaining, used, reset_at FROM gh_rate_limit '
            "WHERE resource = 'core' ORDER BY remaining DESC LIMIT 1"
        )
        rows = result.to_arrow().to_pylist()
        if not rows:
            raise GitHubError("GitHub GET /rate_limit: no core quota in the answer")
        row = rows[0]
        return RateLimitInfo(
            limit=row["limit"],
            remaining=row["remaining"],
            used=row["used"] if row["used"] is not None else row["limit"] - row["remaining"],
            reset_time=int(row["reset_at"].timestamp()),
        )

    async def fetch_repository_details(self, owner: str, repo: str) -> RepoDetails:
        items = await self._items(f"SELECT raw FROM gh_repos WHERE owner = {literal(owner)} AND name = {literal(repo)}")
        if not items:
            raise NotFoundError(f"GitHub GET /repos/{owner}/{repo}: not found")
        return self._model(RepoDetails, items[0])

    async def fetch_contributors(self, owner: str, repo: str) -> List[ContributorInfo]:
        items = await self._items(
            f"SELECT raw FROM gh_contributors WHERE owner = {literal(owner)} AND repo = {literal(repo)}"
        )
        return [self._model(ContributorInfo, i) for i in items]

    async def fetch_branches(self, owner: str, repo: str) -> List[BranchInfo]:
        items = await self._items(f"SELECT raw FROM gh_branches WHERE owner = {literal(owner)} AND repo = {literal(repo)}")
        return [self._model(BranchInfo, {**i, "commit_sha": (i.get("commit") or {}).get("sha", "")}) for i in items]

    async def validate_credentials(self) -> bool:
        """True if GitHub accepts the credentials; False if it rejects them (other errors raise)."""
        try:
            await self.fetch_user_info()
            return True
        except AuthError:
            return False

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r})"

