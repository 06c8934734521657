"""The gitfleet Python package against repositories built here with git (git is the oracle)."""

import asyncio
import os
import subprocess

import pyarrow as pa
import polars as pl
import pytest

import gitfleet

ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", TZ="UTC")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=ENV).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("repo")
    git(path, "init", "-q", "-b", "main")
    for i in range(12):
        (path / f"f{i % 3}.txt").write_text("".join(f"line {j} of {i}\n" for j in range(i + 1)))
        git(path, "add", "-A")
        who = ["Ann <ann@example.com>", "Bob <bob@example.com>"][i % 2]
        date = f"2024-03-{i + 1:02d}T12:00:00+00:00"
        subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", f"commit {i}", f"--author={who}"],
                       check=True, env=dict(ENV, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date,
                                            GIT_COMMITTER_NAME="C", GIT_COMMITTER_EMAIL="c@example.com"))
    return path


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


def test_tables_schema_and_errors(session):
    assert {"commits", "blame", "files", "gh_issues"} <= set(session.tables())
    assert session.schema("commits").field("author_email").type == pa.string()
    with pytest.raises(gitfleet.GitFleetError, match="SELEC"):
        session.sql("SELEC 1")
    with pytest.raises(gitfleet.GitFleetError, match="gh_issues needs the repositories to read"):
        session.sql("SELECT * FROM gh_issues")
    with pytest.raises(gitfleet.GitFleetError, match="repository not found: /no/such/repo"):
        gitfleet.connect(repos=["/no/such/repo"]).sql("SELECT * FROM commits")


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
