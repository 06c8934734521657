//! The `gh_*` tables against a fake GitHub on 127.0.0.1 (`tests/support/fake_github.py`) that
//! speaks the real API's headers: Link pagination, X-RateLimit-*, ETag/304, Retry-After, 401,
//! 502. Each test asserts the rows, the requests made (count, query, headers, token) and that
//! no token leaks into output, errors or the cache directory.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

const ALICE: &str = "tok_good_aaaaaaaa1111";
const BOB: &str = "tok_good_bbbbbbbb2222";
const BAD: &str = "tok_bad_cccccccc3333";

struct FakeGitHub {
    child: Child,
    port: u16,
    log: PathBuf,
    dir: PathBuf,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Request {
    path: String,
    query: String,
    token: Option<String>,
    if_none_match: Option<String>,
    accept: String,
    status: u16,
    start: f64,
    end: f64,
}

impl FakeGitHub {
    fn start(name: &str, args: &[&str]) -> Self {
        let dir = scratch_dir(&format!("github-{name}"));
        let port_file = dir.join("port");
        let log = dir.join("requests.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_github.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(&port_file)
            .arg(&log)
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let start = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                break text.trim().parse().unwrap();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "fake GitHub did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        FakeGitHub {
            child,
            port,
            log,
            dir,
        }
    }

    fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<Request> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let s = |k: &str| v[k].as_str().map(str::to_string);
                Request {
                    path: s("path").unwrap(),
                    query: s("query").unwrap_or_default(),
                    token: s("token"),
                    if_none_match: s("if_none_match"),
                    accept: s("accept").unwrap_or_default(),
                    status: v["status"].as_u64().unwrap() as u16,
                    start: v["start"].as_f64().unwrap(),
                    end: v["end"].as_f64().unwrap(),
                }
            })
            .collect()
    }

    fn clear_log(&self) {
        let _ = std::fs::remove_file(&self.log);
    }

    /// `gitfleet sql --format csv SQL` with this server as GitHub and `tokens`.
    fn sql(&self, tokens: &[&str], extra: &[&str], sql: &str) -> Output {
        self.sql_with(tokens, &[], extra, sql)
    }

    /// [`FakeGitHub::sql`] with more environment variables.
    fn sql_with(&self, tokens: &[&str], envs: &[(&str, &str)], extra: &[&str], sql: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
        cmd.envs(envs.iter().copied());
        cmd.env("GITHUB_API_URL", self.api())
            .env("GITFLEET_CACHE_DIR", self.dir.join("cache"))
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITFLEET_GITHUB_TOKENS");
        if !tokens.is_empty() {
            cmd.env("GITFLEET_GITHUB_TOKENS", tokens.join(","));
        }
        cmd.args(extra).args(["sql", "--format", "csv", sql]);
        let out = cmd.output().expect("gitfleet runs");
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for secret in [ALICE, BOB, BAD] {
            assert!(!all.contains(secret), "a token leaked into the output:\n{all}");
        }
        out
    }

    fn rows(&self, tokens: &[&str], sql: &str) -> Vec<String> {
        let out = self.sql(tokens, &[], sql);
        assert!(out.status.success(), "{sql}\n{}", text(&out.stderr));
        text(&out.stdout).lines().skip(1).map(str::to_string).collect()
    }

    /// No token in any file under the cache directory.
    fn assert_cache_has_no_secret(&self) {
        for entry in walk(&self.dir.join("cache")) {
            let content = std::fs::read_to_string(&entry).unwrap_or_default();
            for secret in [ALICE, BOB, BAD] {
                assert!(!content.contains(secret), "token in {}", entry.display());
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn issues_follow_link_pagination_skip_pull_requests_and_push_state_and_since_down() {
    let gh = FakeGitHub::start("issues", &[]);
    let rows = gh.rows(&[ALICE], "SELECT count(*), count(DISTINCT number), min(number), max(number) FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket'");
    // 250 items, every fifth a pull request.
    assert_eq!(rows, vec!["200,200,1,249"]);
    let requests = gh.requests();
    let pages: Vec<&Request> = requests
        .iter()
        .filter(|r| r.path == "/repos/acme/rocket/issues")
        .collect();
    assert_eq!(pages.len(), 3, "{requests:?}");
    assert_eq!(pages[0].query, "per_page=100&state=all");
    assert_eq!(
        pages[1].query, "per_page=100&state=all&page=2",
        "the Link target, as given"
    );
    assert_eq!(pages[2].query, "per_page=100&state=all&page=3");
    assert!(pages
        .iter()
        .all(|r| r.token.as_deref() == Some(ALICE) && r.accept == "application/vnd.github+json"));

    // Columns, from the documented shapes.
    let rows = gh.rows(&[ALICE], "SELECT number, title, state, author, labels, assignees, comments, created_at, closed_at, body, repo_url FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket' AND number IN (8, 10)");
    assert_eq!(
        rows,
        vec![
            "8,rocket issue 8,closed,alice,\"[bug, p1]\",[],1,2024-01-09T00:00:00Z,2024-01-09T00:00:00Z,body 8,https://github.com/acme/rocket",
        ],
        "number 10 is a pull request"
    );

    gh.clear_log();
    let rows = gh.rows(
        &[ALICE],
        "SELECT count(*) FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket' AND state = 'open'",
    );
    assert_eq!(rows, vec!["100"]);
    let requests = gh.requests();
    assert!(
        requests.iter().all(|r| r.query.contains("state=open")),
        "{requests:?}"
    );
    assert_eq!(requests.len(), 2);

    // since: a lower bound on updated_at, sent to the API and still checked here.
    gh.clear_log();
    let rows = gh.rows(&[ALICE], "SELECT count(*) FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket' AND updated_at >= TIMESTAMP '2024-01-27T00:00:30Z'");
    let expected = (1..=250)
        .filter(|n| n % 5 != 0)
        .filter(|n| (1 + n % 28, n % 60) >= (27, 30))
        .count();
    assert_eq!(rows, vec![expected.to_string()]);
    assert!(
        gh.requests()[0].query.contains("since=2024-01-27T00:00:30Z"),
        "{:?}",
        gh.requests()
    );

    // LIMIT stops after the first page.
    gh.clear_log();
    let rows = gh.rows(
        &[ALICE],
        "SELECT number FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket' LIMIT 5",
    );
    assert_eq!(rows.len(), 5);
    assert_eq!(gh.requests().len(), 1);
    gh.assert_cache_has_no_secret();
}

#[test]
fn every_table_reads_its_endpoint() {
    let gh = FakeGitHub::start("tables", &[]);
    let q = |sql: &str| gh.rows(&[ALICE], sql);
    assert_eq!(
        q("SELECT owner, name, full_name, language, topics, license, is_fork, is_archived, stargazers_count, size_kb, pushed_at, repo_url FROM gh_repos WHERE owner = 'acme' AND name = 'rocket'"),
        vec!["acme,rocket,acme/rocket,Rust,\"[git, sql]\",MIT,false,false,42,1234,2024-01-03T00:00:00Z,https://github.com/acme/rocket"]
    );
    assert_eq!(
        q("SELECT owner, name, is_archived FROM gh_repos WHERE owner IN ('acme', 'wile') ORDER BY 1, 2"),
        vec!["acme,anvil,true", "acme,rocket,false", "wile,trap,false"]
    );
    let paths: Vec<String> = gh.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.contains(&"/orgs/acme/repos".to_string()) && paths.contains(&"/users/wile/repos".to_string()),
        "{paths:?}"
    );
    assert_eq!(
        q("SELECT repo, login, type, contributions FROM gh_contributors WHERE owner = 'acme' AND repo IN ('rocket', 'anvil') ORDER BY 1, 2"),
        vec!["anvil,alice,User,30", "anvil,bob,User,12", "rocket,alice,User,30", "rocket,bob,User,12"]
    );
    assert_eq!(
        q("SELECT name, sha, protected FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket' ORDER BY 1"),
        vec![format!("dev,{},false", "2".repeat(40)), format!("main,{},true", "1".repeat(40))]
    );
    assert_eq!(
        q("SELECT number, state, author, draft, base_ref, head_ref, merged_at, merge_commit_sha, labels FROM gh_pulls WHERE owner = 'acme' AND repo = 'rocket' ORDER BY 1"),
        vec![
            format!("1,closed,bob,false,main,feature-1,2024-01-03T00:00:00Z,{},[enhancement]", "a".repeat(40)),
            "2,open,bob,false,main,feature-2,,,[enhancement]".to_string(),
            "3,open,bob,true,main,feature-3,,,[enhancement]".to_string(),
        ]
    );
    assert_eq!(
        q("SELECT id, tag_name, name, draft, prerelease, author, published_at FROM gh_releases WHERE owner = 'acme' AND repo = 'rocket'"),
        vec!["11,v1.0,One,false,false,alice,2024-01-06T00:00:00Z"]
    );
    assert_eq!(
        q("SELECT login, starred_at FROM gh_stargazers WHERE owner = 'acme' AND repo = 'rocket' ORDER BY 1"),
        vec![
            "fan0,2024-01-10T00:00:00Z",
            "fan1,2024-01-11T00:00:00Z",
            "fan2,2024-01-12T00:00:00Z"
        ]
    );
    assert!(gh
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/stargazers") && r.accept == "application/vnd.github.star+json"));
    assert_eq!(
        q("SELECT login, name, company FROM gh_user"),
        vec!["alice,Alice,ACME"]
    );
    // GitHub rows join git rows by repo_url.
    assert_eq!(
        q("SELECT count(*) FROM gh_branches b JOIN (SELECT 'https://github.com/acme/rocket' AS repo) g ON b.repo_url = g.repo WHERE b.owner = 'acme' AND b.repo = 'rocket'"),
        vec!["2"]
    );
}

#[test]
fn missing_filters_and_unknown_repositories_are_one_line_errors() {
    let gh = FakeGitHub::start("errors", &[]);
    for (sql, needle) in [
        (
            "SELECT * FROM gh_issues",
            "gh_issues needs the repositories to read: add WHERE owner = '...' AND repo = '...'",
        ),
        (
            "SELECT * FROM gh_pulls WHERE owner = 'acme'",
            "gh_pulls needs the repositories to read",
        ),
        ("SELECT * FROM gh_repos", "gh_repos needs an owner"),
        (
            "SELECT * FROM gh_branches WHERE owner = 'acme' AND repo = 'nope'",
            "GitHub GET /repos/acme/nope/branches: not found (404)",
        ),
    ] {
        let out = gh.sql(&[ALICE], &[], sql);
        assert!(!out.status.success(), "{sql}");
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{sql}: {err}");
    }
    // Missing filters fail before any request.
    assert!(gh.requests().iter().all(|r| r.path.contains("nope")));
}

#[test]
fn an_unknown_repository_among_several_is_left_out_with_a_warning() {
    let gh = FakeGitHub::start("partial", &[]);
    let sql = "SELECT repo, count(*) FROM gh_branches WHERE owner = 'acme' \
               AND repo IN ('rocket', 'nope', 'anvil') GROUP BY repo ORDER BY repo";
    let out = gh.sql(&[ALICE], &[], sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().skip(1).collect::<Vec<_>>(),
        vec!["anvil,2", "rocket,2"]
    );
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("warning: GitHub GET /repos/acme/nope/branches: not found (404)")
            && err.contains("left out"),
        "{err}"
    );
    // An unknown owner among several, in a listing that first asks who the owner is.
    let rows = gh.rows(
        &[ALICE],
        "SELECT owner, count(*) FROM gh_repos WHERE owner IN ('acme', 'ghost') GROUP BY owner",
    );
    assert_eq!(rows, vec!["acme,2"]);
    // --strict: the missing repository is the query's error.
    let out = gh.sql(&[ALICE], &["--strict"], sql);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/repos/acme/nope/branches: not found (404)"));
}

#[test]
fn conditional_requests_are_answered_from_the_etag_cache() {
    let gh = FakeGitHub::start("etag", &[]);
    let sql = "SELECT number, title FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket' ORDER BY 1";
    let first = gh.rows(&[ALICE], sql);
    assert!(gh
        .requests()
        .iter()
        .all(|r| r.status == 200 && r.if_none_match.is_none()));
    gh.clear_log();
    let second = gh.rows(&[ALICE], sql);
    assert_eq!(first, second);
    let requests = gh.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.status == 304 && r.if_none_match.is_some()),
        "{requests:?}"
    );
    // 304s cost no quota: the server still counts 3 requests used.
    let quota = gh.rows(&[ALICE], "SELECT used FROM gh_rate_limit WHERE resource = 'core'");
    assert_eq!(quota, vec!["3"]);
    gh.assert_cache_has_no_secret();
}

