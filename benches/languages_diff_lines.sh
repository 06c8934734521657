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
git -C "$repo" archive HEAD | tar -x -m -C "$work/tree"
if command -v tokei >/dev/null; then
  measure "tokei" tokei --files --output json "$work/tree"
  mv "$work/out" "$work/tokei.json"
  "$bin" -r "$repo" sql --format csv \
    "SELECT path, code_lines, comment_lines, blank_lines FROM files WHERE code_lines IS NOT NULL" > "$work/files.csv"
  python3 - "$work/tokei.json" "$work/files.csv" "$work/tree/" <<'PY'
import csv, json, sys
def total(stats):
    c, m, b = stats["code"], stats["comments"], stats["blanks"]
    for children in stats.get("blobs", {}).values():
        cc, cm, cb = total(children)
        c, m, b = c + cc, m + cm, b + cb
    return c, m, b
tokei = {}
for language, v in json.load(open(sys.argv[1])).items():
    for report in v.get("reports", []):
        tokei[report["name"].removeprefix(sys.argv[3])] = total(report["stats"])
ours = {r["path"]: (int(r["code_lines"]), int(r["comment_lines"]), int(r["blank_lines"]))
        for r in csv.DictReader(open(sys.argv[2]))}
both = set(tokei) & set(ours)
differ = sorted(p for p in both if tokei[p] != ours[p])
print(f"files counted: gitfleet {len(ours)}, tokei {len(tokei)}, both {len(both)}; "
      f"equal code/comment/blank lines on {len(both) - len(differ)} of {len(both)}")
for p in differ[:10]:
    print(f"  {p}: gitfleet {ours[p]}, tokei {tokei[p]}")
only = sorted(set(ours) - set(tokei))
print(f"only gitfleet: {len(only)} (tokei skips hidden files by default; a #! script tokei reads from "
      f"disk is counted by linguist's language here)", only[:3])
only = sorted(set(tokei) - set(ours))
print(f"only tokei: {len(only)}", only[:3])
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
