#!/usr/bin/env bash
# Blame of a sample of a real repository's files: gitfleet's `blame` table against a loop of
# `git blame --porcelain`, on the same files, with wall and CPU seconds and peak RSS of each,
# and the lines each counted (git also "blames" binary files and submodules, which the table
# leaves out). Usage: benches/blame_sample.sh REPO [EVERY_NTH_FILE] [GITFLEET_BINARY]
# EVERY_NTH_FILE=1: every file at HEAD (`SELECT count(*) FROM blame`).
set -euo pipefail
repo=$(cd "$1" && pwd)
every=${2:-45}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/target}/release/gitfleet}
sample=$(mktemp)
sql=$(mktemp)
trap 'rm -f "$sample" "$sql"' EXIT
git -C "$repo" ls-tree -r --name-only HEAD | awk -v n="$every" 'NR % n == 0' > "$sample"
echo "$(wc -l < "$sample") files (every ${every}th of HEAD)"
if [ "$every" = 1 ]; then
  echo "SELECT count(*) AS lines FROM blame" > "$sql"
else
  echo "SELECT count(*) AS lines FROM blame WHERE path IN ($(sed "s/'/''/g; s/.*/'&'/" "$sample" | paste -sd, -))" > "$sql"
fi
/usr/bin/time -f "gitfleet: %e s wall, %U+%S CPU-s, %M KB peak" \
  "$bin" -r "$repo" sql --format csv -f "$sql" | tail -1 |
  sed 's/^/gitfleet lines: /'
export repo sample
/usr/bin/time -f "git loop: %e s wall, %U+%S CPU-s, %M KB peak" bash -c '
  n=0
  while IFS= read -r f; do
    n=$((n + $(git -C "$repo" blame --porcelain HEAD -- "$f" 2>/dev/null | grep -c "^	" || true)))
  done < "$sample"
  echo "git lines: $n"'
