#!/usr/bin/env python3
"""A loopback stand-in for GitHub's REST API, for tests/github.rs.

Speaks the real API's shapes: JSON bodies as GitHub documents them, `Link` pagination
(`per_page`, `page`), `X-RateLimit-*` headers per token, `ETag` / `If-None-Match` -> 304 (which
costs no quota), a 401 for unknown tokens, a primary limit (403 with remaining 0) when a
token's quota runs out, a secondary limit (403 + Retry-After) and a 502 on request.

  fake_github.py PORT_FILE LOG_FILE [--quota TOKEN=N]... [--secondary PATH]... [--flaky PATH]...
                 [--slow SECONDS] [--app ID:MODULUS_HEX] [--app-ttl SECONDS] [--app-revoke-first 1]

--slow makes every answer take that long (to see requests overlap).
--app makes it a GitHub App's server: JWTs signed with the RSA key of that modulus (exponent
65537) and issued by ID are checked as GitHub checks them (RS256, at most ten minutes, not
expired); /orgs|users/OWNER/installation name the installation on each owner (acme 101, wile
102) and POST /app/installations/ID/access_tokens mints `ghs_ID_NNNN...` tokens valid
--app-ttl seconds (default 3600), which read only their own owner's repositories;
--app-revoke-first 1 revokes the first token minted (401 Bad credentials from then on).
POST /graphql answers the two queries gh_pull_reviews sends (PullReviews, MoreReviews) from the
same pulls and reviews, with cursor pagination, `rateLimit { cost remaining resetAt }` as GitHub
reports it (a connection of N nodes costs N/100 requests; cost = requests / 100, at least 1),
and NOT_FOUND errors for unknown repositories. --graphql-points N is each token's GraphQL budget
(default 5000). --scale PULLS:REVIEWS adds owner `fleet` with repositories r0..r19, each with
PULLS pull requests of REVIEWS reviews (the REST vs GraphQL cost measurement).

Writes the port it listens on to PORT_FILE; appends one JSON line per request to LOG_FILE
(path, query, token, if_none_match, accept, status, start, end).
"""

import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKENS = {"tok_good_aaaaaaaa1111": "alice", "tok_good_bbbbbbbb2222": "bob"}
LIMIT = 5000
RESET = int(time.time()) + 3600


def iso(day, second=0):
    return f"2024-01-{day:02d}T00:00:{second:02d}Z"


def user(login, uid=1):
    return {"login": login, "id": uid, "type": "User", "site_admin": False}


def repo(owner, name, owner_type="Organization", **extra):
    body = {
        "id": abs(hash((owner, name))) % 100000,
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": {"login": owner, "id": 7, "type": owner_type},
        "private": False,
        "description": f"The {name}",
        "html_url": f"https://github.com/{owner}/{name}",
        "clone_url": f"https://github.com/{owner}/{name}.git",
        "default_branch": "main",
        "language": "Rust",
        "topics": ["git", "sql"],
        "license": {"key": "mit", "spdx_id": "MIT", "name": "MIT License"},
        "fork": False,
        "archived": name == "anvil",
        "visibility": "public",
        "stargazers_count": 42,
        "forks_count": 3,
        "watchers_count": 42,
        "open_issues_count": 5,
        "size": 1234,
        "created_at": iso(1),
        "updated_at": iso(2),
        "pushed_at": iso(3),
    }
    body.update(extra)
    return body


def issues(owner, name):
    out = []
    for n in range(1, 251):
        item = {
            "number": n,
            "title": f"{name} issue {n}",
            "state": "open" if n % 2 else "closed",
            "user": user("alice" if n % 3 else "bob"),
            "labels": [{"name": "bug"}, {"name": "p1"}] if n % 4 == 0 else [],
            "assignees": [user("carol")] if n % 10 == 0 else [],
            "comments": n % 7,
            "created_at": iso(1 + n % 28),
            "updated_at": iso(1 + n % 28, n % 60),
            "closed_at": None if n % 2 else iso(1 + n % 28),
            "body": f"body {n}",
        }
        if n % 5 == 0:
            item["pull_request"] = {"url": f"https://api.github.com/repos/{owner}/{name}/pulls/{n}"}
        out.append(item)
    return out


