"""The classic GitFleet 0.2 API (RepoManager, GitHubClient, TokenManager, models, converters) on
the engine: clones from a loopback git daemon, blame and commits checked against git itself,
GitHub calls against the loopback fake API."""

import asyncio
import json
import os
import shutil

import pytest

import gitfleet
from conftest import ENV, blame_porcelain, commit, git
from gitfleet import (
    AuthError,
    BranchInfo,
    CloneStatusType,
    CloneTask,
    ContributorInfo,
    GitHubClient,
    ProviderError,
    ProviderType,
    RateLimitError,
    RateLimitInfo,
    RepoDetails,
    RepoInfo,
    RepoManager,
    TokenManager,
    UserInfo,
    flatten_dataframe,
    to_dataframe,
    to_dict,
    to_json,
)

GOOD, GOOD2, BAD = "tok_good_aaaaaaaa1111", "tok_good_bbbbbbbb2222", "tok_bad_cccccccc3333"


@pytest.fixture(scope="module")
def served(git_daemon):
    """Two repositories served by the daemon: `tools.git` (a merge, a rename, time zones other
    than UTC, a CRLF file, a binary file) and `tiny.git`."""
    base, prefix = git_daemon
    work = base / "work-tools"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "a.txt").write_text("one\ntwo\nthree\n")
    (work / "crlf.txt").write_bytes(b"x\r\ny\r\n")
    (work / "bin.dat").write_bytes(bytes(range(256)))
    git(work, "add", "-A")
    commit(work, "first\n\nwith a body", "Ann <ann@example.com>", "2024-01-01T10:00:00+05:30")
    git(work, "checkout", "-q", "-b", "side")
    (work / "b.txt").write_text("side 1\nside 2\n")
    git(work, "add", "-A")
    commit(work, "side work", "Bob <bob@example.com>", "2024-01-02T10:00:00-07:00")
    git(work, "checkout", "-q", "main")
    (work / "a.txt").write_text("one\n2\nthree\nfour\n")
    git(work, "add", "-A")
    commit(work, "edit a", "Ann <ann@example.com>", "2024-01-03T10:00:00+00:00")
    env = dict(ENV, GIT_AUTHOR_DATE="2024-01-04T10:00:00+01:00", GIT_COMMITTER_DATE="2024-01-04T10:00:00+01:00",
               GIT_AUTHOR_NAME="Cid", GIT_AUTHOR_EMAIL="cid@example.com", GIT_COMMITTER_NAME="C",
               GIT_COMMITTER_EMAIL="c@example.com")
    git(work, "merge", "-q", "--no-ff", "-m", "merge side", "side", env=env)
    git(work, "mv", "b.txt", "c.txt")
    commit(work, "rename", "Bob <bob@example.com>", "2024-01-05T10:00:00+00:00")
    git(base, "clone", "-q", "--bare", str(work), "tools.git")
    tiny = base / "work-tiny"
    tiny.mkdir()
    git(tiny, "init", "-q", "-b", "main")
    (tiny / "t.txt").write_text("t\n")
    git(tiny, "add", "-A")
    commit(tiny, "t", "Ann <ann@example.com>", "2024-02-01T00:00:00+00:00")
    git(base, "clone", "-q", "--bare", str(tiny), "tiny.git")
    return {"tools": f"{prefix}/tools.git", "tiny": f"{prefix}/tiny.git", "missing": f"{prefix}/missing.git",
            "work": work}


def run(coroutine):
    return asyncio.run(coroutine)