#[test]
fn a_token_at_its_primary_limit_rotates_to_the_next() {
    // Alice's headers say she is spent after one request: the next pages go to Bob.
    let gh = FakeGitHub::start("rotate", &["--quota", &format!("{ALICE}=1")]);
    let rows = gh.rows(
        &[ALICE, BOB],
        "SELECT count(*) FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert_eq!(rows, vec!["200"]);
    let used: Vec<(Option<String>, u16)> = gh.requests().into_iter().map(|r| (r.token, r.status)).collect();
    let (a, b) = (Some(ALICE.to_string()), Some(BOB.to_string()));
    assert_eq!(used, vec![(a.clone(), 200), (b.clone(), 200), (b.clone(), 200)]);
    // Alice is already spent (unknown to us): her 403 primary limit moves the request to Bob.
    let gh = FakeGitHub::start("rotate403", &["--quota", &format!("{ALICE}=0")]);
    let rows = gh.rows(
        &[ALICE, BOB],
        "SELECT count(*) FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert_eq!(rows, vec!["200"]);
    let used: Vec<(Option<String>, u16)> = gh.requests().into_iter().map(|r| (r.token, r.status)).collect();
    assert_eq!(
        used,
        vec![(a.clone(), 403), (b.clone(), 200), (b.clone(), 200), (b, 200)]
    );
    // Both spent: wait for the reset, or with --no-wait fail at once naming the situation.
    let gh = FakeGitHub::start("spent", &["--quota", &format!("{ALICE}=0")]);
    let out = gh.sql(
        &[ALICE],
        &["--no-wait"],
        "SELECT count(*) FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("out of quota") && err.contains("--no-wait"), "{err}");
    // gh_rate_limit: one row per token per resource, tokens masked.
    let gh = FakeGitHub::start("ratelimit", &[]);
    let rows = gh.rows(
        &[ALICE, BOB],
        "SELECT token, resource, \"limit\", remaining FROM gh_rate_limit ORDER BY 1, 2",
    );
    assert_eq!(
        rows,
        vec![
            "#1…1111,core,5000,5000",
            "#1…1111,search,30,30",
            "#2…2222,core,5000,5000",
            "#2…2222,search,30,30"
        ]
    );
}

#[test]
fn a_rejected_token_is_retired_and_the_next_one_used() {
    let gh = FakeGitHub::start("badtoken", &[]);
    let out = gh.sql(
        &[BAD, ALICE],
        &[],
        "SELECT count(*) FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().nth(1), Some("2"));
    let err = text(&out.stderr);
    assert!(err.contains("GitHub rejected token #1…3333 (401"), "{err}");
    let tokens: Vec<Option<String>> = gh.requests().into_iter().map(|r| r.token).collect();
    assert_eq!(tokens, vec![Some(BAD.into()), Some(ALICE.into())]);
    let out = gh.sql(
        &[BAD],
        &[],
        "SELECT count(*) FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("GitHub rejected every configured token"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn secondary_limits_are_waited_out_and_server_errors_retried() {
    let gh = FakeGitHub::start(
        "secondary",
        &[
            "--secondary",
            "/repos/acme/rocket/branches",
            "--flaky",
            "/repos/acme/rocket/releases",
        ],
    );
    let started = Instant::now();
    let out = gh.sql(&[ALICE], &[], "SELECT (SELECT count(*) FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket') AS b, (SELECT count(*) FROM gh_releases WHERE owner = 'acme' AND repo = 'rocket') AS r");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().nth(1), Some("2,1"));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        text(&out.stderr).contains("secondary rate limit: waiting 1 s"),
        "{}",
        text(&out.stderr)
    );
    let statuses = |path: &str| -> Vec<u16> {
        gh.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| r.status)
            .collect()
    };
    assert_eq!(statuses("/repos/acme/rocket/branches"), vec![403, 200]);
    assert_eq!(statuses("/repos/acme/rocket/releases"), vec![502, 200]);
}

#[test]
fn without_a_token_requests_are_anonymous_with_one_warning() {
    let gh = FakeGitHub::start("anonymous", &[]);
    let out = gh.sql(
        &[],
        &[],
        "SELECT count(*) FROM gh_issues WHERE owner = 'acme' AND repo IN ('rocket', 'anvil')",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().nth(1), Some("400"));
    let err = text(&out.stderr);
    assert_eq!(
        err.matches("unauthenticated requests are limited to 60 an hour")
            .count(),
        1,
        "{err}"
    );
    assert!(gh.requests().iter().all(|r| r.token.is_none()));
    let out = gh.sql(&[], &[], "SELECT login FROM gh_user");
    assert!(
        text(&out.stderr).contains("requires authentication"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn several_repositories_are_fetched_at_once() {
    // Every answer takes 0.3 s: the two listings' requests overlap in time on the server.
    let gh = FakeGitHub::start("concurrent", &["--slow", "0.3"]);
    let rows = gh.rows(
        &[ALICE],
        "SELECT repo, count(*) FROM gh_branches WHERE owner = 'acme' AND repo IN ('rocket', 'anvil') GROUP BY repo ORDER BY repo",
    );
    assert_eq!(rows, vec!["anvil,2", "rocket,2"]);
    let requests = gh.requests();
    assert_eq!(requests.len(), 2);
    let (a, b) = (&requests[0], &requests[1]);
    assert!(
        b.start < a.end && a.start < b.end,
        "requests did not overlap: {requests:?}"
    );
}

/// Per-parent listings (a pull request's reviews and files, an issue's comments, a run's jobs,
/// a commit's check runs) and listings under a key (`workflow_runs`): the parent's key pushed
/// down reads just those parents; without it, every parent the API lists is read in turn.
#[test]
fn reviews_comments_files_runs_jobs_and_checks_read_their_endpoints() {
    let gh = FakeGitHub::start("depth", &[]);
    let q = |sql: &str| gh.rows(&[ALICE], sql);
    let acme = "owner = 'acme' AND repo = 'rocket'";
    // Every pull request's reviews over REST (GraphQL, the default for this case, is tested in
    // every_pull_requests_reviews_come_in_bulk_over_graphql): the pulls (all states), then
    // each one's reviews, paginated.
    let sql = format!("SELECT number, count(*), min(reviewer), max(state) FROM gh_pull_reviews WHERE {acme} GROUP BY 1 ORDER BY 1");
    let out = gh.sql_with(&[ALICE], &[("GITFLEET_GITHUB_GRAPHQL", "off")], &[], &sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "number,count(*),min(gh_pull_reviews.reviewer),max(gh_pull_reviews.state)\n1,2,alice,COMMENTED\n2,120,alice,DISMISSED\n");
    let paths: Vec<(String, String)> = gh
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.query.clone()))
        .collect();
    assert!(
        paths
            .iter()
            .any(|(p, q)| p == "/repos/acme/rocket/pulls" && q.contains("state=all")),
        "{paths:?}"
    );
    for n in 1..=3 {
        assert!(
            paths
                .iter()
                .any(|(p, _)| *p == format!("/repos/acme/rocket/pulls/{n}/reviews")),
            "{paths:?}"
        );
    }
    assert!(
        paths
            .iter()
            .any(|(p, q)| p.ends_with("/pulls/2/reviews") && q.contains("page=2")),
        "{paths:?}"
    );
    // One pull request's: nothing else is asked for.
    gh.clear_log();
    assert_eq!(
        q(&format!(
            "SELECT count(*), min(commit_id) FROM gh_pull_reviews WHERE {acme} AND number = 2"
        )),
        vec![format!("120,{}", "2".repeat(40))]
    );
    assert!(gh
        .requests()
        .iter()
        .all(|r| r.path == "/repos/acme/rocket/pulls/2/reviews"));
    assert_eq!(
        q(&format!("SELECT number, path, previous_path, status, additions, changes FROM gh_pull_files WHERE {acme} AND number IN (1, 3) ORDER BY 1, 2")),
        vec![
            "1,docs/new.md,docs/old.md,renamed,0,0",
            "1,src/f1.rs,,modified,1,2",
            "3,docs/new.md,docs/old.md,renamed,0,0",
            "3,src/f3.rs,,modified,3,4",
        ]
    );
    // Issue comments: the repository's listing names each comment's issue by URL.
    assert_eq!(
        q(&format!(
            "SELECT number, count(*), min(author) FROM gh_issue_comments WHERE {acme} GROUP BY 1 ORDER BY 1"
        )),
        vec!["1,3,alice", "2,3,alice", "3,3,alice", "4,3,alice", "5,3,alice"]
    );
    gh.clear_log();
    assert_eq!(
        q(&format!(
            "SELECT number, body FROM gh_issue_comments WHERE {acme} AND number = 4 ORDER BY id"
        )),
        vec!["4,comment 0 on 4", "4,comment 1 on 4", "4,comment 2 on 4"]
    );
    assert!(gh
        .requests()
        .iter()
        .all(|r| r.path == "/repos/acme/rocket/issues/4/comments"));
    // Workflow runs sit under `workflow_runs`. Filters stay here: GitHub caps a filtered
    // listing at 1,000 runs.
    gh.clear_log();
    assert_eq!(
        q(&format!(
            "SELECT count(*), min(conclusion), max(run_attempt) FROM gh_workflow_runs WHERE {acme}"
        )),
        vec!["150,failure,2"]
    );
    assert_eq!(
        q(&format!(
            "SELECT count(*) FROM gh_workflow_runs WHERE {acme} AND status = 'completed' AND head_branch = 'main' AND event = 'push'"
        )),
        // Odd i (main), not a multiple of 4 (completed: all odd i), not a multiple of 3 (push).
        vec![(0..150).filter(|i| i % 2 == 1 && i % 4 != 0 && i % 3 != 0).count().to_string()]
    );
    assert!(gh.requests().iter().all(|r| !r.query.contains("status=")));
    // A run's jobs, of every attempt (`filter=all`); without a run_id, every run's.
    gh.clear_log();
    assert_eq!(
        q(&format!("SELECT run_id, run_attempt, id, name, runner_name FROM gh_workflow_jobs WHERE {acme} AND run_id = 5007 ORDER BY id")),
        vec!["5007,1,50070,build,runner-0", "5007,2,50071,test,runner-1"]
    );
    assert!(gh.requests().iter().all(|r| r.query.contains("filter=all")));
    assert_eq!(
        q(&format!(
            "SELECT count(*), count(DISTINCT run_id) FROM gh_workflow_jobs WHERE {acme}"
        )),
        vec!["300,150"]
    );
    // Check runs need the commit.
    let out = gh.sql(
        &[ALICE],
        &[],
        &format!("SELECT * FROM gh_check_runs WHERE {acme}"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("gh_check_runs needs the head_sha to read"),
        "{}",
        text(&out.stderr)
    );
    let sha = "1".repeat(40);
    assert_eq!(
        q(&format!("SELECT head_sha = '{sha}', name, conclusion, app FROM gh_check_runs WHERE {acme} AND head_sha = '{sha}' ORDER BY id")),
        vec!["true,lint,success,github-actions", "true,unit,failure,github-actions"]
    );
    // Every table keeps the item as GitHub sent it, and the repository's address.
    assert_eq!(
        q(&format!("SELECT raw LIKE '%\"runner_name\":\"runner-0\"%', repo_url FROM gh_workflow_jobs WHERE {acme} AND run_id = 5007 ORDER BY id LIMIT 1")),
        vec!["true,https://github.com/acme/rocket"]
    );
}

/// `gitfleet report --github`: a repository whose origin is on GitHub gets its pull requests
/// charted (opened and merged per month, hours to merge), read once with its owner/repo pushed
/// down; one not on GitHub is named in the header; the token appears nowhere in the page.
#[test]
fn report_charts_the_pull_requests_of_repositories_on_github() {
    let gh = FakeGitHub::start("report", &[]);
    let dir = scratch_dir("github-report");
    let on_github = dir.join("rocket");
    let elsewhere = dir.join("local");
    for (repo, origin) in [
        (&on_github, Some("https://github.com/acme/rocket.git")),
        (&elsewhere, None),
    ] {
        git(&dir, &["init", "-q", repo.to_str().unwrap()]);
        std::fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
        git(repo, &["add", "a.txt"]);
        commit_as(repo, ("Ann", "ann@example.com"), &["-m", "first"]);
        if let Some(url) = origin {
            git(repo, &["remote", "add", "origin", url]);
        }
    }
    let page = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .env("GITHUB_API_URL", gh.api())
        .env("GITFLEET_CACHE_DIR", gh.dir.join("cache"))
        .env("GITFLEET_GITHUB_TOKENS", ALICE)
        .env_remove("GITHUB_TOKEN")
        .args([
            "-r",
            on_github.to_str().unwrap(),
            "-r",
            elsewhere.to_str().unwrap(),
        ])
        .args(["report", "--github", "-o", page.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains(ALICE) && !text(&out.stderr).contains(ALICE));
    let data = report::data(&html);
    let rows = report::rows(&data, "pull_requests");
    let rocket = on_github.to_str().unwrap();
    let expected = |repo: serde_json::Value| {
        serde_json::json!({"repo": repo, "month": "2024-01-01", "opened": 3, "merged": 1,
                           "median_hours_to_merge": 48.0, "p90_hours_to_merge": 48.0})
    };
    // In either order: DataFusion 55 does not sort the fleet's NULL first here (the one
    // repository's name is a constant before GROUPING SETS, and the sort takes it for one after).
    let mut rows = rows.as_array().unwrap().clone();
    rows.sort_by_key(|r| r["repo"].is_string());
    assert_eq!(rows, [expected(serde_json::Value::Null), expected(rocket.into())]);
    let (_, sql) = report::sections(&html)
        .into_iter()
        .find(|(id, _)| id == "pull_requests")
        .unwrap();
    assert!(
        sql.contains("FROM gh_pulls WHERE owner = 'acme' AND repo = 'rocket'"),
        "{sql}"
    );
    let pulls = gh
        .requests()
        .iter()
        .filter(|r| r.path == "/repos/acme/rocket/pulls")
        .count();
    assert_eq!(pulls, 1, "one listing of the pulls");
    let shown = report::render(&page, "", 1280);
    assert_eq!(shown.console, Vec::<String>::new());
    let marks = report::marks(&shown.dom);
    assert_eq!(marks["pull_requests_counts"], 2, "opened and merged in January");
    assert_eq!(
        marks["pull_requests_time_to_merge"], 2,
        "median and p90 in January"
    );
    let caption = report::text_of(&shown.dom, "caption-pull_requests").unwrap();
    assert!(
        caption.contains("3 pull requests opened and 1 merged")
            && caption.contains("median time to merge was 48 hours (p90 48)"),
        "{caption}"
    );
    let note = report::text_of(&shown.dom, "not-on-github").unwrap();
    assert!(
        note.contains(elsewhere.to_str().unwrap()) && !note.contains(rocket),
        "{note}"
    );
}

/// The GitHub analyses, run by name with the repository as parameters, against the fake's
/// documented data: pull request cycle time, review load, CI health. The expected numbers are
/// worked out here from how `fake_github.py` builds its pulls, reviews and runs.
#[test]
fn github_analyses_take_the_repository_as_parameters() {
    let gh = FakeGitHub::start("analyses", &[]);
    let run = |name: &str, params: &[&str]| -> Output {
        let mut extra: Vec<&str> = vec!["run", name, "--format", "csv"];
        for p in params {
            extra.extend(["--param", p]);
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
        cmd.env("GITHUB_API_URL", gh.api())
            .env("GITFLEET_CACHE_DIR", gh.dir.join("cache"))
            .env("GITFLEET_GITHUB_TOKENS", ALICE)
            .env_remove("GITHUB_TOKEN")
            .args(&extra);
        cmd.output().unwrap()
    };
    let rows = |name: &str| -> Vec<String> {
        let out = run(name, &["owner=acme", "repo=rocket"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_string).collect()
    };

    // Pulls #1..#3 opened on January 1..3 by bob; #1 merged on the 3rd (48 h). Reviews: #1 by
    // alice on the 10th, carol on the 11th; #2's 120 from the 10th on; #3 none. First reviews
    // after 216 h (#1) and 192 h (#2): median 204, p90 192 + 0.9 * 24.
    assert_eq!(
        rows("pr_cycle_time"),
        [
            "month,opened,reviewed,merged,median_hours_to_first_review,p90_hours_to_first_review,median_hours_to_merge,p90_hours_to_merge",
            "2024-01-01,3,2,1,204.0,213.6,48.0,48.0",
        ]
    );

    // Reviewers cycle alice, carol, dave over #2's 120 reviews; states cycle APPROVED,
    // COMMENTED, CHANGES_REQUESTED, DISMISSED; #1 has alice's APPROVED and carol's COMMENTED.
    let mut expected = std::collections::BTreeMap::new();
    let mut add = |who: &str, pull: i64, state: &str| {
        let e = expected
            .entry(who.to_string())
            .or_insert((0, std::collections::BTreeSet::new(), 0, 0));
        e.0 += 1;
        e.1.insert(pull);
        e.2 += (state == "APPROVED") as i64;
        e.3 += (state == "CHANGES_REQUESTED") as i64;
    };
    let states = ["APPROVED", "COMMENTED", "CHANGES_REQUESTED", "DISMISSED"];
    for (pull, count) in [(1, 2), (2, 120)] {
        for i in 0..count {
            add(["alice", "carol", "dave"][i % 3], pull, states[i % 4]);
        }
    }
    let mut want = vec!["reviewer,author,reviews,pulls,approvals,changes_requested".to_string()];
    for (who, (reviews, pulls, approved, changes)) in &expected {
        for author in ["", "bob"] {
            want.push(format!(
                "{who},{author},{reviews},{},{approved},{changes}",
                pulls.len()
            ));
        }
    }
    assert_eq!(rows("review_load"), want);

    // 150 runs of workflow 7: every 4th in progress; completed ones fail when i % 5 == 0 (22 of
    // 112); each ran 45 s; odd ones are a second attempt.
    let completed = (0..150).filter(|i| i % 4 != 0).count();
    let failed = (0..150).filter(|i| i % 4 != 0 && i % 5 == 0).count();
    let failure = (1000.0 * failed as f64 / completed as f64).round() / 10.0;
    assert_eq!(
        rows("ci_health"),
        [
            "workflow_id,workflow,runs,completed,failure_percent,cancelled,median_seconds,p90_seconds,rerun_percent".to_string(),
            format!("7,CI,150,{completed},{failure:.1},0,45.0,45.0,50.0"),
        ]
    );

    // Without its parameters: one line naming them; an unknown one is named too.
    let out = run("ci_health", &["owner=acme"]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        "error: analysis 'ci_health' needs --param repo=VALUE"
    );
    let out = run("ci_health", &["owner=acme", "repo=rocket", "org=x"]);
    assert!(text(&out.stderr).contains("has no parameter 'org' (it takes: owner, repo)"));
    let out = run("ci_health", &["owner"]);
    assert!(
        text(&out.stderr).contains("'owner' is not NAME=VALUE"),
        "{}",
        text(&out.stderr)
    );
}

/// A GitHub App key pair made with openssl (PKCS#1 PEM, as GitHub hands App keys out): the key
/// file and the modulus (hex) the fake checks signatures with.
fn app_key(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("app.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let modulus = Command::new("openssl")
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    let modulus = text(&modulus.stdout)
        .trim()
        .trim_start_matches("Modulus=")
        .to_string();
    (key, modulus)
}

/// GitHub App authentication: with `GITFLEET_GITHUB_APP_ID` and `GITFLEET_GITHUB_APP_KEY` (no
/// personal token), gitfleet signs a JWT the fake verifies (RS256 with the App's key), finds the
/// installation on each owner (an organisation, then a user), mints one token per installation
/// and reads each owner's repositories with its own; a token close to its expiry is minted
/// again; a wrong App id or an unreadable key is one line; a clone over HTTPS authenticates with
/// the installation token; no token or key reaches output or the cache.
#[test]
fn a_github_app_mints_installation_tokens_for_api_calls_and_clones() {
    let dir = scratch_dir("github-app");
    let (key, modulus) = app_key(&dir);
    let app_arg = format!("4242:{modulus}");
    let gh = FakeGitHub::start("app", &["--app", &app_arg]);
    let run = |gh: &FakeGitHub, app_id: &str, key: &Path, extra: &[(&str, String)], sql: &str| -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
        cmd.env("GITHUB_API_URL", gh.api())
            .env("GITFLEET_CACHE_DIR", gh.dir.join("cache"))
            .env("GITFLEET_GITHUB_APP_ID", app_id)
            .env("GITFLEET_GITHUB_APP_KEY", key)
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITFLEET_GITHUB_TOKENS")
            .env_remove("GITFLEET_GITHUB_APP_INSTALLATION_ID");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.args(["sql", "--format", "csv", sql]).output().unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("ghs_") && !all.contains("PRIVATE KEY"), "{all}");
        out
    };
    let sql = "SELECT owner, name FROM gh_repos WHERE owner IN ('acme', 'wile') ORDER BY 1, 2";
    let out = run(&gh, "4242", &key, &[], sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "owner,name\nacme,anvil\nacme,rocket\nwile,trap\n"
    );
    let requests = gh.requests();
    let seen = |path: &str| {
        requests
            .iter()
            .filter(|r| r.path == path)
            .map(|r| (r.status, r.token.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(seen("/orgs/acme/installation").len(), 1);
    assert_eq!(seen("/orgs/wile/installation")[0].0, 404, "wile is a user");
    assert_eq!(seen("/users/wile/installation")[0].0, 200);
    assert_eq!(
        seen("/app/installations/101/access_tokens"),
        [(201, Some("(jwt)".to_string()))]
    );
    assert_eq!(seen("/app/installations/102/access_tokens").len(), 1);
    let acme = seen("/orgs/acme/repos");
    assert!(
        acme[0].0 == 200 && acme[0].1.as_deref().is_some_and(|t| t.starts_with("ghs_101_")),
        "{acme:?}"
    );
    let wile = seen("/users/wile/repos");
    assert!(
        wile[0].1.as_deref().is_some_and(|t| t.starts_with("ghs_102_")),
        "{wile:?}"
    );
    gh.assert_cache_has_no_secret();
    assert!(files_containing(&gh.dir.join("cache"), "ghs_").is_empty());

    // One installation for every owner; a token within five minutes of expiry is minted again
    // before each use.
    let short = FakeGitHub::start("app-short", &["--app", &app_arg, "--app-ttl", "120"]);
    let two = "SELECT (SELECT count(*) FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket') + \
               (SELECT count(*) FROM gh_releases WHERE owner = 'acme' AND repo = 'rocket') AS n";
    let out = run(
        &short,
        "4242",
        &key,
        &[("GITFLEET_GITHUB_APP_INSTALLATION_ID", "101".into())],
        two,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n3\n");
    let requests = short.requests();
    assert!(
        requests.iter().all(|r| !r.path.ends_with("/installation")),
        "the id was given"
    );
    let mints = requests
        .iter()
        .filter(|r| r.path == "/app/installations/101/access_tokens")
        .count();
    assert_eq!(
        mints, 2,
        "a token with 120 s left is renewed before the next request"
    );

    // A token GitHub rejects (revoked) is minted again, once.
    let revoked = FakeGitHub::start("app-revoked", &["--app", &app_arg, "--app-revoke-first", "1"]);
    let out = run(
        &revoked,
        "4242",
        &key,
        &[],
        "SELECT count(*) AS n FROM gh_branches WHERE owner = 'acme' AND repo = 'rocket'",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n2\n");
    let statuses: Vec<u16> = revoked
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/branches"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [401, 200]);

    // A wrong App id, an unreadable key, a key that is no RSA key: one line each.
    let out = run(&gh, "999", &key, &[], sql);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("GitHub rejected the App's JWT (401"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let (wrong_key, _) = app_key(&other);
    let out = run(&gh, "4242", &wrong_key, &[], sql);
    assert!(
        text(&out.stderr)
            .contains("GitHub rejected the App's JWT (401 A JSON web token could not be decoded)"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&gh, "4242", &dir.join("missing.pem"), &[], sql);
    assert!(
        text(&out.stderr).contains("cannot read the GitHub App key"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.join("junk.pem"), "not a key").unwrap();
    let out = run(&gh, "4242", &dir.join("junk.pem"), &[], sql);
    assert!(
        text(&out.stderr).contains("is not an RSA private key in PEM form"),
        "{}",
        text(&out.stderr)
    );

    // A clone over HTTPS: the git server takes only the installation token the fake mints first.
    let served = dir.join("served");
    common::history::build(
        &served.join("acme/rocket.git"),
        &common::history::Spec {
            commits: 5,
            initial_files: 2,
            seed: 7,
        },
    );
    let fresh = FakeGitHub::start("app-clone", &["--app", &app_arg]);
    let first_token = format!("ghs_101_0001{}", "s".repeat(24));
    let server = common::http::start_http(&served, &["--token", &first_token]);
    let url = format!("http://127.0.0.1:{}/acme/rocket.git", server.port);
    let hosts = format!("127.0.0.1:{}", server.port);
    let out = run(
        &fresh,
        "4242",
        &key,
        &[("GITFLEET_TOKEN_HOSTS", hosts)],
        &format!("SELECT count(*) AS n FROM commits('{url}')"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "n\n5\n");
    assert!(files_containing(&fresh.dir.join("cache"), "ghs_").is_empty());
}

/// `gh_pull_reviews` without `number` reads every pull request's reviews over GraphQL: pull
/// requests a hundred at a time with their first hundred reviews, then more for the one with
/// 120, against a fake that answers GitHub's documented shapes, cursors and `rateLimit` cost.
/// The rows equal the REST path's (`GITFLEET_GITHUB_GRAPHQL=off`) in every column but `raw`,
/// in 2 requests instead of 5. A spent GraphQL budget is waited for, or with `--no-wait` one
/// line; an unknown repository among several is left out with a warning.
#[test]
fn every_pull_requests_reviews_come_in_bulk_over_graphql() {
    let gh = FakeGitHub::start("graphql", &[]);
    let columns = "number, review_id, reviewer, state, submitted_at, commit_id, body";
    let sql = format!(
        "SELECT {columns}, raw FROM gh_pull_reviews WHERE owner = 'acme' AND repo = 'rocket' ORDER BY review_id"
    );
    let run = |gh: &FakeGitHub, envs: &[(&str, &str)], extra: &[&str], sql: &str| -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
        cmd.env("GITHUB_API_URL", gh.api())
            .env("GITFLEET_CACHE_DIR", gh.dir.join("cache"))
            .env("GITFLEET_GITHUB_TOKENS", ALICE)
            .env_remove("GITHUB_TOKEN");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.args(extra)
            .args(["sql", "--format", "csv", sql])
            .output()
            .unwrap()
    };
    let out = run(&gh, &[], &[], &sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bulk: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(bulk.len(), 1 + 122, "two reviews on #1, 120 on #2");
    let requests = gh.requests();
    let asked: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(asked, ["/graphql", "/graphql"], "no REST request at all");
    assert_eq!(requests[0].query, "PullReviews acme/rocket after=None");
    assert_eq!(
        requests[1].query, "MoreReviews acme/rocket after=100",
        "#2's reviews after the first 100"
    );
    assert!(requests.iter().all(|r| r.token.as_deref() == Some(ALICE)));
    // raw is REST's shape rebuilt from the GraphQL fields.
    let raw = bulk[1]
        .split_once(",\"{")
        .map(|(_, r)| format!("{{{}", r.trim_end_matches('"')))
        .unwrap();
    assert!(
        raw.contains("\"\"user\"\":{\"\"login\"\":\"\"alice\"\"}"),
        "{raw}"
    );

    gh.clear_log();
    let plain = format!(
        "SELECT {columns} FROM gh_pull_reviews WHERE owner = 'acme' AND repo = 'rocket' ORDER BY review_id"
    );
    let rest = run(&gh, &[("GITFLEET_GITHUB_GRAPHQL", "off")], &[], &plain);
    let graphql = run(&gh, &[], &[], &plain);
    assert!(rest.status.success() && graphql.status.success());
    assert_eq!(text(&graphql.stdout), text(&rest.stdout));
    let rest_requests = gh.requests().iter().filter(|r| r.path != "/graphql").count();
    assert_eq!(
        rest_requests, 5,
        "the pulls, three reviews listings, #2's second page"
    );

    // The budget: one point left is the first query's; the second must wait for the reset,
    // which --no-wait refuses in one line.
    let poor = FakeGitHub::start("graphql-poor", &["--graphql-points", "1"]);
    let out = run(&poor, &[], &["--no-wait"], &sql);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("GitHub's GraphQL budget is spent") && err.contains("--no-wait"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(poor.requests().len(), 1, "the spent budget was not spent again");

    // Only the fields of the columns read are asked for: no review bodies for a count.
    gh.clear_log();
    let out = run(&gh, &[], &[], "SELECT number, count(*) FROM gh_pull_reviews WHERE owner = 'acme' AND repo = 'rocket' AND state = 'APPROVED' GROUP BY 1 ORDER BY 1");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "number,count(*)\n1,1\n2,30\n");
    let log = std::fs::read_to_string(&gh.log).unwrap();
    let asked: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!asked.is_empty());
    for entry in &asked {
        let query = entry["graphql"].as_str().unwrap();
        assert!(
            query.contains("nodes { state }") && !query.contains("body"),
            "{query}"
        );
    }

    // A repository GitHub cannot resolve, among several: a warning, the others' rows.
    let several = "SELECT repo, count(*) FROM gh_pull_reviews WHERE owner = 'acme' AND repo IN ('rocket', 'nope') GROUP BY repo";
    let out = run(&gh, &[], &[], several);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "repo,count(*)\nrocket,122\n");
    assert!(
        text(&out.stderr).contains("Could not resolve to a Repository with the name 'acme/nope'"),
        "{}",
        text(&out.stderr)
    );
}
