"""The classic GitFleet `RepoManager` on the engine: clones are the engine's clone jobs
(concurrent, bounded, cached, credentials never written to disk), blame and commits are queries
of the `blame` and `commits` tables. Same methods and result shapes as GitFleet 0.2.

Differences from 0.2, on purpose: a task's `temp_dir` is a bare clone (no working tree: the
engine reads objects, never a checkout); `clone(url)` really clones; `extract_commits` raises a
`GitFleetError` instead of returning an error string; additions/deletions are git's own
(`git log --numstat`), whitespace included.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
from collections.abc import Coroutine
from typing import Any, Callable, Dict, Generator, Generic, List, Optional, TypeVar, Union

from gitfleet._sql import literal
from gitfleet.errors import GitFleetError
from gitfleet.models import CloneStatus, CloneStatusType, CloneTask

__all__ = ["RepoManager"]

T = TypeVar("T")

BLAME_COLUMNS = "path, sha AS commit_id, author_name, author_email, orig_line_no, line_no AS final_line_no, line AS line_content"
COMMIT_COLUMNS = (
    "sha, message, author_name, author_email, to_unixtime(author_time) AS author_timestamp, author_offset, "
    "committer_name, committer_email, to_unixtime(committer_time) AS committer_timestamp, committer_offset, "
    "additions, deletions, is_merge"
)


_WORKERS = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="gitfleet")


class Pending(Coroutine, Generic[T]):  # type: ignore[type-arg]
    """Work started at once on a worker thread (the engine releases the GIL), as GitFleet 0.2's
    PyO3 futures were: `await` it, pass it to `asyncio.run`, or poll `.done()` meanwhile."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._future = _WORKERS.submit(work)
        self._awaiting: Optional[Generator[Any, None, T]] = None

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: Optional[float] = None) -> T:
        """Blocks until the work is done (for code without an event loop)."""
        return self._future.result(timeout)

    def __await__(self) -> Generator[Any, None, T]:
        return asyncio.wrap_future(self._future).__await__()

    def _driver(self) -> Generator[Any, None, T]:
        if self._awaiting is None:
            self._awaiting = self.__await__()
        return self._awaiting

    def send(self, value: Any) -> Any:
        return self._driver().send(value)

    def throw(self, *args: Any) -> Any:
        return self._driver().throw(*args)

    def close(self) -> None:
        if self._awaiting is not None:
            self._awaiting.close()


def _columns_to_rows(table: Any, skip: int = 0) -> List[Dict[str, Any]]:
    """Row dicts from a pyarrow table, column by column (faster than `to_pylist`)."""
    names = table.column_names[skip:]
    columns = [table.column(n).to_pylist() for n in names]
    return [dict(zip(names, values)) for values in zip(*columns)]