def test_repo_manager_clones_blames_and_extracts(served):
    urls = [served["tools"], served["tiny"], served["missing"]]
    manager = RepoManager(urls, "", "")

    async def clone_and_watch():
        before = await manager.fetch_clone_tasks()
        future = manager.clone_all()
        seen = set()
        while not future.done():  # a future, as GitFleet 0.2 returned: pollable while it runs
            seen |= {t.status.status_type for t in (await manager.fetch_clone_tasks()).values()}
            await asyncio.sleep(0.01)
        assert await future is None
        return before, seen, await manager.fetch_clone_tasks()

    before, seen, tasks = run(clone_and_watch())
    assert set(before) == set(urls) and {t.status.status_type for t in before.values()} == {CloneStatusType.QUEUED}
    assert seen <= {"queued", "cloning", "completed", "failed"}
    assert isinstance(tasks[served["tools"]], CloneTask)
    tools, tiny, missing = (tasks[u] for u in urls)
    assert tools.status.status_type == "completed" and tiny.status.status_type == CloneStatusType.COMPLETED
    assert missing.status.status_type == "failed" and "missing.git" in missing.status.error
    assert missing.temp_dir is None and os.path.isdir(tools.temp_dir)

    # extract_commits equals git log (newest first), stats equal git's numstat.
    commits = run(manager.extract_commits(tools.temp_dir))
    work = served["work"]
    log = git(work, "log", "--format=%H%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%P%x00%B%x00").split("\x00\n")
    expected = []
    for entry in filter(None, log):
        sha, an, ae, at, cn, ce, ct, parents, body = entry.split("\x00")
        expected.append({"sha": sha, "author_name": an, "author_email": ae, "author_timestamp": int(at),
                         "committer_name": cn, "committer_email": ce, "committer_timestamp": int(ct),
                         "is_merge": len(parents.split()) > 1, "message": body.strip(), "repo_name": "tools"})
    assert [{k: c[k] for k in expected[0]} for c in commits] == expected
    offsets = {c["message"]: (c["author_offset"], c["committer_offset"]) for c in commits}
    assert offsets["first\n\nwith a body"] == (330, 330) and offsets["side work"] == (-420, -420)
    for c in commits:
        numstat = git(work, "show", "--numstat", "--format=", "--first-parent", "-m", c["sha"]).split("\n")
        stats = [line.split("\t") for line in numstat if line.strip()]
        assert c["additions"] == sum(int(a) for a, _, _ in stats if a != "-"), c["message"]
        assert c["deletions"] == sum(int(d) for _, d, _ in stats if d != "-"), c["message"]
    assert set(commits[0]) == {"sha", "repo_name", "message", "author_name", "author_email", "author_timestamp",
                               "author_offset", "committer_name", "committer_email", "committer_timestamp",
                               "committer_offset", "additions", "deletions", "is_merge"}

    # bulk_blame equals git blame; a path that cannot be blamed gets its error, the others their lines.
    paths = ["a.txt", "c.txt", "crlf.txt", "bin.dat", "nope.txt"]
    blame = run(manager.bulk_blame(tools.temp_dir, paths))
    assert set(blame) == set(paths)
    for path in ("a.txt", "c.txt", "crlf.txt"):
        assert blame[path] == blame_porcelain(work, path), path
    assert blame["bin.dat"] == []
    assert isinstance(blame["nope.txt"], str) and "nope.txt" in blame["nope.txt"]
    assert run(manager.bulk_blame(tools.temp_dir, [])) == {}
    everything = run(manager.bulk_blame(tools.temp_dir, ["a.txt", "c.txt"]))
    assert everything["a.txt"] == blame["a.txt"] and everything["c.txt"] == blame["c.txt"]

    # cleanup: True for each clone removed, the reason for the others; the temp dir is gone.
    temp_root = manager._dir
    cleaned = manager.cleanup()
    assert cleaned[served["tools"]] is True and cleaned[served["tiny"]] is True
    assert cleaned[served["missing"]] == "No temporary directory to clean up"
    assert not os.path.exists(tools.temp_dir) and not os.path.exists(temp_root)


