"""The gitfleet Python package against repositories built here with git (git is the oracle)."""

import asyncio
import json
import os
import subprocess
import sys

import pyarrow as pa
import polars as pl
import pytest

import gitfleet
from conftest import ENV, git


@pytest.fixture(scope="module")
def session(repo, tmp_path_factory):
    return gitfleet.connect(repos=[repo], cache_dir=tmp_path_factory.mktemp("cache"))


def test_sql_matches_git(session, repo):
    n = session.sql("SELECT count(*) AS n FROM commits").to_arrow().column("n")[0].as_py()
    assert n == int(git(repo, "rev-list", "--count", "HEAD"))
    rows = session.sql("SELECT author_email AS e, count(*) AS n FROM commits GROUP BY 1").to_arrow().to_pylist()
    by_author = {r["e"]: r["n"] for r in rows}
    emails = git(repo, "log", "--format=%ae").split()
    assert by_author == {e: emails.count(e) for e in set(emails)}


def test_conversions(session):
    result = session.sql("SELECT sha, author_time, additions FROM commits ORDER BY author_time")
    assert len(result) == 12 and result.columns == ["sha", "author_time", "additions"]
    table = result.to_arrow()
    assert table.schema.field("author_time").type == pa.timestamp("us", tz="UTC")
    df = result.to_pandas()
    assert list(df["additions"]) == table.column("additions").to_pylist()
    assert result.to_polars().shape == (12, 3)
    assert pl.DataFrame(result).shape == (12, 3)
    assert pa.table(result).equals(table)
    assert sum(b.num_rows for b in result) == 12


def test_results_are_shared_not_copied(session):
    result = session.sql("SELECT sha FROM commits")
    first, second = pa.table(result), pa.table(result)
    # Both imports point at the engine's own buffers: no copy was made on the way.
    a = first.column("sha").chunk(0).buffers()[2].address
    b = second.column("sha").chunk(0).buffers()[2].address
    assert a == b
    # polars keeps the engine's buffer of a numeric column as is.
    numbers = session.sql("SELECT additions FROM commits")
    engine_buffer = pa.table(numbers).column("additions").chunk(0).buffers()[1].address
    assert pl.DataFrame(numbers)["additions"].to_arrow().buffers()[1].address == engine_buffer


def test_duckdb_reads_results(session, repo):
    import duckdb

    result = session.sql("SELECT author_email, additions FROM commits")
    rows = duckdb.sql("SELECT author_email, count(*) FROM result GROUP BY 1 ORDER BY 1").fetchall()
    emails = git(repo, "log", "--format=%ae").split()
    assert rows == sorted((e, emails.count(e)) for e in set(emails))


def test_tables_schema_and_errors(session, repo):
    assert {"commits", "blame", "files", "gh_issues"} <= set(session.tables())
    assert session.schema("commits").field("author_email").type == pa.string()
    # Each kind of failure is its own exception class, all GitFleetErrors, with the CLI's line.
    with pytest.raises(gitfleet.QueryError, match="SELEC"):
        session.sql("SELEC 1")
    with pytest.raises(gitfleet.QueryError, match="gh_issues needs the repositories to read"):
        session.sql("SELECT * FROM gh_issues")
    with pytest.raises(gitfleet.QueryError, match="no table named 'nope'"):
        session.schema("nope")
    with pytest.raises(gitfleet.RepositoryError, match="^repository not found: /no/such/repo$"):
        gitfleet.connect(repos=["/no/such/repo"]).sql("SELECT * FROM commits")
    with pytest.raises(gitfleet.RepositoryError, match="unknown revision 'nope'"):
        session.sql(f"SELECT * FROM commits('{repo}', 'nope')")
    assert issubclass(gitfleet.RepositoryError, gitfleet.GitFleetError)


def test_engine_warnings_are_python_warnings(repo, tmp_path):
    # An unreachable repository is skipped with a warning (the other rows stay), raised as a
    # Python UserWarning rather than printed on stderr.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"git://127.0.0.1:{port}/gone.git"
    session = gitfleet.connect(repos=[repo], cache_dir=tmp_path / "cache")
    with pytest.warns(UserWarning, match=f"cannot clone {url}"):
        n = session.sql(f"SELECT count(*) AS n FROM commits WHERE repo IN ('{repo}', '{url}')")
    assert n.to_arrow().column("n")[0].as_py() == int(git(repo, "rev-list", "--count", "HEAD"))


