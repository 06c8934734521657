"""GitFleet: SQL over fleets of git repositories, with results as Arrow.

    import gitfleet
    s = gitfleet.connect(repos=["/src/a", "https://github.com/org/b"])
    table = s.sql("SELECT author_email, count(*) FROM commits GROUP BY 1").to_arrow()

Results reach pyarrow, pandas and polars through the Arrow C data interface, without copies.

The classic GitFleet 0.2 API (RepoManager, GitHubClient, TokenManager, the pydantic models,
to_dataframe/to_dict/to_json) is here too, on the same engine: `from gitfleet import RepoManager`.
It needs pydantic (`pip install 'gitfleet[classic]'`); the SQL API above does not.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence, Union

from gitfleet._gitfleet import QueryResult, __version__
from gitfleet._gitfleet import Session as _Session
from gitfleet._gitfleet import _running_scans, _watch_scans
from gitfleet.errors import (
    AuthError,
    CloneError,
    GitFleetError,
    GitHubError,
    NotFoundError,
    ProviderError,
    QueryError,
    RateLimitError,
    RepositoryError,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars
    import pyarrow

    from gitfleet.providers import TokenManager

__all__ = [
    "connect",
    "report",
    "Session",
    "Result",
    "__version__",
    # errors
    "GitFleetError",
    "QueryError",
    "RepositoryError",
    "CloneError",
    "ProviderError",
    "AuthError",
    "RateLimitError",
    "NotFoundError",
    "GitHubError",
    # the classic GitFleet 0.2 API (imported on first use: it needs pydantic, the `classic` extra)
    "RepoManager",
    "CloneStatus",
    "CloneTask",
    "CloneStatusType",
    "GitProviderClient",
    "GitHubClient",
    "TokenManager",
    "TokenInfo",
    "TokenStatus",
    "ProviderType",
    "RepoInfo",
    "UserInfo",
    "RateLimitInfo",
    "RepoDetails",
    "ContributorInfo",
    "BranchInfo",
    "to_dataframe",
    "to_json",
    "to_dict",
    "flatten_dataframe",
]

_CLASSIC = {
    "RepoManager": "gitfleet.repo_manager",
    "CloneStatus": "gitfleet.models",
    "CloneTask": "gitfleet.models",
    "CloneStatusType": "gitfleet.models",
    "RepoInfo": "gitfleet.models",
    "UserInfo": "gitfleet.models",
    "RateLimitInfo": "gitfleet.models",
    "RepoDetails": "gitfleet.models",
    "ContributorInfo": "gitfleet.models",
    "BranchInfo": "gitfleet.models",
    "ProviderType": "gitfleet.errors",
    "GitProviderClient": "gitfleet.providers",
    "GitHubClient": "gitfleet.providers",
    "TokenManager": "gitfleet.providers",
    "TokenInfo": "gitfleet.providers",
    "TokenStatus": "gitfleet.providers",
    "to_dataframe": "gitfleet.converters",
    "to_json": "gitfleet.converters",
    "to_dict": "gitfleet.converters",
    "flatten_dataframe": "gitfleet.converters",
}


def __getattr__(name: str) -> Any:
    module = _CLASSIC.get(name)
    if module is None:
        raise AttributeError(f"module 'gitfleet' has no attribute {name!r}")
    import importlib

    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as e:
        if e.name != "pydantic":
            raise
        raise ImportError(
            f"gitfleet.{name} is part of the classic GitFleet API, which needs pydantic: "
            "pip install 'gitfleet[classic]'"
        ) from e
    globals()[name] = value
    return value


PathLike = Union[str, "os.PathLike[str]"]

# The message of a stream read that Ctrl-C interrupted (python/src/lib.rs, INTERRUPTED).
_INTERRUPTED = "gitfleet: interrupted (Ctrl-C)"


class _Batches:
    """The batches of an engine stream, for `Session.stream`: Ctrl-C becomes KeyboardInterrupt,
    and a second thread reading while another waits gets an error instead of a race."""

    def __init__(self, inner: "pyarrow.RecordBatchReader") -> None:
        import threading

        self._inner = inner
        self._lock = threading.Lock()

    def __iter__(self) -> "_Batches":
        return self

    def __next__(self) -> "pyarrow.RecordBatch":
        import pyarrow as pa

        if not self._lock.acquire(blocking=False):
            raise RuntimeError("this stream is being read by another thread: read a stream from one thread at a time")
        try:
            return self._inner.read_next_batch()
        except pa.ArrowException as e:
            if _INTERRUPTED in str(e):
                raise KeyboardInterrupt from None
            raise
        finally:
            self._lock.release()


class Result:
    """A query's result. Consumable many times; every conversion shares the Arrow buffers."""

    def __init__(self, inner: QueryResult) -> None:
        self._inner = inner

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._inner.__arrow_c_stream__(requested_schema)

    def to_arrow(self) -> "pyarrow.Table":
        import pyarrow as pa

        return pa.table(self._inner)

    def to_batches(self) -> "list[pyarrow.RecordBatch]":
        """The record batches (pyarrow), sharing the engine's buffers."""
        return self.to_arrow().to_batches()

    def __iter__(self) -> "Iterator[pyarrow.RecordBatch]":
        return iter(self.to_batches())

    def to_pandas(self, **kwargs: Any) -> "pandas.DataFrame":
        """A pandas DataFrame (pyarrow's conversion; pass types_mapper=pd.ArrowDtype to keep Arrow memory)."""
        return self.to_arrow().to_pandas(**kwargs)

    def to_polars(self) -> "polars.DataFrame":
        import polars as pl

        return pl.DataFrame(self._inner)

    @property
    def columns(self) -> "list[str]":
        return self._inner.columns

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return repr(self._inner)


