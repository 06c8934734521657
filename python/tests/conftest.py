"""Shared fixtures: repositories built with the git CLI (fixed identities and dates: git is the
oracle), a `git daemon` on 127.0.0.1 serving them, and the loopback fake GitHub API of the Rust
tests (tests/support/fake_github.py)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENV = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", TZ="UTC")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path, monkeypatch):
    """Every test gets a cache directory of its own (`GITFLEET_CACHE_DIR`, read when a session
    starts). In the user's `~/.cache/gitfleet`, GitHub answers were kept from run to run, keyed
    by URL: a later fake server that happened to get the same port answered the stored ETag
    with a 304, which costs no quota, so a test of a spent token failed at random."""
    monkeypatch.setenv("GITFLEET_CACHE_DIR", str(tmp_path / "gitfleet-cache"))


def git(repo, *args, env=None):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env or ENV).stdout


def commit(repo, message, author, date):
    """Commits what is staged, as `author` ("Name <email>") at `date` (ISO 8601, with offset)."""
    env = dict(ENV, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, GIT_COMMITTER_NAME="C",
               GIT_COMMITTER_EMAIL="c@example.com")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, f"--author={author}", env=env)


def blame_porcelain(repo, path, rev="HEAD"):
    """`git blame --porcelain` as (final_line_no, sha, orig_line_no, author, email, content)."""
    out = subprocess.run(["git", "-C", str(repo), "blame", "--porcelain", rev, "--", path], check=True,
                         capture_output=True, env=ENV).stdout.decode()
    lines, info, current = [], {}, None
    for line in out.split("\n"):
        parts = line.split(" ")
        if len(parts) >= 3 and len(parts[0]) == 40 and parts[1].isdigit():
            current = (parts[0], int(parts[1]), int(parts[2]))
            info.setdefault(parts[0], {})
        elif line.startswith("\t"):
            sha, orig, final = current
            lines.append({"final_line_no": final, "commit_id": sha, "orig_line_no": orig,
                          "author_name": info[sha]["author"], "author_email": info[sha]["author-mail"].strip("<>"),
                          "line_content": line[1:]})
        elif current and " " in line:
            key, value = line.split(" ", 1)
            info[current[0]].setdefault(key, value)
    return lines


@pytest.fixture(scope="session")
def repo(tmp_path_factory):
    """Twelve commits by two authors over three files."""
    path = tmp_path_factory.mktemp("repo")
    git(path, "init", "-q", "-b", "main")
    for i in range(12):
        (path / f"f{i % 3}.txt").write_text("".join(f"line {j} of {i}\n" for j in range(i + 1)))
        git(path, "add", "-A")
        commit(path, f"commit {i}", ["Ann <ann@example.com>", "Bob <bob@example.com>"][i % 2],
               f"2024-03-{i + 1:02d}T12:00:00+00:00")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, what):
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError(f"{what} did not start")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def git_daemon(tmp_path_factory):
    """(base directory, URL prefix): repositories put under the base are served as git://."""
    base = tmp_path_factory.mktemp("served")
    port = free_port()
    exec_path = subprocess.run(["git", "--exec-path"], check=True, capture_output=True, text=True).stdout.strip()
    daemon = subprocess.Popen([os.path.join(exec_path, "git-daemon"), "--reuseaddr", "--export-all",
                               "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}", str(base)],
                              env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, "git daemon")
        yield base, f"git://127.0.0.1:{port}"
    finally:
        daemon.kill()
        daemon.wait()


@pytest.fixture
def fake_github(tmp_path):
    """Starts the fake GitHub API; call it with extra flags (`--quota TOKEN=N`); returns
    (base URL, path of its request log)."""
    servers = []

    def start(*flags):
        port_file, log_file = tmp_path / f"port{len(servers)}", tmp_path / f"log{len(servers)}"
        log_file.write_text("")
        server = subprocess.Popen([sys.executable, str(ROOT / "tests/support/fake_github.py"), str(port_file),
                                   str(log_file), *flags])
        servers.append(server)
        deadline = time.time() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline:
                raise RuntimeError("fake GitHub did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{port_file.read_text().strip()}", log_file

    yield start
    for server in servers:
        server.kill()
        server.wait()