def test_deep_statements_raise_and_long_or_filters_run(session, repo):
    # Once a stack overflow that killed the interpreter; now one QueryError.
    with pytest.raises(gitfleet.QueryError, match="statement too complex"):
        session.sql("SELECT 1" + "+1" * 3000)
    with pytest.raises(gitfleet.QueryError, match="statement too complex"):
        session.stream("SELECT 1" + "+1" * 3000)
    assert session.sql("SELECT 1" + "+1" * 399 + " AS n").to_arrow().column("n")[0].as_py() == 400
    emails = git(repo, "log", "--format=%ae").split()
    terms = [f"author_email = 'nobody{i}@example.com'" for i in range(3000)] + [f"author_email = '{emails[0]}'"]
    result = session.sql("SELECT count(*) AS n FROM commits WHERE " + " OR ".join(terms))
    assert result.to_arrow().column("n")[0].as_py() == emails.count(emails[0])


def test_stream_reads_batch_by_batch(session, repo):
    reader = session.stream("SELECT sha, path FROM commit_files")
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema.names == ["sha", "path"]
    rows = sum(batch.num_rows for batch in reader)
    assert rows == len([l for l in git(repo, "log", "--numstat", "--format=").splitlines() if l.strip()])
    with pytest.raises(gitfleet.QueryError):
        session.stream("SELECT nope FROM commits")


def test_asyncio(session):
    async def main():
        results = await asyncio.gather(*(session.sql_async("SELECT count(*) AS n FROM commits") for _ in range(3)))
        return [r.to_arrow().column("n")[0].as_py() for r in results]

    assert asyncio.run(main()) == [12, 12, 12]


def test_blame_lines_match_git(session, repo):
    ours = session.sql("SELECT path, line_no, sha FROM blame ORDER BY path, line_no").to_arrow().to_pylist()
    theirs = []
    for path in sorted(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()):
        for line in git(repo, "blame", "--porcelain", "HEAD", "--", path).splitlines():
            parts = line.split(" ")
            if len(parts) >= 3 and len(parts[0]) == 40 and parts[1].isdigit():
                theirs.append({"path": path, "line_no": int(parts[2]), "sha": parts[0]})
    assert ours == theirs


def test_ctrl_c_cancels_a_running_query(repo, tmp_path):
    """SIGINT during a long query: KeyboardInterrupt at once, and the session still works."""
    import signal
    import subprocess
    import sys
    import time

    script = f"""
import gitfleet, sys
s = gitfleet.connect(repos=[{str(repo)!r}], cache_dir={str(tmp_path)!r})
print("started", flush=True)
try:
    s.sql("SELECT count(*) FROM commits a, commits b, commits c, commits d, commits e, commits f, commits g, commits h")
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", s.sql("SELECT count(*) AS n FROM commits").to_arrow().column("n")[0].as_py(), flush=True)
"""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=20)
    assert out.strip() == "interrupted 12"


def test_one_repository_as_a_string_or_path(repo, tmp_path):
    import pathlib

    expected = int(git(repo, "rev-list", "--count", "HEAD"))
    for one in (str(repo), pathlib.Path(repo)):
        s = gitfleet.connect(repos=one, cache_dir=tmp_path)
        rows = s.sql("SELECT repo, count(*) AS n FROM commits GROUP BY repo").to_arrow().to_pylist()
        assert [r["n"] for r in rows] == [expected], rows


def test_every_engine_error_kind_raises_a_declared_class():
    # The classes live in gitfleet.errors only; the extension names one per engine error kind.
    from gitfleet import _gitfleet, errors

    names = _gitfleet._exception_classes()
    assert set(names) >= {"QueryError", "RepositoryError", "CloneError", "RateLimitError", "GitFleetError"}
    for name in names:
        assert issubclass(getattr(errors, name), gitfleet.GitFleetError), name
    assert not hasattr(errors, "_engine_error")


def test_public_signatures_are_typed_and_have_no_private_options():
    import inspect
    import typing

    for function in (gitfleet.connect, gitfleet.Session.__init__):
        parameters = inspect.signature(function).parameters.values()
        assert all(p.kind is not p.VAR_KEYWORD for p in parameters), function
        assert not [p.name for p in parameters if p.name.startswith("_")], function
        hints = typing.get_type_hints(function, globalns=vars(gitfleet) | {"TokenManager": object})
        assert {p.name for p in parameters if p.name != "self"} <= set(hints), function
    session_options = [k for k in inspect.signature(gitfleet.Session.__init__).parameters if k != "self"]
    assert list(inspect.signature(gitfleet.connect).parameters) == session_options