class Session:
    """An engine session: its repositories, cache directory and GitHub settings.

    `token_manager` shares a classic `TokenManager`'s GitHub tokens (and what is learnt of their
    quota); `wait_on_rate_limit=False` raises `RateLimitError` instead of waiting for the reset
    when every token is spent."""

    def __init__(
        self,
        repos: Union[PathLike, Sequence[PathLike], None] = None,
        cache_dir: Optional[PathLike] = None,
        github_tokens: Optional[Sequence[str]] = None,
        github_api_url: Optional[str] = None,
        *,
        github_username: Optional[str] = None,
        token_manager: Optional["TokenManager"] = None,
        wait_on_rate_limit: bool = True,
        clone_jobs: Optional[int] = None,
        workers: Optional[Sequence[str]] = None,
        workers_share_paths: bool = False,
    ) -> None:
        if isinstance(repos, (str, bytes, os.PathLike)):
            # One repository, not a sequence of one-character names.
            repos = [repos]
        self._inner = _Session(
            [os.fspath(r) for r in repos] if repos is not None else None,
            os.fspath(cache_dir) if cache_dir is not None else None,
            list(github_tokens) if github_tokens is not None else None,
            github_api_url,
            github_username=github_username,
            token_pool=token_manager._pool() if token_manager is not None else None,
            github_no_wait=not wait_on_rate_limit,
            clone_jobs=clone_jobs,
            workers=list(workers) if workers is not None else _env_workers(),
            workers_share_paths=workers_share_paths,
        )

    def sql(
        self,
        query: str,
        *,
        progress: Union[bool, Callable[["list[dict[str, Any]]"], None], None] = None,
    ) -> Result:
        """Runs one SQL statement. The GIL is released while it runs; Ctrl-C cancels it.

        `progress=True` shows the running scans on stderr while the result is awaited (tqdm's
        bars when tqdm is installed, else one status line); `progress=callable` calls it about
        ten times a second with the running scans instead, each a dict: `table`, `repo`,
        `unit` (`commits`, or `files` for blame), `done`, `total` (None while unknown),
        `elapsed` (seconds), `id`."""
        if not progress:
            return Result(self._inner.sql(query))
        return Result(_with_progress(self._inner, query, progress))

    def stream(self, query: str) -> "pyarrow.RecordBatchReader":
        """Runs one SQL statement as a pyarrow RecordBatchReader: batches are produced as they are
        read, so a result larger than memory can be written out or aggregated batch by batch.
        Ctrl-C while a batch is awaited stops the query and raises KeyboardInterrupt; read a
        stream from one thread at a time (a second reader gets an error)."""
        import pyarrow as pa

        inner = pa.RecordBatchReader.from_stream(self._inner.stream(query))
        # pyarrow keeps the Python exception an iterator raises (KeyboardInterrupt stays one).
        return pa.RecordBatchReader.from_batches(inner.schema, _Batches(inner))

    async def sql_async(self, query: str) -> Result:
        """`sql` for asyncio: the event loop keeps going while the query runs, and cancelling the
        awaiting task (`asyncio.wait_for` timing out, `task.cancel()`) stops the query."""
        pending = self._inner.submit(query)
        try:
            return Result(await asyncio.get_running_loop().run_in_executor(None, pending.wait))
        except asyncio.CancelledError:
            pending.cancel()
            raise

    def tables(self) -> "list[str]":
        return self._inner.tables()

    def schema(self, table: str) -> "pyarrow.Schema":
        import pyarrow as pa

        return pa.schema(self._inner.schema(table))


_watchers = 0
_watchers_lock = threading.Lock()


def _watch(delta: int) -> None:
    """Counts the queries that show progress: scans work out their totals only while one does."""
    global _watchers
    with _watchers_lock:
        _watchers += delta
        _watch_scans(_watchers > 0)


def _with_progress(inner: Any, query: str, progress: Any) -> Any:
    """Runs `query` on a worker thread while this one reports the running scans."""
    return _while_watching(lambda: inner.submit(query), progress)


def _while_watching(start: Callable[[], Any], progress: Any) -> Any:
    """Waits for what `start()` submitted (a pending query or report) on a worker thread while
    this one reports the running scans."""
    _watch(1)
    try:
        return _report_progress(start(), progress)
    finally:
        _watch(-1)


