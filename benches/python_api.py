#!/usr/bin/env python3
"""The classic Python API against the SQL path it is built on, and against the git CLI.

    python benches/python_api.py [COMMITS]      # default 3000; needs `gitfleet` importable

Generates a repository with `git fast-import` (fixed seed: files edited by random hunks,
added, deleted; ~300 files), then times, best of 3 after one warm-up run (the stats cache is
warm for both paths, so both measure the same engine work plus their own conversion):

  extract_commits(repo)             vs  Session.sql(same columns FROM commits).to_arrow()
  bulk_blame(repo, every file)      vs  Session.sql(same columns FROM blame).to_arrow()

and, for scale, `git log --numstat` and a `git blame --porcelain` loop over the same files.
Reports the classic/SQL ratio (the cost of building Python dicts) and both against git.
"""

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time

import gitfleet
from gitfleet import RepoManager

ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")


def generate(path, commits, seed=7):
    rng = random.Random(seed)
    files = {f"src/m{i:03d}.py": [f"line {j} of file {i}\n" for j in range(rng.randint(20, 120))] for i in range(250)}
    out = []
    mark = 0
    for n in range(commits):
        mark += 1
        changed = {}
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.03:
                name = f"src/new{n}.py"
                files[name] = [f"new {k}\n" for k in range(rng.randint(5, 40))]
                changed[name] = files[name]
            elif roll < 0.05 and len(files) > 50:
                name = rng.choice(sorted(files))
                del files[name]
                changed[name] = None
            else:
                name = rng.choice(sorted(files))
                lines = files[name]
                at = rng.randint(0, len(lines))
                del lines[at:at + rng.randint(0, 3)]
                lines[at:at] = [f"edit {n}.{k}\n" for k in range(rng.randint(1, 5))]
                changed[name] = lines
        who = ["Ann <ann@example.com>", "Bob <bob@example.com>", "Cid <cid@example.com>"][n % 3]
        stamp = 1_700_000_000 + n * 3600
        message = f"commit {n}\n"
        out.append(f"commit refs/heads/main\nmark :{mark}\nauthor {who} {stamp} +0000\n"
                   f"committer {who} {stamp} +0000\ndata {len(message)}\n{message}")
        if n == 0:
            changed = dict(files)
        for name, lines in sorted(changed.items()):
            if lines is None:
                out.append(f"D {name}\n")
            else:
                body = "".join(lines).encode()
                out.append(f"M 100644 inline {name}\ndata {len(body)}\n{body.decode()}\n")
        out.append("\n")
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True, env=ENV)
    subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input="".join(out).encode(), check=True, env=ENV)
    subprocess.run(["git", "-C", path, "commit-graph", "write", "--reachable", "--changed-paths"], check=True, env=ENV)


def best(f, runs=3):
    f()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    commits = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo.git")
        generate(repo, commits)
        paths = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD"], check=True,
                               capture_output=True, text=True).stdout.split()
        cache = os.path.join(tmp, "cache")
        manager = RepoManager([], "", "", cache_dir=cache)
        session = gitfleet.connect(repos=[], cache_dir=cache)
        from gitfleet.repo_manager import BLAME_COLUMNS, COMMIT_COLUMNS

        commits_sql = f"SELECT {COMMIT_COLUMNS} FROM commits('{repo}')"
        blame_sql = f"SELECT {BLAME_COLUMNS} FROM blame('{repo}')"
        rows = {}

        def classic_commits():
            rows["commits"] = len(asyncio.run(manager.extract_commits(repo)))

        def classic_blame():
            rows["blame"] = sum(len(v) for v in asyncio.run(manager.bulk_blame(repo, paths)).values())

        def sql_commits():
            rows["commits_sql"] = session.sql(commits_sql).to_arrow().num_rows

        def sql_blame():
            rows["blame_sql"] = session.sql(blame_sql).to_arrow().num_rows

        def git_log():
            subprocess.run(["git", "-C", repo, "log", "--numstat", "--format=%H%x00%an%x00%ae%x00%at%x00%B"],
                           check=True, stdout=subprocess.DEVNULL, env=ENV)

        def git_blame():
            for p in paths:
                subprocess.run(["git", "-C", repo, "blame", "--porcelain", "HEAD", "--", p], check=True,
                               stdout=subprocess.DEVNULL, env=ENV)

        t = {name: best(f) for name, f in [("classic_commits", classic_commits), ("sql_commits", sql_commits),
                                          ("git_log", git_log), ("classic_blame", classic_blame),
                                          ("sql_blame", sql_blame), ("git_blame", git_blame)]}
        assert rows["commits"] == rows["commits_sql"] and rows["blame"] == rows["blame_sql"], rows
        print(f"{commits} commits, {len(paths)} files, {rows['blame']} lines at HEAD; best of 3 (seconds)")
        print(f"{'work':<16}{'classic':>9}{'SQL':>9}{'git':>9}{'classic/SQL':>13}{'classic/git':>13}")
        for work, c, s, g in [("extract_commits", t["classic_commits"], t["sql_commits"], t["git_log"]),
                              ("bulk_blame", t["classic_blame"], t["sql_blame"], t["git_blame"])]:
            print(f"{work:<16}{c:>9.3f}{s:>9.3f}{g:>9.3f}{c / s:>12.2f}x{c / g:>12.2f}x")


if __name__ == "__main__":
    main()