def test_the_sql_api_needs_no_pydantic(repo, tmp_path):
    # pydantic is the `classic` extra: without it the SQL API works, and the classic names say
    # what to install.
    import subprocess
    import sys

    script = f"""
import sys
sys.modules["pydantic"] = None  # as if it were not installed
import gitfleet
s = gitfleet.connect({str(repo)!r}, cache_dir={str(tmp_path)!r})
print(s.sql("SELECT count(*) AS n FROM commits").to_arrow().column("n")[0].as_py())
try:
    gitfleet.RepoManager
except ImportError as e:
    print(e)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    count, message = out.strip().splitlines()
    assert int(count) == int(git(repo, "rev-list", "--count", "HEAD"))
    assert "pip install 'gitfleet[classic]'" in message and "RepoManager" in message


SLOW = "SELECT count(*) FROM commits a, commits b, commits c, commits d, commits e, commits f, commits g, commits h"


def run_child(script, signal_after=None, timeout=20):
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    started = time.monotonic()
    if signal_after is not None:
        time.sleep(signal_after)
        child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=timeout)
    return out.strip(), time.monotonic() - started


def test_ctrl_c_stops_a_stream_being_read(repo, tmp_path):
    # pyarrow reads the stream with the GIL released: the reader looks for Ctrl-C itself.
    script = f"""
import gitfleet
s = gitfleet.connect(repos=[{str(repo)!r}], cache_dir={str(tmp_path)!r})
reader = s.stream({SLOW!r})
print("started", flush=True)
try:
    for batch in reader:
        print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
except Exception as e:
    print("error", type(e).__name__, e, flush=True)
print("after", s.sql("SELECT count(*) AS n FROM commits").to_arrow().column("n")[0].as_py(), flush=True)
"""
    out, took = run_child(script, signal_after=0.5)
    lines = out.splitlines()
    assert lines[0] == "interrupted" or "interrupted" in lines[0], out
    assert lines[-1] == "after 12", out
    assert took < 10, took


def test_two_threads_reading_one_stream_get_an_error_not_a_hang(session):
    import threading

    reader = session.stream(SLOW)
    outcomes = []

    def read():
        try:
            reader.read_next_batch()
            outcomes.append("batch")
        except Exception as e:  # the second reader
            outcomes.append(str(e))

    first = threading.Thread(target=read, daemon=True)
    first.start()
    import time

    time.sleep(0.3)
    second = threading.Thread(target=read, daemon=True)
    second.start()
    second.join(timeout=10)
    assert not second.is_alive(), "the second reader hangs"
    assert any("another thread" in o for o in outcomes), outcomes


def test_sql_async_is_cancelled_with_its_task(repo, tmp_path):
    # wait_for's timeout cancels the query: asyncio.run() then returns at once.
    script = f"""
import asyncio, gitfleet, time
s = gitfleet.connect(repos=[{str(repo)!r}], cache_dir={str(tmp_path)!r})
print("started", flush=True)
async def main():
    try:
        await asyncio.wait_for(s.sql_async({SLOW!r}), 1)
        print("finished", flush=True)
    except asyncio.TimeoutError:
        print("timed out", flush=True)