SCALE = None  # (pull requests per repository, reviews per pull request) of owner `fleet`


def scaled_pulls():
    pulls_per_repo, _ = SCALE
    return [{"number": n, "title": f"PR {n}", "state": "closed", "user": user("bob"), "draft": False,
             "base": {"ref": "main"}, "head": {"ref": f"f{n}"}, "created_at": iso(1 + n % 28),
             "updated_at": iso(1 + n % 28), "closed_at": None, "merged_at": None, "merge_commit_sha": None,
             "labels": []} for n in range(1, pulls_per_repo + 1)]


def scaled_reviews(n):
    _, per_pull = SCALE
    return [{"id": n * 1000 + i, "user": user(["alice", "carol"][i % 2]), "state": "APPROVED",
             "submitted_at": iso(10, i % 60), "commit_id": "c" * 40, "body": f"r{i}"} for i in range(per_pull)]


def pulls(owner, name):
    if owner == "fleet":
        return scaled_pulls()
    return [
        {
            "number": n,
            "title": f"PR {n}",
            "state": "closed" if n == 1 else "open",
            "user": user("bob"),
            "draft": n == 3,
            "base": {"ref": "main"},
            "head": {"ref": f"feature-{n}"},
            "created_at": iso(n),
            "updated_at": iso(n + 1),
            "closed_at": iso(n + 2) if n == 1 else None,
            "merged_at": iso(n + 2) if n == 1 else None,
            "merge_commit_sha": "a" * 40 if n == 1 else None,
            "labels": [{"name": "enhancement"}],
        }
        for n in (1, 2, 3)
    ]


def reviews(n):
    """A pull request's reviews: two on #1, 120 on #2 (two pages), none on #3."""
    count = {1: 2, 2: 120, 3: 0}[n]
    states = ["APPROVED", "COMMENTED", "CHANGES_REQUESTED", "DISMISSED"]
    return [
        {"id": n * 1000 + i, "user": user(["alice", "carol", "dave"][i % 3]), "state": states[i % 4],
         "submitted_at": iso(10 + i % 10, i % 60), "commit_id": str(n) * 40, "body": f"review {i}"}
        for i in range(count)
    ]


def pull_files(n):
    return [
        {"filename": f"src/f{n}.rs", "status": "modified", "additions": n, "deletions": 1, "changes": n + 1},
        {"filename": "docs/new.md", "previous_filename": "docs/old.md", "status": "renamed",
         "additions": 0, "deletions": 0, "changes": 0},
    ]


def comments(owner, name, only=None):
    """Three comments on each of issues 1-5, in creation order, each naming its issue by URL."""
    return [
        {"id": 900 + 10 * n + i, "user": user("bob" if i else "alice"),
         "issue_url": f"https://api.github.com/repos/{owner}/{name}/issues/{n}",
         "created_at": iso(n, i), "updated_at": iso(n, i + 1), "body": f"comment {i} on {n}"}
        for n in range(1, 6) if only in (None, n)
        for i in range(3)
    ]


def runs():
    """150 workflow runs (two pages): push or pull_request, on main or dev."""
    return [
        {"id": 5000 + i, "workflow_id": 7, "name": "CI", "event": "pull_request" if i % 3 == 0 else "push",
         "status": "in_progress" if i % 4 == 0 else "completed",
         "conclusion": None if i % 4 == 0 else ("failure" if i % 5 == 0 else "success"),
         "head_branch": "main" if i % 2 else "dev", "head_sha": f"{i:040x}", "run_attempt": 1 + i % 2,
         "created_at": iso(1 + i % 28), "run_started_at": iso(1 + i % 28, 5), "updated_at": iso(1 + i % 28, 50),
         "actor": user("alice")}
        for i in range(150)
    ]


def jobs(run_id):
    return [
        {"id": run_id * 10 + j, "run_id": run_id, "run_attempt": 1 + j, "name": ["build", "test"][j], "status": "completed",
         "conclusion": "success", "started_at": iso(2, j), "completed_at": iso(2, j + 30), "runner_name": f"runner-{j}"}
        for j in range(2)
    ]