def test_repo_manager_clone_one_and_errors(served, tmp_path):
    manager = RepoManager([], "someone", "", cache_dir=str(tmp_path / "cache"))

    async def main():
        await manager.clone(served["tiny"])
        return await manager.fetch_clone_tasks()

    tasks = run(main())
    assert list(tasks) == [served["tiny"]] and tasks[served["tiny"]].status.status_type == "completed"
    # A path that is not a URL fails its task with the reason; nothing is raised.
    tasks = run(_clone_then_tasks(manager, "/not/a/url"))
    assert tasks["/not/a/url"].status.status_type == "failed"
    assert "not a remote repository URL" in tasks["/not/a/url"].status.error
    with pytest.raises(gitfleet.RepositoryError, match="repository not found"):
        run(manager.extract_commits(str(tmp_path / "nowhere")))
    blame = run(manager.bulk_blame(str(tmp_path / "nowhere"), ["a.txt"]))
    assert "repository not found" in blame["a.txt"]
    manager.cleanup()
    assert os.path.isdir(tmp_path / "cache")  # a cache_dir given by the caller is kept


async def _clone_then_tasks(manager, url):
    await manager.clone(url)
    return await manager.fetch_clone_tasks()


def test_github_client_models(fake_github):
    base, log = fake_github()
    client = GitHubClient(GOOD, base_url=base)

    async def main():
        return (await client.fetch_repositories("acme"), await client.fetch_user_info(), await client.get_rate_limit(),
                await client.fetch_repository_details("acme", "rocket"), await client.fetch_contributors("acme", "rocket"),
                await client.fetch_branches("acme", "rocket"), await client.validate_credentials())

    repos, user, rate, details, contributors, branches, valid = run(main())
    assert [r.name for r in repos] == ["anvil", "rocket"] and all(isinstance(r, RepoInfo) for r in repos)
    rocket = repos[1]
    assert rocket.full_name == "acme/rocket" and rocket.owner.login == "acme" and rocket.owner.id == 7
    assert rocket.clone_url == "https://github.com/acme/rocket.git" and rocket.stargazers_count == 42
    assert rocket.created_datetime().isoformat() == "2024-01-01T00:00:00+00:00" and rocket.raw_data["language"] == "Rust"
    assert isinstance(user, UserInfo) and (user.login, user.id, user.name) == ("alice", 99, "Alice")
    assert isinstance(rate, RateLimitInfo) and rate.limit == 5000 and rate.used == 5000 - rate.remaining
    assert 0 < rate.seconds_until_reset() <= 3600
    assert isinstance(details, RepoDetails) and details.topics == ["git", "sql"] and details.license["spdx_id"] == "MIT"
    assert details.size == 1234 and details.pushed_datetime().day == 3
    assert [(c.login, c.contributions) for c in contributors] == [("alice", 30), ("bob", 12)]
    assert all(isinstance(c, ContributorInfo) for c in contributors)
    assert [(b.name, b.commit_sha, b.protected) for b in branches] == [("main", "1" * 40, True), ("dev", "2" * 40, False)]
    assert isinstance(branches[0], BranchInfo) and branches[0].commit.sha == "1" * 40
    assert valid is True
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    assert {r["token"] for r in requests} == {GOOD}
    assert any(r["path"] == "/orgs/acme/repos" for r in requests)  # an organisation's repositories too

    # Converters.
    df = to_dataframe(repos)
    assert list(df["name"]) == ["anvil", "rocket"] and df.shape[0] == 2
    assert "owner_login" in flatten_dataframe(df[["name", "owner"]]).columns
    assert to_dict(user)["login"] == "alice" and json.loads(to_json(user))["id"] == 99
    assert [d["name"] for d in json.loads(to_json(branches))] == ["main", "dev"]
    assert run(client.to_pandas(contributors)).shape[0] == 2