t = time.monotonic()
asyncio.run(main())
print("exited", round(time.monotonic() - t), flush=True)
"""
    out, took = run_child(script, timeout=30)
    assert out.splitlines()[0] == "timed out", out
    assert took < 8, (out, took)


def _long_history(path, commits):
    """A history of `commits` commits, each rewriting a 40-line file: a scan that takes a while."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    stream = []
    for i in range(commits):
        text = "".join(f"line {j} of {i if j % 7 == i % 7 else 0}\n" for j in range(40))
        message = f"commit {i}"
        stream.append(
            f"commit refs/heads/main\nmark :{i + 1}\n"
            f"committer Ann <ann@example.com> {1_700_000_000 + i} +0000\n"
            f"data {len(message)}\n{message}\n"
            + (f"from :{i}\n" if i else "")
            + f"M 100644 inline f{i % 5}.txt\ndata {len(text)}\n{text}\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input="".join(stream).encode(), check=True)
    git(path, "checkout", "-q", "main")
    # Progress totals come from a commit-graph walk.
    git(path, "commit-graph", "write", "--reachable")
    return path


# Long enough that the scan outlasts several of progress's tenth-of-a-second looks on a fast
# machine (3,000 commits took 0.1 s here on 2026-11-29, and the scan went unseen).
LONG = 30_000


def test_progress_reports_running_scans(tmp_path):
    repo = _long_history(tmp_path / "long", LONG)
    session = gitfleet.connect(repos=[repo], cache_dir=tmp_path / "cache")
    seen = []
    result = session.sql("SELECT sum(additions) AS added FROM commits", progress=seen.append)
    total = int(git(repo, "rev-list", "--count", "HEAD"))
    assert pa.table(result).column("added")[0].as_py() > 0
    scans = [s for batch in seen for s in batch if s["table"] == "commits"]
    assert scans, "the callback saw the scan while it ran"
    assert all(s["total"] == total and s["unit"] == "commits" for s in scans), scans[:3]
    assert all(0 <= s["done"] <= total and s["elapsed"] >= 0 for s in scans)
    assert scans[0]["repo"] == str(repo.resolve())
    dones = [s["done"] for s in scans]
    assert dones == sorted(dones), "done only grows"


def test_progress_true_draws_tqdm_bars_or_a_line_on_stderr(tmp_path, capsys, monkeypatch):
    repo = _long_history(tmp_path / "long", LONG)
    sql = "SELECT count(*) AS n, sum(deletions) FROM commits"
    # tqdm installed: one of its bars per scan, named after the table and repository.
    session = gitfleet.connect(repos=[repo], cache_dir=tmp_path / "cache")
    assert pa.table(session.sql(sql, progress=True)).column("n")[0].as_py() == LONG
    err = capsys.readouterr().err
    assert f"commits {repo.resolve()}" in err and f"/{LONG}" in err, err[:300]
    # Without tqdm: one status line, cleared at the end.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    session = gitfleet.connect(repos=[repo], cache_dir=tmp_path / "cache2")
    assert pa.table(session.sql(sql, progress=True)).column("n")[0].as_py() == LONG
    err = capsys.readouterr().err
    assert f"commits {repo.resolve()}: " in err and f"/{LONG} commits" in err, err[:300]
    assert err.endswith("\r\x1b[K"), "the line is cleared at the end"


def test_queries_run_on_workers(git_daemon, repo, tmp_path):
    """`connect(workers=[...])`: the worker clones and scans, this process clones nothing, and
    the answer is git's."""
    binary = os.environ.get("GITFLEET_BIN")
    if not binary:
        pytest.skip("GITFLEET_BIN (the gitfleet CLI, which runs workers) is not set")
    base, prefix = git_daemon
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(base / "worked.git")], check=True, env=ENV)
    worker_cache = tmp_path / "worker-cache"
    worker = subprocess.Popen([binary, "worker", "--listen", "127.0.0.1:0"], env=dict(ENV, GITFLEET_CACHE_DIR=str(worker_cache)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        first = worker.stderr.readline()
        assert first.startswith("gitfleet worker listening on "), first
        addr = first.split()[4]
        with pytest.raises(ValueError, match="is not HOST:PORT"):
            gitfleet.connect(workers=["no-port-here"])
        session = gitfleet.connect(f"{prefix}/worked.git", cache_dir=tmp_path / "here", workers=[addr])
        table = session.sql("SELECT count(*) AS n, count(DISTINCT author_email) AS people FROM commits")
        assert table.to_arrow().to_pylist() == [{"n": int(git(repo, "rev-list", "--count", "HEAD")), "people": 2}]
        assert list(worker_cache.glob("repos/**/worked.git")), "the worker did not clone"
        assert not list((tmp_path / "here").glob("repos/**/worked.git")), "the coordinator cloned"
    finally:
        worker.kill()
        worker.wait()


def _report_data(html):
    start = html.index('<script type="application/json" id="gitfleet-data">')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def test_report_writes_the_page_with_the_sql_rows(repo, tmp_path, git_daemon):
    """`gitfleet.report(session, path)`: the CLI's page, written whole; a repository that cannot
    be cloned is reported (and warned about), not silently missing; progress reports the scans."""
    base, prefix = git_daemon
    missing = f"{prefix}/no-such-repo.git"
    session = gitfleet.connect(repos=[repo, missing], cache_dir=tmp_path / "cache")
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    seen = []
    with pytest.warns(UserWarning, match="no-such-repo"):
        summary = gitfleet.report(session, target, since="2024-03-05", progress=seen.append)
    assert sorted(summary["repositories"]) == sorted([str(repo.resolve()), missing])
    assert list(summary["failed"]) == [missing]
    assert summary["section_errors"] == []
    html = target.read_text()
    assert "no-such-repo.git</code>" in html.split("<main>")[0], "named in the header"
    data = _report_data(html)
    weeks = data["queries"][data["sections"]["commits_per_week"]]["rows"]
    expected = int(git(repo, "rev-list", "--count", "--since=2024-03-05T00:00:00Z", "HEAD"))
    assert sum(r["commits"] for r in weeks) == expected == 8
    top = [r for r in data["queries"][data["sections"]["top_contributors"]]["rows"] if r["repo"] is None]
    assert sorted((r["author"], r["commits"]) for r in top) == [("Ann", 4), ("Bob", 4)]
    assert top[0]["added"] >= top[1]["added"], "ranked by commits, then lines added"
    with pytest.raises(gitfleet.QueryError, match="is not a day"):
        gitfleet.report(session, tmp_path / "bad.html", since="March")
    assert not (tmp_path / "bad.html").exists()
