#!/usr/bin/env bash
# The line-level tables on a real or generated repository, each next to the tool users would
# otherwise run, with wall and CPU seconds and peak RSS (/usr/bin/time), and the answers
# compared:
#   - `SELECT count(*) FROM diff_lines` against `git log -p -U0 --diff-merges=first-parent`
#     (its `-`/`+` lines: rows must equal them);
#   - the `languages` analysis (linguist classification and tokei's counts of every file at
#     HEAD) against `tokei` on a checkout of HEAD and `github-linguist --breakdown`.
# Usage: benches/languages_diff_lines.sh REPO [GITFLEET_BINARY]
# tokei and github-linguist are run when installed (`cargo install tokei`, apt
# ruby-github-linguist); the checkout goes to a temporary directory.
set -euo pipefail
repo=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-${CARGO_TARGET_DIR:-$here/target}/release/gitfleet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { # label command...: the command's stdout to $work/out, its cost to stderr
  local label=$1
  shift
  /usr/bin/time -f "$label: %e s wall, %U+%S CPU-s, %M KB peak" "$@" > "$work/out"
}

echo "== $repo: $(git -C "$repo" rev-list --count HEAD) commits, $(git -C "$repo" ls-tree -r HEAD | wc -l) files at HEAD"
echo "-- diff_lines"
measure "gitfleet diff_lines" "$bin" -r "$repo" sql --format csv "SELECT count(*) AS n FROM diff_lines"
ours=$(tail -1 "$work/out")
# Counted in one pass: `-`/`+` lines inside hunks, not the `---`/`+++` file headers.
measure "git log -p -U0" bash -c "git -C '$repo' log -p -U0 --diff-merges=first-parent --format=%x01 |
  LC_ALL=C awk '/^diff --git /{h=1} /^@@/{h=0; next} !h && /^[-+]/{n++} END{print n+0}'"
echo "rows: gitfleet $ours, git $(cat "$work/out") (the -/+ lines of its hunks)"

echo "-- languages"
measure "gitfleet languages" "$bin" -r "$repo" run languages --format csv
cp "$work/out" "$work/languages.csv"
mkdir "$work/tree"
git -C "$repo" archive HEAD | tar -x -C "$work/tree"
if command -v tokei >/dev/null; then
  measure "tokei" tokei --output json "$work/tree"
  python3 - "$work/out" "$work/languages.csv" <<'PY'
import csv, json, sys
tokei = json.load(open(sys.argv[1]))
code = {k: v["code"] for k, v in tokei.items() if k != "Total"}
ours = {r["language"]: int(r["code_lines"] or 0) for r in csv.DictReader(open(sys.argv[2]))}
print("code lines:", "gitfleet", sum(ours.values()), "(languages in GitHub's bar)",
      "tokei", sum(code.values()), "(every file tokei knows, vendored and docs included)")
for name in sorted(ours, key=lambda n: -ours[n])[:8]:
    print(f"  {name}: gitfleet {ours[name]}, tokei {code.get(name, '-')}")
PY
fi
if command -v github-linguist >/dev/null; then
  measure "github-linguist --breakdown" bash -c "cd '$repo' && github-linguist --breakdown --json"
  python3 - "$work/out" "$work/languages.csv" <<'PY'
import csv, json, sys
theirs = {k: (v["size"], len(v["files"])) for k, v in json.load(open(sys.argv[1])).items()}
ours = {r["language"]: (int(r["bytes"]), int(r["files"])) for r in csv.DictReader(open(sys.argv[2]))}
same = sorted(k for k in theirs if ours.get(k) == theirs[k])
print(f"languages equal to linguist's (bytes and files): {len(same)} of {len(theirs)}")
for k in sorted(set(theirs) | set(ours)):
    if ours.get(k) != theirs.get(k):
        print(f"  {k}: gitfleet {ours.get(k)}, linguist {theirs.get(k)}")
PY
fi
