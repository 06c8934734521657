#!/usr/bin/env python3
"""Every line of gitfleet's blame of a real repository against `git blame --porcelain`.

Usage: benches/blame_equal.py REPO [GITFLEET_BINARY or ""] [PATH_PREFIX]

Blames every text file at HEAD (or those under PATH_PREFIX) both ways and compares, line by
line, the commit, the original path and the original line number. Prints the first
differences and a summary; exits 1 if any line differs. git.git's whole HEAD takes about six
minutes, nearly all of it git's loop.
"""
import csv
import io
import os
import subprocess
import sys


def git_blame(repo, path):
    """{final line: (commit, original path, original line)} from `git blame --porcelain`."""
    out = subprocess.run(
        ["git", "-C", repo, "blame", "--porcelain", "HEAD", "--", path],
        capture_output=True, check=True,
    ).stdout.decode("utf-8", "replace")
    names, lines, group = {}, {}, None
    for line in out.split("\n"):
        if line.startswith("\t"):
            sha, orig, final = group
            lines[final] = (sha, names[sha], orig)
            continue
        parts = line.split(" ")
        if len(parts) >= 3 and len(parts[0]) in (40, 64) and parts[1].isdigit() and parts[2].isdigit():
            group = (parts[0], int(parts[1]), int(parts[2]))
        elif parts[0] == "filename":
            # Printed with a commit's first group only (unless it has several paths).
            names[group[0]] = line[len("filename "):]
    return lines


def main():
    repo = os.path.abspath(sys.argv[1])
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "target"))
    binary = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else os.path.join(target, "release", "gitfleet")
    prefix = sys.argv[3] if len(sys.argv) > 3 else ""
    where = f" WHERE path LIKE '{prefix.replace(chr(39), chr(39) * 2)}%'" if prefix else ""
    sql = f"SELECT path, line_no, sha, orig_path, orig_line_no FROM blame{where}"
    out = subprocess.run([binary, "-q", "-r", repo, "sql", "--format", "csv", sql],
                         capture_output=True, check=True).stdout.decode()
    ours = {}
    for path, line_no, sha, orig_path, orig_line in list(csv.reader(io.StringIO(out)))[1:]:
        ours.setdefault(path, {})[int(line_no)] = (sha, orig_path, int(orig_line))
    differences = lines = 0
    for path in sorted(ours):
        theirs = git_blame(repo, path)
        mine = ours[path]
        lines += len(theirs)
        for final in sorted(set(theirs) | set(mine)):
            if theirs.get(final) != mine.get(final):
                differences += 1
                if differences <= 10:
                    print(f"{path}:{final}: git {theirs.get(final)}, gitfleet {mine.get(final)}")
    print(f"{len(ours)} files, {lines} lines, {differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