def test_github_client_errors(fake_github):
    base, _ = fake_github("--quota", f"{GOOD}=1")
    with pytest.warns(UserWarning, match="GitHub rejected token"):
        assert run(GitHubClient(BAD, base_url=base).validate_credentials()) is False
    with pytest.raises(AuthError) as e, pytest.warns(UserWarning, match="GitHub rejected token"):
        run(GitHubClient(BAD, base_url=base).fetch_user_info())
    assert isinstance(e.value, ProviderError) and e.value.provider_type == ProviderType.GITHUB
    assert str(e.value).startswith("github: ") and BAD not in str(e.value)
    with pytest.raises(gitfleet.NotFoundError, match="404"):
        run(GitHubClient(GOOD, base_url=base).fetch_repository_details("acme", "nothing"))
    client = GitHubClient(GOOD, base_url=base)
    run(client.fetch_user_info())  # the token's last request
    with pytest.raises(RateLimitError) as e:  # spent: raised at once, not waited for
        run(client.fetch_contributors("acme", "rocket"))
    assert e.value.reset_time > 0 and GOOD not in str(e.value)


def test_token_manager_rotation(fake_github):
    base, log = fake_github("--quota", f"{GOOD}=1")
    manager = TokenManager()
    manager.add_token(BAD, ProviderType.GITHUB)
    manager.add_token(GOOD, ProviderType.GITHUB, username="alice")
    manager.add_token(GOOD, ProviderType.GITHUB)  # already there
    assert len(manager.get_all_tokens(ProviderType.GITHUB)) == 2
    assert manager.count_available_tokens(ProviderType.GITHUB) == 2
    client = GitHubClient(GOOD2, base_url=base, token_manager=manager)
    assert [t.token for t in manager.get_all_tokens(ProviderType.GITHUB)] == [BAD, GOOD, GOOD2]

    # The rejected token is a warning that names it only by its masked id.
    with pytest.warns(UserWarning, match="GitHub rejected token #1") as warned:
        issues = gitfleet.connect(repos=[], github_api_url=base, token_manager=manager).sql(
            "SELECT number FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket'")
    assert all(BAD not in str(w.message) for w in warned)
    assert len(issues) == 200  # 250 items, 50 of them pull requests; 3 pages over the tokens
    tokens_used = [json.loads(line)["token"] for line in log.read_text().splitlines()]
    assert tokens_used[0] == BAD and BAD not in tokens_used[1:]  # 401: retired, the rest rotate
    assert tokens_used[1:] == [GOOD, GOOD2, GOOD2]  # GOOD answers it has 0 left: GOOD2 takes over

    # What the engine learnt is the manager's view: BAD is invalid, GOOD's quota is spent.
    by_token = {t.token: t for t in manager.get_all_tokens(ProviderType.GITHUB)}
    assert by_token[BAD].status.is_valid is False
    assert by_token[GOOD].status.remaining_calls == 0 and by_token[GOOD].status.is_rate_limited
    assert by_token[GOOD].username == "alice"
    assert manager.count_available_tokens(ProviderType.GITHUB) == 1
    nxt = run(manager.get_next_available_token(ProviderType.GITHUB))
    assert nxt.token == GOOD2 and nxt.status.is_available and GOOD2 not in repr(nxt)
    assert run(client.fetch_user_info()).login == "bob"

    run(manager.mark_token_invalid(GOOD2, ProviderType.GITHUB))
    run(manager.update_rate_limit(GOOD, ProviderType.GITHUB, 0, 2**40))
    assert run(manager.get_next_available_token(ProviderType.GITHUB)) is None
    assert manager.count_available_tokens(ProviderType.GITHUB) == 0
    assert manager.count_available_tokens(ProviderType.GITLAB) == 0


def test_models_are_classic():
    task = CloneTask(url="u", status={"status_type": "cloning", "progress": 40})
    assert task.status.status_type == "cloning" and task.status.progress == 40 and task.temp_dir is None
    with pytest.raises(Exception):
        task.url = "other"  # frozen, as in GitFleet 0.2
    branch = BranchInfo(name="x", commit={"sha": "f" * 40})
    assert branch.commit_sha == "f" * 40
    assert "RepoManager" in gitfleet.__all__ and gitfleet.RepoManager is RepoManager
    shutil.which("git")  # the oracle is present
