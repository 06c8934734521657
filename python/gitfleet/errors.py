"""The exceptions GitFleet raises. Every one is a `GitFleetError`; the message is the same one
line the `gitfleet` CLI prints.

    GitFleetError
    ├── QueryError        bad SQL, unknown table or column, a required filter missing
    ├── RepositoryError   unknown repository or revision, not a git repository, missing file
    ├── CloneError        a remote repository could not be cloned or fetched
    └── ProviderError     the GitHub API failed (classic GitFleet name; .message, .provider_type)
        ├── AuthError       GitHub rejected the credentials (401)
        ├── RateLimitError  out of quota and told not to wait (.reset_time, epoch seconds)
        ├── NotFoundError   no such owner or repository, or the token cannot see it (404)
        └── GitHubError     any other GitHub failure
"""

from __future__ import annotations

from enum import Enum


class ProviderType(str, Enum):
    """A git hosting provider (classic GitFleet's enum; GitHub is the one with an API client)."""

    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"


class GitFleetError(Exception):
    """An error from the GitFleet engine."""


class QueryError(GitFleetError):
    """The query is wrong: bad SQL, an unknown table or column, a required filter missing."""


class RepositoryError(GitFleetError):
    """A repository, revision or file that does not exist or cannot be read."""


class CloneError(GitFleetError):
    """A remote repository could not be cloned or fetched."""


class ProviderError(GitFleetError):
    """A git hosting provider's API failed. `str(e)` is `"github: <message>"`, as in GitFleet 0.2."""

    def __init__(self, message: str, provider_type: ProviderType = ProviderType.GITHUB) -> None:
        self.message = message
        self.provider_type = ProviderType(provider_type)
        super().__init__(f"{self.provider_type.value}: {message}")


class AuthError(ProviderError):
    """The provider rejected the credentials."""


class RateLimitError(ProviderError):
    """Out of API quota until `reset_time` (epoch seconds)."""

    def __init__(self, message: str, provider_type: ProviderType = ProviderType.GITHUB, reset_time: int = 0) -> None:
        self.reset_time = int(reset_time)
        super().__init__(f"{message} (resets at {self.reset_time})", provider_type)


class NotFoundError(ProviderError):
    """No such owner or repository, or the token cannot see it."""


class GitHubError(ProviderError):
    """Any other GitHub API failure."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ProviderType.GITHUB)