class RepoManager:
    """Clones `urls` and analyses repositories.

    `github_username`/`github_token` authenticate HTTPS clones (an empty token: anonymous).
    Clones go to a temporary directory removed by `cleanup()`, or to `cache_dir` if given
    (then kept, and reused by later runs)."""

    def __init__(
        self,
        urls: List[str],
        github_username: str,
        github_token: str,
        *,
        cache_dir: Optional[str] = None,
        clone_jobs: Optional[int] = None,
    ) -> None:
        from gitfleet import Session

        self._urls: List[str] = list(dict.fromkeys(urls))
        self._owns_dir = cache_dir is None
        self._dir = cache_dir if cache_dir is not None else tempfile.mkdtemp(prefix="gitfleet-repos-")
        self._session = Session(
            repos=[],
            cache_dir=self._dir,
            github_tokens=[github_token] if github_token else None,
            github_username=github_username or None,
            clone_jobs=clone_jobs,
        )

    def clone_all(self) -> "Pending[None]":
        """Clones every URL at once (bounded); failures are reported in the tasks, not raised."""
        return Pending(lambda: self._clone(self._urls))

    def clone(self, url: str) -> "Pending[None]":
        """Clones one URL (added to the manager's URLs if new)."""
        if url not in self._urls:
            self._urls.append(url)
        return Pending(lambda: self._clone([url]))

    def _clone(self, urls: List[str]) -> None:
        self._session._inner.clone_repos(urls)

    def _tasks(self) -> Dict[str, CloneTask]:
        tasks = {}
        for s in self._session._inner.clone_statuses(self._urls):
            state = s["state"]
            if state in ("cloning", "fetching"):
                status = CloneStatus(status_type=CloneStatusType.CLONING, progress=int(s["percent"]))
            elif state == "ready":
                status = CloneStatus(status_type=CloneStatusType.COMPLETED)
            elif state == "failed":
                status = CloneStatus(status_type=CloneStatusType.FAILED, error=s["error"])
            else:
                status = CloneStatus(status_type=CloneStatusType.QUEUED)
            temp_dir = s.get("path") if state == "ready" else None
            tasks[s["url"]] = CloneTask(url=s["url"], status=status, temp_dir=temp_dir)
        return tasks

    async def fetch_clone_tasks(self) -> Dict[str, CloneTask]:
        """url -> CloneTask, as the clones stand now."""
        return self._tasks()

    def bulk_blame(self, repo_path: str, file_paths: List[str]) -> "Pending[Dict[str, Union[List[Dict[str, Any]], str]]]":
        """path -> its lines at HEAD (commit_id, author_name, author_email, orig_line_no,
        final_line_no, line_content), or the error string for a path that cannot be blamed."""
        return Pending(lambda: self._bulk_blame(os.fspath(repo_path), list(file_paths)))

    def _bulk_blame(self, repo_path: str, paths: List[str]) -> Dict[str, Union[List[Dict[str, Any]], str]]:
        if not paths:
            return {}
        listed = ", ".join(literal(p) for p in paths)
        query = f"SELECT {BLAME_COLUMNS} FROM blame({literal(repo_path)}) WHERE path IN ({listed})"
        try:
            table = self._session.sql(query).to_arrow()
        except GitFleetError as e:  # the repository itself cannot be read
            return {p: str(e) for p in paths}
        result: Dict[str, Union[List[Dict[str, Any]], str]] = {p: [] for p in paths}
        # A file's lines arrive together, in order; group them by the path column.
        for path, row in zip(table.column("path").to_pylist(), _columns_to_rows(table, skip=1)):
            lines = result[path]
            assert isinstance(lines, list)
            lines.append(row)
        # No lines: an empty or binary file, or a path that cannot be blamed; blaming it alone
        # tells which (missing file, directory), with the engine's message.
        for path, lines in result.items():
            if not lines:
                result[path] = self._blame_one(repo_path, path)
        return result

    def _blame_one(self, repo_path: str, path: str) -> Union[List[Dict[str, Any]], str]:
        query = f"SELECT {BLAME_COLUMNS} FROM blame({literal(repo_path)}, {literal(path)})"
        try:
            return _columns_to_rows(self._session.sql(query).to_arrow(), skip=1)
        except GitFleetError as e:
            return str(e)

    def extract_commits(self, repo_path: str) -> "Pending[List[Dict[str, Any]]]":
        """Every commit reachable from HEAD, newest first: sha, repo_name, message, author and
        committer name/email/timestamp (epoch seconds)/offset (minutes), additions, deletions
        (against the first parent), is_merge."""
        return Pending(lambda: self._extract_commits(os.fspath(repo_path)))

    def _extract_commits(self, repo_path: str) -> List[Dict[str, Any]]:
        table = self._session.sql(f"SELECT {COMMIT_COLUMNS} FROM commits({literal(repo_path)})").to_arrow()
        name = os.path.basename(os.path.normpath(repo_path))
        name = name[:-4] if name.endswith(".git") else name
        rows = _columns_to_rows(table)
        for row in rows:
            row["repo_name"] = name
            row["message"] = row["message"].strip()
        return rows

    def cleanup(self) -> Dict[str, Union[bool, str]]:
        """Removes every clone: url -> True, or why not. The manager's temporary directory goes
        too (a `cache_dir` given by the caller is kept, only the clones in it are removed)."""
        results: Dict[str, Union[bool, str]] = {}
        for url, task in self._tasks().items():
            if task.temp_dir is None:
                results[url] = "No temporary directory to clean up"
            elif not os.path.exists(task.temp_dir):
                results[url] = "Directory no longer exists"
            else:
                try:
                    shutil.rmtree(task.temp_dir)
                    results[url] = True
                except OSError as e:
                    results[url] = f"Failed to remove directory: {e}"
        if self._owns_dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        return results

    def __repr__(self) -> str:
        return f"RepoManager({len(self._urls)} repositories, clones in {self._dir!r})"