def _report_progress(pending: Any, progress: Any) -> Any:
    report = progress if callable(progress) else _ProgressLine()
    outcome: "dict[str, Any]" = {}

    def wait() -> None:
        try:
            outcome["result"] = pending.wait()
        except BaseException as e:  # handed to the caller's thread below
            outcome["error"] = e

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    try:
        while waiter.is_alive():
            scans = _running_scans()
            if scans:
                report(scans)
            waiter.join(0.1)
    except BaseException:
        pending.cancel()
        waiter.join()
        raise
    finally:
        if isinstance(report, _ProgressLine):
            report.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


class _ProgressLine:
    """`progress=True`: a tqdm bar per running scan when tqdm is installed, else one line on
    stderr rewritten in place; cleared when the query ends."""

    def __init__(self) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm
        self._bars: "dict[int, Any]" = {}
        self._wrote = False

    def __call__(self, scans: "list[dict[str, Any]]") -> None:
        running = {s["id"] for s in scans}
        for gone in [i for i in self._bars if i not in running]:
            self._bars.pop(gone).close()
        if self._tqdm is None:
            line = "; ".join(
                f"{s['table']} {s['repo']}: {s['done']}/{s['total'] if s['total'] is not None else '?'} {s['unit']}"
                for s in scans
            )
            sys.stderr.write("\r\x1b[K" + line)
            sys.stderr.flush()
            self._wrote = True
            return
        for s in scans:
            bar = self._bars.get(s["id"])
            if bar is None:
                bar = self._tqdm(desc=f"{s['table']} {s['repo']}", unit=s["unit"], leave=False)
                self._bars[s["id"]] = bar
            bar.total = s["total"]
            bar.n = s["done"]
            bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
        if self._wrote:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def report(
    session: Session,
    path: PathLike,
    *,
    since: Optional[str] = None,
    github: bool = False,
    title: Optional[str] = None,
    progress: Union[bool, Callable[["list[dict[str, Any]]"], None], None] = None,
) -> "dict[str, Any]":
    """Writes `gitfleet report`'s self-contained HTML file for `session`'s repositories to
    `path` (replaced only once the report is whole): commits per week, active authors, when
    people commit, top contributors, code age, ownership and bus factor at HEAD, churn hot
    spots, and with `github=True` pull requests for the repositories on GitHub. Each chart shows
    the SQL it was drawn from. `since` ("YYYY-MM-DD") keeps commits from that day on;
    `progress` is as for `Session.sql`. Returns `repositories`, `failed` ({repository: why},
    also listed in the report's header, and warned about) and `section_errors`."""
    inner = session._inner
    target = os.fspath(path)

    def start() -> Any:
        return inner.submit_report(target, since, github, title)

    if not progress:
        return start().wait()
    return _while_watching(start, progress)


def _env_workers() -> Optional[list]:
    """`GITFLEET_WORKERS`, as the CLI reads it (comma-separated `HOST:PORT`)."""
    listed = os.environ.get("GITFLEET_WORKERS", "").strip()
    return [w for w in listed.split(",") if w.strip()] or None


def connect(
    repos: Union[PathLike, Sequence[PathLike], None] = None,
    cache_dir: Optional[PathLike] = None,
    github_tokens: Optional[Sequence[str]] = None,
    github_api_url: Optional[str] = None,
    *,
    github_username: Optional[str] = None,
    token_manager: Optional["TokenManager"] = None,
    wait_on_rate_limit: bool = True,
    clone_jobs: Optional[int] = None,
    workers: Optional[Sequence[str]] = None,
    workers_share_paths: bool = False,
) -> Session:
    """A session over `repos`: paths or URLs, or one of them as a string (default: the
    repository of the current directory). `cache_dir` holds clones and caches (default
    `GITFLEET_CACHE_DIR`, else `~/.cache/gitfleet`); `github_tokens` (default `GITFLEET_GITHUB_TOKENS`, else `GITHUB_TOKEN`)
    and `github_api_url` (GitHub Enterprise: `https://HOST/api/v3`) serve the GitHub tables and
    authenticate clones from those hosts; `token_manager` shares a classic `TokenManager`'s
    tokens instead; `wait_on_rate_limit=False` raises `RateLimitError` rather than waiting when
    every token is spent; `clone_jobs` bounds concurrent clones (default 8). `workers`
    (`"HOST:PORT"` of `gitfleet worker` processes, default `GITFLEET_WORKERS`) runs queries on
    them: each remote repository is cloned and scanned by one worker, always the same one;
    `workers_share_paths=True` says the workers see this machine's paths too."""
    return Session(
        repos,
        cache_dir,
        github_tokens,
        github_api_url,
        github_username=github_username,
        token_manager=token_manager,
        wait_on_rate_limit=wait_on_rate_limit,
        clone_jobs=clone_jobs,
        workers=workers,
        workers_share_paths=workers_share_paths,
    )
