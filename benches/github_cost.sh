#!/usr/bin/env bash
# Requests and quota to read every pull request's reviews of 20 repositories with 300 pull
# requests each (3 reviews apiece), REST against GraphQL, on the loopback fake GitHub
# (tests/support/fake_github.py --scale): REST quota is one point a request; GraphQL's is the
# cost GitHub's formula gives, as the fake's `rateLimit` reports it.
# Usage: benches/github_cost.sh [PULLS] [REVIEWS] [GITFLEET_BINARY]
set -euo pipefail
pulls=${1:-300}
reviews=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/target}/debug/gitfleet}
work=$(mktemp -d)
trap 'kill $fake 2>/dev/null || true; rm -rf "$work"' EXIT
# The token's REST quota is raised past GitHub's 5,000 an hour: the REST side needs more than
# that (with 5,000 it would wait an hour for the reset, as it would against GitHub).
python3 "$here/tests/support/fake_github.py" "$work/port" "$work/log" --scale "$pulls:$reviews" \
  --quota tok_good_aaaaaaaa1111=1000000 &
fake=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
port=$(cat "$work/port")
repos=$(for i in $(seq 0 19); do printf "'r%d'," "$i"; done | sed 's/,$//')
sql="SELECT count(*) AS reviews FROM gh_pull_reviews WHERE owner = 'fleet' AND repo IN ($repos)"
for mode in rest graphql; do
  : > "$work/log"
  graphql=on
  [ "$mode" = rest ] && graphql=off
  start=$(date +%s.%N)
  rows=$(GITHUB_API_URL="http://127.0.0.1:$port" GITFLEET_CACHE_DIR="$work/cache-$mode" \
    GITFLEET_GITHUB_TOKENS=tok_good_aaaaaaaa1111 GITFLEET_GITHUB_GRAPHQL=$graphql \
    "$bin" sql --format csv "$sql" | tail -1)
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  python3 - "$work/log" "$mode" "$rows" "$secs" <<'PY'
import json, sys
log, mode, rows, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
entries = [json.loads(l) for l in open(log)]
graphql = [e for e in entries if e["path"] == "/graphql"]
rest = [e for e in entries if e["path"] != "/graphql"]
points = sum(e.get("cost", 0) for e in graphql)
print(f"{mode:8} {rows} reviews: {len(entries)} requests: {len(rest)} REST ({len(rest)} of the 5,000 "
      f"core points an hour), {len(graphql)} GraphQL ({points} of the 5,000 GraphQL points an hour); {secs:.1f} s")
PY
done
