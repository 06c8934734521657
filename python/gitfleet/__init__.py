"""GitFleet: SQL over fleets of git repositories, with results as Arrow.

    import gitfleet
    s = gitfleet.connect(repos=["/src/a", "https://github.com/org/b"])
    table = s.sql("SELECT author_email, count(*) FROM commits GROUP BY 1").to_arrow()

Results reach pyarrow, pandas and polars through the Arrow C data interface, without copies.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence, Union

from gitfleet._gitfleet import GitFleetError, QueryResult, __version__
from gitfleet._gitfleet import Session as _Session

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars
    import pyarrow

__all__ = ["connect", "Session", "Result", "GitFleetError", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]


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
    """An engine session: its repositories, cache directory and GitHub settings."""

    def __init__(
        self,
        repos: Optional[Sequence[PathLike]] = None,
        cache_dir: Optional[PathLike] = None,
        github_tokens: Optional[Sequence[str]] = None,
        github_api_url: Optional[str] = None,
    ) -> None:
        self._inner = _Session(
            [os.fspath(r) for r in repos] if repos is not None else None,
            os.fspath(cache_dir) if cache_dir is not None else None,
            list(github_tokens) if github_tokens is not None else None,
            github_api_url,
        )

    def sql(self, query: str) -> Result:
        """Runs one SQL statement. The GIL is released while it runs; Ctrl-C cancels it."""
        return Result(self._inner.sql(query))

    async def sql_async(self, query: str) -> Result:
        """`sql` for asyncio: runs in a worker thread, so the event loop keeps going."""
        return await asyncio.get_running_loop().run_in_executor(None, self.sql, query)

    def tables(self) -> "list[str]":
        return self._inner.tables()

    def schema(self, table: str) -> "pyarrow.Schema":
        import pyarrow as pa

        return pa.schema(self._inner.schema(table))


def connect(
    repos: Optional[Sequence[PathLike]] = None,
    cache_dir: Optional[PathLike] = None,
    github_tokens: Optional[Sequence[str]] = None,
    github_api_url: Optional[str] = None,
) -> Session:
    """A session over `repos` (paths or URLs; default: the repository of the current directory)."""
    return Session(repos, cache_dir, github_tokens, github_api_url)