def check_runs(sha):
    if sha != "1" * 40:
        return []
    return [
        {"id": 71 + k, "name": ["lint", "unit"][k], "status": "completed", "conclusion": ["success", "failure"][k],
         "started_at": iso(4, k), "completed_at": iso(4, k + 9), "app": {"slug": "github-actions"}, "head_sha": sha}
        for k in range(2)
    ]


REPOS = {("acme", "rocket"), ("acme", "anvil"), ("wile", "trap")}
OWNERS = {"acme": "Organization", "wile": "User"}
INSTALLATIONS = {"acme": 101, "wile": 102}


def b64url(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_problem(jwt, app):
    """Why GitHub would refuse `jwt` for `app` (id, modulus), or None: RS256 over
    header.payload with PKCS#1 v1.5 padding and SHA-256, issued by the App, at most ten minutes
    long and not expired."""
    try:
        head, payload, signature = jwt.split(".")
        header, claims = json.loads(b64url(head)), json.loads(b64url(payload))
    except Exception:
        return "A JSON web token could not be decoded"
    app_id, n = app
    if header.get("alg") != "RS256":
        return "'alg' must be RS256"
    k = (n.bit_length() + 7) // 8
    digest = hashlib.sha256(f"{head}.{payload}".encode()).digest()
    info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    expected = b"\x00\x01" + b"\xff" * (k - 3 - len(info)) + b"\x00" + info
    if pow(int.from_bytes(b64url(signature), "big"), 65537, n).to_bytes(k, "big") != expected:
        return "A JSON web token could not be decoded"
    now = time.time()
    if str(claims.get("iss")) != app_id:
        return "'Issuer' claim ('iss') must be an Integer"
    if not (claims["iat"] <= now + 60 and claims["exp"] > now and claims["exp"] - claims["iat"] <= 600):
        return "'Expiration time' claim ('exp') is too far in the future"
    return None


def review_list(owner, n):
    if owner == "fleet":
        return scaled_reviews(n) if 1 <= n <= SCALE[0] else []
    return reviews(n) if n in (1, 2, 3) else []


def connection(items, start, first, node):
    page = items[start:start + first]
    return {"pageInfo": {"hasNextPage": start + first < len(items), "endCursor": str(start + first)},
            "nodes": [node(i) for i in page]}


def review_node(r):
    return {"databaseId": r["id"], "state": r["state"], "submittedAt": r["submitted_at"], "body": r["body"],
            "author": {"login": r["user"]["login"]}, "commit": {"oid": r["commit_id"]}}


def graphql(state, token, body):
    """The answer to gh_pull_reviews' two queries, and the log's description of the request."""
    query, variables = body.get("query", ""), body.get("variables") or {}
    owner, name = variables.get("owner"), variables.get("name")
    more = "pullRequest(number" in query
    op = ("MoreReviews" if more else "PullReviews") + f" {owner}/{name} after={variables.get('after')}"
    start = int(variables.get("after") or 0)
    if more:
        cost, nodes = 1, None
    else:
        # GitHub's formula: one request for the pull requests' connection, one per pull request
        # for its reviews' connection; a hundred requests cost a point.
        page = sorted(pulls(owner, name), key=lambda p: p["number"])[start:start + 100] if (owner, name) in REPOS else []
        cost = max(1, round((1 + len(page)) / 100))
    with state.lock:
        left = state.graphql_points.get(token, state.graphql_budget)
        if left < cost:
            return {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]}, op
        left -= cost
        state.graphql_points[token] = left
    rate = {"cost": cost, "remaining": left, "resetAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(RESET))}
    if (owner, name) not in REPOS:
        return {"data": {"rateLimit": rate, "repository": None},
                "errors": [{"type": "NOT_FOUND", "path": ["repository"],
                            "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."}]}, op
    if more:
        reviews_page = connection(review_list(owner, variables["number"]), start, 100, review_node)
        return {"data": {"rateLimit": rate, "repository": {"pullRequest": {"reviews": reviews_page}}}}, op
    everything = sorted(pulls(owner, name), key=lambda p: p["number"])

    def pull_node(p):
        return {"number": p["number"], "reviews": connection(review_list(owner, p["number"]), 0, 100, review_node)}

    return {"data": {"rateLimit": rate,
                     "repository": {"pullRequests": connection(everything, start, 100, pull_node)}}}, op


def request_owner(path):
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in ("repos", "orgs", "users"):
        return parts[1]
    return None


def listing(path):
    """The full list (or object) a path answers with, or None for 404."""
    parts = path.strip("/").split("/")
    if parts == ["user"]:
        return "user"
    if parts == ["rate_limit"]:
        return "rate_limit"
    if len(parts) == 2 and parts[0] == "users" and parts[1] in OWNERS:
        return {"login": parts[1], "id": 7, "type": OWNERS[parts[1]]}
    if len(parts) == 3 and parts[0] in ("users", "orgs") and parts[2] == "repos":
        owner = parts[1]
        return [repo(o, n, OWNERS[o]) for (o, n) in sorted(REPOS) if o == owner]
    if len(parts) >= 3 and parts[0] == "repos" and (parts[1], parts[2]) in REPOS:
        owner, name = parts[1], parts[2]
        rest = parts[3:]
        if not rest:
            return repo(owner, name, OWNERS[owner])
        kind = rest[0]
        if kind == "pulls" and len(rest) == 3 and rest[2] == "reviews" and owner == "fleet":
            n = int(rest[1])
            return scaled_reviews(n) if 1 <= n <= SCALE[0] else None
        if kind == "pulls" and len(rest) == 3 and rest[2] in ("reviews", "files"):
            n = int(rest[1])
            if n not in (1, 2, 3):
                return None
            return reviews(n) if rest[2] == "reviews" else pull_files(n)
        if kind == "issues" and rest[1:] == ["comments"]:
            return comments(owner, name)
        if kind == "issues" and len(rest) == 3 and rest[2] == "comments":
            return comments(owner, name, int(rest[1]))
        if rest == ["actions", "runs"]:
            return ("workflow_runs", runs())
        if kind == "actions" and len(rest) == 4 and rest[1] == "runs" and rest[3] == "jobs":
            run = int(rest[2])
            if not any(r["id"] == run for r in runs()):
                return None
            return ("jobs", jobs(run))
        if kind == "commits" and len(rest) == 3 and rest[2] == "check-runs":
            return ("check_runs", check_runs(rest[1]))
        if kind == "issues":
            return issues(owner, name)
        if kind == "pulls":
            return pulls(owner, name)
        if kind == "contributors":
            return [dict(user("alice", 1), contributions=30), dict(user("bob", 2), contributions=12)]
        if kind == "branches":
            return [
                {"name": "main", "commit": {"sha": "1" * 40}, "protected": True},
                {"name": "dev", "commit": {"sha": "2" * 40}, "protected": False},
            ]
        if kind == "releases":
            return [
                {"id": 11, "tag_name": "v1.0", "name": "One", "draft": False, "prerelease": False,
                 "author": user("alice"), "created_at": iso(5), "published_at": iso(6)},
            ]
        if kind == "stargazers":
            return "stargazers"
    return None


class State:
    def __init__(self, quotas, secondary, flaky, log_path, slow=0.0, app=None, app_ttl=3600, revoke_first=False,
                 graphql_budget=5000):
        self.lock = threading.Lock()
        self.slow = slow
        self.app = app
        self.app_ttl = app_ttl
        self.minted = {}  # token -> installation id
        self.revoke_first = revoke_first
        self.graphql_budget = graphql_budget
        self.graphql_points = {}
        self.remaining = {t: quotas.get(t, LIMIT) for t in TOKENS}
        self.remaining[None] = 60
        self.secondary = set(secondary)
        self.flaky = set(flaky)
        self.log_path = log_path

    def log(self, entry):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        state = self.server.state
        url = urlparse(self.path)
        query = parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        entry = {"start": time.time(), "path": url.path, "query": url.query, "token": token,
                 "if_none_match": self.headers.get("If-None-Match"),
                 "accept": self.headers.get("Accept")}

        def send(status, body, headers=None):
            data = b"" if status == 304 else json.dumps(body).encode()
            if state.slow:
                time.sleep(state.slow)
            entry["status"] = status
            entry["end"] = time.time()
            state.log(entry)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        parts = url.path.strip("/").split("/")
        if state.app and len(parts) == 3 and parts[0] in ("orgs", "users") and parts[2] == "installation":
            problem = jwt_problem(token or "", state.app)
            if problem:
                return send(401, {"message": problem})
            owner = parts[1]
            kind = "orgs" if OWNERS.get(owner) == "Organization" else "users"
            if owner not in INSTALLATIONS or parts[0] != kind:
                return send(404, {"message": "Not Found"})
            return send(200, {"id": INSTALLATIONS[owner], "account": {"login": owner}, "app_id": int(state.app[0])})
        if token is not None and token not in TOKENS:
            return send(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        if token in state.minted:
            # An installation token reads its own owner's repositories only.
            owner = request_owner(url.path)
            if owner is not None and INSTALLATIONS.get(owner) != state.minted[token]:
                return send(404, {"message": "Not Found"})
        with state.lock:
            if url.path in state.flaky:
                state.flaky.discard(url.path)
                flaky = True
            else:
                flaky = False
            if url.path in state.secondary:
                state.secondary.discard(url.path)
                secondary = True
            else:
                secondary = False
        if flaky:
            return send(502, {"message": "Server Error"})
        if secondary:
            return send(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
                        {"Retry-After": "1"})

        limit = 60 if token is None else LIMIT

        def rate_headers(remaining):
            return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                    "X-RateLimit-Used": str(limit - remaining), "X-RateLimit-Reset": str(RESET),
                    "X-RateLimit-Resource": "core"}

        body = listing(url.path)
        if body == "rate_limit":
            remaining = state.remaining[token]
            core = {"limit": limit, "remaining": remaining, "used": limit - remaining, "reset": RESET}
            return send(200, {"resources": {"core": core, "search": {"limit": 30, "remaining": 30, "used": 0, "reset": RESET}},
                              "rate": core}, rate_headers(remaining))
        with state.lock:
            if state.remaining[token] <= 0:
                exhausted = True
            else:
                exhausted = False
        if exhausted:
            return send(403, {"message": "API rate limit exceeded for user.", "documentation_url": "https://docs.github.com/rest"},
                        rate_headers(0))
        if body is None:
            return send(404, {"message": "Not Found"}, rate_headers(state.remaining[token]))
        if body == "user":
            if token is None:
                return send(401, {"message": "Requires authentication"})
            body = dict(user(TOKENS[token], 99), name=TOKENS[token].title(), email=None, company="ACME",
                        location=None, bio=None, public_repos=1, followers=2, following=3,
                        html_url=f"https://github.com/{TOKENS[token]}", created_at=iso(1))
        if body == "stargazers":
            stars = [{"starred_at": iso(10 + i), "user": user(f"fan{i}", 100 + i)} for i in range(3)]
            star_media = "star+json" in (self.headers.get("Accept") or "")
            body = stars if star_media else [s["user"] for s in stars]
        link = None
        # Listings whose items sit under a key of an object (`workflow_runs`), paginated the same.
        wrapped = None
        if isinstance(body, tuple):
            wrapped, body = body
            if "status" in query:
                body = [b for b in body if query["status"][0] in (b["status"], b.get("conclusion"))]
            if "branch" in query:
                body = [b for b in body if b["head_branch"] == query["branch"][0]]
            if "event" in query:
                body = [b for b in body if b["event"] == query["event"][0]]
            total = len(body)
        if isinstance(body, list):
            state_filter = query.get("state", ["open"])[0]
            if "state" in query or url.path.endswith(("/issues", "/pulls")):
                if state_filter in ("open", "closed"):
                    body = [b for b in body if b.get("state") == state_filter]
            if "since" in query:
                body = [b for b in body if b["updated_at"] >= query["since"][0]]
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            pages = max(1, -(-len(body) // per_page))
            body = body[(page - 1) * per_page: page * per_page]
            base = f"http://127.0.0.1:{self.server.server_port}{url.path}"
            others = {k: v[0] for k, v in query.items() if k != "page"}
            def page_url(p):
                return base + "?" + "&".join([f"{k}={v}" for k, v in others.items()] + [f"page={p}"])
            rels = []
            if page < pages:
                rels.append(f'<{page_url(page + 1)}>; rel="next"')
                rels.append(f'<{page_url(pages)}>; rel="last"')
            if page > 1:
                rels.append(f'<{page_url(1)}>; rel="first"')
                rels.append(f'<{page_url(page - 1)}>; rel="prev"')
            link = ", ".join(rels) or None
        if wrapped:
            body = {"total_count": total, wrapped: body}
        etag = '"' + hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            # Conditional hits cost no quota.
            return send(304, {}, dict(rate_headers(state.remaining[token]), ETag=etag))
        with state.lock:
            state.remaining[token] -= 1
            remaining = state.remaining[token]
        headers = dict(rate_headers(remaining), ETag=etag)
        if link:
            headers["Link"] = link
        return send(200, body, headers)


    def do_POST(self):  # noqa: N802
        """POST /app/installations/ID/access_tokens: a new installation token for a valid JWT."""
        state = self.server.state
        auth = self.headers.get("Authorization", "")
        jwt = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        parts = urlparse(self.path).path.strip("/").split("/")
        entry = {"start": time.time(), "path": urlparse(self.path).path, "query": "", "token": "(jwt)",
                 "if_none_match": None, "accept": self.headers.get("Accept")}
        status, body = 404, {"message": "Not Found"}
        if parts == ["graphql"]:
            token = jwt or None
            entry["token"] = token
            if token is None or token not in TOKENS:
                status, body = 401, {"message": "This endpoint requires you to be authenticated."}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                body, entry["query"] = graphql(state, token, request)
                entry["graphql"] = request.get("query", "")
                entry["cost"] = (body.get("data") or {}).get("rateLimit", {}).get("cost", 0)
                status = 200
        elif state.app and len(parts) == 4 and parts[:2] == ["app", "installations"] and parts[3] == "access_tokens":
            problem = jwt_problem(jwt, state.app)
            if problem:
                status, body = 401, {"message": problem}
            elif int(parts[2]) in INSTALLATIONS.values():
                with state.lock:
                    token = f"ghs_{parts[2]}_{len(state.minted) + 1:04d}" + "s" * 24
                    state.minted[token] = int(parts[2])
                    if not (state.revoke_first and len(state.minted) == 1):
                        TOKENS[token] = "gitfleet-app[bot]"
                    state.remaining[token] = LIMIT
                expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + state.app_ttl))
                status, body = 201, {"token": token, "expires_at": expires, "permissions": {"contents": "read"}}
        data = json.dumps(body).encode()
        entry["status"], entry["end"] = status, time.time()
        state.log(entry)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that stops a query (--strict, LIMIT) hangs up on answers in flight.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    port_file, log_file = sys.argv[1], sys.argv[2]
    global SCALE
    quotas, secondary, flaky, slow, app, app_ttl, revoke_first = {}, [], [], 0.0, None, 3600, False
    graphql_budget = 5000
    args = sys.argv[3:]
    while args:
        flag, value = args[0], args[1]
        args = args[2:]
        if flag == "--quota":
            token, n = value.split("=")
            quotas[token] = int(n)
        elif flag == "--secondary":
            secondary.append(value)
        elif flag == "--flaky":
            flaky.append(value)
        elif flag == "--slow":
            slow = float(value)
        elif flag == "--app":
            app_id, modulus = value.split(":")
            app = (app_id, int(modulus, 16))
        elif flag == "--app-ttl":
            app_ttl = int(value)
        elif flag == "--graphql-points":
            graphql_budget = int(value)
        elif flag == "--scale":
            pulls_per_repo, per_pull = value.split(":")
            SCALE = (int(pulls_per_repo), int(per_pull))
            OWNERS["fleet"] = "Organization"
            REPOS.update(("fleet", f"r{i}") for i in range(20))
        elif flag == "--app-revoke-first":
            revoke_first = value == "1"
    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(quotas, secondary, flaky, log_file, slow, app, app_ttl, revoke_first, graphql_budget)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_port))
    import os
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
