//! Clone-on-scan against real servers on 127.0.0.1 (no test reaches the internet): `git daemon`
//! and `git http-backend` behind a small HTTP server with basic auth
//! (`tests/support/git_http_server.py`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::daemon::start_daemon;
use common::history::{build, Spec};
use common::http::start_http;
use common::*;

/// Bare repositories `r0.git` .. under `dir`, each with a different number of commits.
fn served_repos(dir: &Path, count: usize) -> Vec<(String, usize)> {
    (0..count)
        .map(|i| {
            let name = format!("r{i}.git");
            let commits = 3 + i;
            build(
                &dir.join(&name),
                &Spec {
                    commits,
                    initial_files: 3,
                    seed: i as u64 + 1,
                },
            );
            let n = git(&dir.join(&name), &["rev-list", "--count", "HEAD"])
                .trim()
                .parse()
                .unwrap();
            (name, n)
        })
        .collect()
}

/// A repository big enough (a few MB of pack) to be caught mid-clone.
fn big_repo(dir: &Path) -> usize {
    build(
        &dir.join("big.git"),
        &Spec {
            commits: 1500,
            initial_files: 300,
            seed: 99,
        },
    );
    git(&dir.join("big.git"), &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

fn gitfleet_cmd(cache: &Path, envs: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
    cmd.env("GITFLEET_CACHE_DIR", cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITFLEET_GITHUB_TOKENS")
        .envs(envs.iter().copied())
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn gitfleet(cache: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    gitfleet_cmd(cache, envs, args).output().expect("gitfleet runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Names in `dir` other than `keep` (half entries, temporaries).
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !keep.contains(&n.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn remote_repositories_are_cloned_once_then_read_from_the_cache() {
    let source = fixture("basic");
    let served = scratch_dir("served");
    git(
        &served,
        &["clone", "-q", "--bare", source.to_str().unwrap(), "basic.git"],
    );
    let daemon = start_daemon(&served);
    let url = format!("git://127.0.0.1:{}/basic.git", daemon.port);
    let missing = format!("git://127.0.0.1:{}/missing.git", daemon.port);
    let cache = scratch_dir("clone-cache");
    let config = gitfleet::EngineConfig {
        cache_dir: Some(cache.clone()),
        ..Default::default()
    };
    let run = |sql: &str| try_query_with(&config, sql).map(|b| rows(&b));
    let expected = git(&source, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let all = git(&source, &["rev-list", "--count", "--all"]).trim().to_string();

    assert_eq!(
        run(&format!("SELECT count(*) FROM commits('{url}')")).unwrap(),
        vec![vec![expected.clone()]]
    );
    // All branches and tags came along.
    assert_eq!(
        run(&format!("SELECT count(*) FROM commits('{url}', '--all')")).unwrap(),
        vec![vec![all]]
    );
    let clone_dir = cache.join(format!("repos/git/127.0.0.1_{}/basic.git", daemon.port));
    let repos = run(&format!(
        "SELECT repo, url, path, is_bare, status FROM repos('{url}')"
    ))
    .unwrap();
    assert_eq!(
        repos,
        vec![vec![
            url.clone(),
            url.clone(),
            clone_dir.display().to_string(),
            "true".into(),
            "ready".into()
        ]]
    );
    // The clone has a commit-graph with changed-path Bloom filters, generation version 1.
    let graph = clone_dir.join("objects/info/commit-graph");
    assert!(graph.exists(), "no commit-graph written");
    let graph = std::fs::read(graph).unwrap();
    assert!(graph.windows(4).any(|w| w == b"BIDX"), "no Bloom filters");
    assert!(
        !graph.windows(4).any(|w| w == b"GDA2"),
        "generation v2 (unreadable by libgit2)"
    );

    // A repository the server does not have: skipped (warned about), no half entry left;
    // --strict makes it a one-line error naming the URL.
    assert_eq!(
        run(&format!("SELECT count(*) FROM commits('{missing}')")).unwrap(),
        vec![vec!["0".to_string()]]
    );
    let strict = gitfleet::EngineConfig {
        cache_dir: Some(cache.clone()),
        strict: true,
        ..Default::default()
    };
    let err = try_query_with(&strict, &format!("SELECT * FROM commits('{missing}')")).unwrap_err();
    assert!(err.contains(&format!("cannot clone {missing}")), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert_eq!(
        leftovers(clone_dir.parent().unwrap(), &["basic.git"]),
        Vec::<String>::new()
    );
    // In `repos` the failure is a row and does not hide the good repository.
    let both = run(&format!(
        "SELECT repo, status, error IS NOT NULL FROM repos('{url}', '{missing}') ORDER BY repo"
    ))
    .unwrap();
    assert_eq!(
        both[0],
        vec![url.clone(), "ready".to_string(), "false".to_string()]
    );
    assert_eq!(
        both[1],
        vec![missing.clone(), "failed".to_string(), "true".to_string()]
    );

    // With the server gone, the cached clone still answers; `repo =` filters accept the URL.
    drop(daemon);
    let sql = format!("SELECT count(*) FROM commits WHERE repo = '{url}'");
    assert_eq!(run(&sql).unwrap(), vec![vec![expected]]);
}

#[test]
fn a_dozen_repositories_clone_concurrently_and_a_bad_one_hides_nothing() {
    let served = scratch_dir("served-many");
    let repos = served_repos(&served, 12);
    let daemon = start_daemon(&served);
    let url = |name: &str| format!("git://127.0.0.1:{}/{name}", daemon.port);
    let missing = url("missing.git");
    let mut urls: Vec<String> = repos.iter().map(|(name, _)| url(name)).collect();
    urls.push(missing.clone());
    let list = urls
        .iter()
        .map(|u| format!("'{u}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let config = gitfleet::EngineConfig {
        cache_dir: Some(scratch_dir("many-cache")),
        clone_jobs: Some(4),
        ..Default::default()
    };
    let results = queries_with(
        &config,
        &[
            &format!("SELECT repo, count(*) FROM commits WHERE repo IN ({list}) GROUP BY repo ORDER BY repo"),
            "SELECT url, state, action, error IS NULL FROM clone_status ORDER BY url",
            "SELECT count(*) FROM clone_status c1 JOIN clone_status c2 \
             ON c1.url < c2.url AND c1.started_at < c2.finished_at AND c2.started_at < c1.finished_at",
            &format!("SELECT status FROM repos WHERE repo = '{missing}'"),
            // Transfers running when each one started: never more than --clone-jobs.
            "SELECT max(n) FROM (SELECT c1.url, count(*) AS n FROM clone_status c1 JOIN clone_status c2 \
             ON c2.started_at <= c1.started_at AND c1.started_at < c2.finished_at GROUP BY c1.url)",
        ],
    );
    let mut expected: Vec<Vec<String>> = repos
        .iter()
        .map(|(name, n)| vec![url(name), n.to_string()])
        .collect();
    expected.sort();
    assert_eq!(results[0].as_ref().unwrap(), &expected);
    let status = results[1].as_ref().unwrap();
    assert_eq!(status.len(), 13, "{status:?}");
    for row in status {
        let good = row[0] != missing;
        let want = if good {
            ["ready", "clone", "true"]
        } else {
            ["failed", "clone", "false"]
        };
        assert_eq!(row[1..], want.map(String::from), "{row:?}");
    }
    // The clones overlapped in time: they ran at once, not one after another.
    let overlapping: i64 = results[2].as_ref().unwrap()[0][0].parse().unwrap();
    assert!(overlapping > 0, "no two clones overlapped");
    assert_eq!(results[3].as_ref().unwrap(), &vec![vec!["failed".to_string()]]);
    let most: i64 = results[4].as_ref().unwrap()[0][0].parse().unwrap();
    assert!(
        (2..=4).contains(&most),
        "{most} transfers at once with clone_jobs = 4"
    );
}

#[test]
fn refresh_fetches_new_upstream_commits() {
    let served = scratch_dir("served-refresh");
    let repos = served_repos(&served, 1);
    let upstream = served.join(&repos[0].0);
    let before = repos[0].1;
    let daemon = start_daemon(&served);
    let url = format!("git://127.0.0.1:{}/{}", daemon.port, repos[0].0);
    let cache = scratch_dir("refresh-cache");
    let config = |refresh: bool| gitfleet::EngineConfig {
        cache_dir: Some(cache.clone()),
        refresh,
        ..Default::default()
    };
    let count = format!("SELECT count(*) FROM commits('{url}')");
    let new_commit = || {
        let tree = git(&upstream, &["rev-parse", "main^{tree}"]);
        let out = git_command(&upstream)
            .args(["commit-tree", tree.trim(), "-p", "main", "-m", "upstream change"])
            .env("GIT_AUTHOR_NAME", "Up Stream")
            .env("GIT_AUTHOR_EMAIL", "up@example.com")
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_NAME", "Up Stream")
            .env("GIT_COMMITTER_EMAIL", "up@example.com")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let sha = text(&out.stdout);
        git(&upstream, &["update-ref", "refs/heads/main", sha.trim()]);
        git(&upstream, &["tag", &format!("t{}", sha.trim())]);
    };
    assert_eq!(
        single_i64(&try_query_with(&config(false), &count).unwrap()),
        before as i64
    );
    new_commit();
    // Without a refresh the cache answers (no network); with one, the new commit is there.
    assert_eq!(
        single_i64(&try_query_with(&config(false), &count).unwrap()),
        before as i64
    );
    assert_eq!(
        single_i64(&try_query_with(&config(true), &count).unwrap()),
        before as i64 + 1
    );
    // SQL: refresh_repos() fetches now, in the middle of a session.
    new_commit();
    let results = queries_with(
        &config(false),
        &[
            &count,
            // Planning fetches nothing: EXPLAIN leaves the clone as it was.
            &format!("EXPLAIN SELECT * FROM refresh_repos('{url}')"),
            &count,
            &format!("SELECT state, action, error FROM refresh_repos('{url}')"),
            &count,
            &format!("SELECT count(*) FROM refs('{url}') WHERE kind = 'tag'"),
        ],
    );
    assert_eq!(results[0].as_ref().unwrap()[0][0], (before + 1).to_string());
    assert!(
        format!("{:?}", results[1]).contains("RefreshExec"),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2].as_ref().unwrap()[0][0], (before + 1).to_string());
    assert_eq!(
        results[3].as_ref().unwrap(),
        &vec![vec!["ready".to_string(), "fetch".to_string(), "NULL".to_string()]]
    );
    assert_eq!(results[4].as_ref().unwrap()[0][0], (before + 2).to_string());
    assert_eq!(results[5].as_ref().unwrap()[0][0], "2");
    // A local path is not something to fetch.
    let err = try_query_with(&config(false), "SELECT * FROM refresh_repos('/tmp')").unwrap_err();
    assert!(err.contains("only remote URLs"), "{err}");
    // With the server gone, a refresh warns and the cached clone still answers.
    drop(daemon);
    assert_eq!(
        single_i64(&try_query_with(&config(true), &count).unwrap()),
        before as i64 + 2
    );
}

#[test]
fn https_tokens_authenticate_and_never_leak() {
    let served = scratch_dir("served-http");
    let repos = served_repos(&served, 1);
    let token = "tok-5ecret-value-123";
    let server = start_http(&served, &["--token", token]);
    let url = format!("http://127.0.0.1:{}/{}", server.port, repos[0].0);
    let hosts = format!("127.0.0.1:{}", server.port);
    let sql = format!("SELECT count(*) FROM commits('{url}')");

    // Wrong token: a warning naming the URL and the reason, no rows, no token anywhere.
    let cache = scratch_dir("http-cache-wrong");
    let out = gitfleet(
        &cache,
        &[
            ("GITHUB_TOKEN", "wrong-token-value"),
            ("GITFLEET_TOKEN_HOSTS", &hosts),
        ],
        &["sql", "--format", "csv", &sql],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "count(*)\n0\n");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("warning: cannot clone {url}: ")),
        "{err}"
    );
    assert!(err.contains("check GITHUB_TOKEN"), "{err}");
    assert!(!err.contains("wrong-token-value"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // ... and with --strict, an error.
    let out = gitfleet(
        &cache,
        &[
            ("GITHUB_TOKEN", "wrong-token-value"),
            ("GITFLEET_TOKEN_HOSTS", &hosts),
        ],
        &["sql", "--strict", &sql],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("error: cannot clone {url}: ")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(files_containing(&cache, "wrong-token-value").is_empty());

    // A host the token is not meant for never gets it: the clone fails like without a token.
    let out = gitfleet(&cache, &[("GITHUB_TOKEN", token)], &["sql", "--strict", &sql]);
    assert!(
        !out.status.success(),
        "the token went to a host not configured for it"
    );

    // The right token clones; it is in no file of the cache, nor in the output.
    let cache = scratch_dir("http-cache-right");
    let out = gitfleet(
        &cache,
        &[("GITHUB_TOKEN", token), ("GITFLEET_TOKEN_HOSTS", &hosts)],
        &["sql", "--format", "csv", &format!("SELECT count(*) AS n, min(r.url) AS url FROM commits('{url}') JOIN repos('{url}') r USING (repo)")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("n,url\n{},{url}\n", repos[0].1));
    assert!(!text(&out.stderr).contains(token));
    assert!(
        files_containing(&cache, token).is_empty(),
        "token written to disk"
    );
    // The same token from the token list works too.
    let cache = scratch_dir("http-cache-list");
    let out = gitfleet(
        &cache,
        &[
            ("GITFLEET_GITHUB_TOKENS", &format!(" {token} ,other")),
            ("GITFLEET_TOKEN_HOSTS", &hosts),
        ],
        &["sql", "--strict", "--format", "csv", &sql],
    );
    assert_eq!(
        text(&out.stdout),
        format!("count(*)\n{}\n", repos[0].1),
        "{}",
        text(&out.stderr)
    );
}

/// Credentials have one owner: a token in a shared pool (Python's `TokenManager`) authenticates
/// clones, the host of a configured API URL (GitHub Enterprise) receives it, a host not listed
/// never does, and a listed host that redirects elsewhere does not get the token passed on.
#[test]
fn a_token_pool_and_an_api_url_reach_clones_and_nothing_else() {
    let served = scratch_dir("served-pool");
    let repos = served_repos(&served, 1);
    let token = "pool-5ecret-token-42";
    let server = start_http(&served, &["--token", token]);
    let url = format!("http://127.0.0.1:{}/{}", server.port, repos[0].0);
    let sql = format!("SELECT count(*) FROM commits('{url}')");
    let pool = std::sync::Arc::new(gitfleet::engine::TokenPool::default());
    let config = |cache: &str, api: Option<String>| gitfleet::EngineConfig {
        cache_dir: Some(scratch_dir(cache)),
        strict: true,
        github_token_pool: Some(pool.clone()),
        github_api_url: api,
        ..Default::default()
    };
    let api = Some(format!("http://127.0.0.1:{}/api/v3", server.port));
    let err = try_query_with(&config("pool-empty", api.clone()), &sql).unwrap_err();
    assert!(err.contains("cannot clone"), "no token in the pool yet: {err}");
    pool.add(token);
    let n = single_i64(&try_query_with(&config("pool-api", api.clone()), &sql).unwrap());
    assert_eq!(n, repos[0].1 as i64);
    // Without an API URL on that host, the token is not offered there.
    let err = try_query_with(&config("pool-no-host", None), &sql).unwrap_err();
    assert!(err.contains("cannot clone") && !err.contains(token), "{err}");

    // A token host that redirects to another server: git follows, the other server asks for
    // credentials, and it gets none.
    let record = scratch_dir("pool-redirect").join("auth.log");
    let record_arg = record.to_str().unwrap().to_string();
    let target = start_http(&served, &["--token", token, "--record", &record_arg]);
    let redirect = format!("http://127.0.0.1:{}", target.port);
    let redirector = start_http(&served, &["--redirect-to", &redirect]);
    let url = format!("http://127.0.0.1:{}/{}", redirector.port, repos[0].0);
    let api = Some(format!("http://127.0.0.1:{}/api/v3", redirector.port));
    let sql = format!("SELECT count(*) FROM commits('{url}')");
    let err = try_query_with(&config("pool-redirect-cache", api), &sql).unwrap_err();
    assert!(err.contains("cannot clone") && !err.contains(token), "{err}");
    let seen = std::fs::read_to_string(&record).unwrap_or_default();
    assert!(!seen.is_empty(), "git did not follow the redirect");
    assert!(
        seen.lines().all(str::is_empty),
        "the redirect target received credentials: {seen:?}"
    );
}

#[test]
fn a_server_dying_mid_clone_leaves_no_half_entry() {
    let served = scratch_dir("served-dying");
    big_repo(&served);
    let server = start_http(&served, &["--die-after", "200000"]);
    let url = format!("http://127.0.0.1:{}/big.git", server.port);
    let cache = scratch_dir("dying-cache");
    let out = gitfleet(
        &cache,
        &[],
        &[
            "sql",
            "--strict",
            &format!("SELECT count(*) FROM commits('{url}')"),
        ],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("error: cannot clone {url}: ")), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let parent = cache.join(format!("repos/http/127.0.0.1_{}", server.port));
    assert_eq!(leftovers(&parent, &[]), Vec::<String>::new());
}

#[test]
fn a_server_that_hangs_times_out() {
    let served = scratch_dir("served-hanging");
    big_repo(&served);
    let server = start_http(&served, &["--hang-after", "100000"]);
    let url = format!("http://127.0.0.1:{}/big.git", server.port);
    let cache = scratch_dir("hanging-cache");
    let config = gitfleet::EngineConfig {
        cache_dir: Some(cache.clone()),
        strict: true,
        clone_stall_timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let start = Instant::now();
    let err = try_query_with(&config, &format!("SELECT count(*) FROM commits('{url}')")).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the stall was not noticed"
    );
    assert!(
        err.contains(&format!("cannot clone {url}: no data from the server for 1s")),
        "{err}"
    );
    let parent = cache.join(format!("repos/http/127.0.0.1_{}", server.port));
    assert_eq!(leftovers(&parent, &[]), Vec::<String>::new());
}

#[test]
fn a_killed_client_leaves_no_half_entry_and_the_next_run_clones() {
    let served = scratch_dir("served-killed");
    let commits = big_repo(&served);
    let slow = served.join("slow");
    std::fs::write(&slow, "").unwrap();
    let server = start_http(&served, &["--slow-file", slow.to_str().unwrap()]);
    let url = format!("http://127.0.0.1:{}/big.git", server.port);
    let cache = scratch_dir("killed-cache");
    let parent = cache.join(format!("repos/http/127.0.0.1_{}", server.port));
    let sql = format!("SELECT count(*) FROM commits('{url}')");
    let mut child = gitfleet_cmd(&cache, &[], &["sql", &sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while leftovers(&parent, &[]).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the clone never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!parent.join("big.git").exists(), "a killed clone left an entry");

    std::fs::remove_file(&slow).unwrap();
    let out = gitfleet(&cache, &[], &["sql", "--strict", "--format", "csv", &sql]);
    assert_eq!(
        text(&out.stdout),
        format!("count(*)\n{commits}\n"),
        "{}",
        text(&out.stderr)
    );
    // The dead process's temporary directory was cleaned up by the next clone.
    let start = Instant::now();
    while leftovers(&parent, &["big.git"]) != Vec::<String>::new() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "left behind: {:?}",
            leftovers(&parent, &["big.git"])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn concurrent_processes_share_one_cache() {
    let served = scratch_dir("served-concurrent");
    let repos = served_repos(&served, 3);
    let server = start_http(&served, &[]);
    let list = repos
        .iter()
        .map(|(name, _)| format!("'http://127.0.0.1:{}/{name}'", server.port))
        .collect::<Vec<_>>()
        .join(", ");
    let cache = scratch_dir("concurrent-cache");
    let sql = format!("SELECT count(*) FROM commits WHERE repo IN ({list})");
    let children: Vec<_> = (0..4)
        .map(|_| {
            gitfleet_cmd(&cache, &[], &["sql", "--strict", "--format", "csv", &sql])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let total: usize = repos.iter().map(|(_, n)| n).sum();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            text(&out.stdout),
            format!("count(*)\n{total}\n"),
            "{}",
            text(&out.stderr)
        );
    }
    let parent = cache.join(format!("repos/http/127.0.0.1_{}", server.port));
    let mut names = leftovers(&parent, &[]);
    names.sort();
    assert_eq!(names, vec!["r0.git", "r1.git", "r2.git"]);
    for name in names {
        git(&parent.join(name), &["fsck", "--no-progress"]);
    }
}

#[test]
fn bad_urls_are_one_clear_line() {
    let config = gitfleet::EngineConfig {
        cache_dir: Some(scratch_dir("bad-url-cache")),
        ..Default::default()
    };
    for (url, needle) in [
        ("ftp://host/x", "unsupported scheme"),
        ("https://github.com/../etc", "bad repository path"),
        ("https://user:s3cret@/x", "bad host"),
    ] {
        let err = try_query_with(&config, &format!("SELECT * FROM commits('{url}')")).unwrap_err();
        assert!(err.contains(needle), "{url}: {err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    // `repos` shows a repository it cannot use as a row; the row never shows its password.
    let rows = queries_with(
        &config,
        &["SELECT repo, status, error FROM repos('https://user:s3cret@/x')"],
    );
    let text = format!("{rows:?}");
    assert!(text.contains("failed") && !text.contains("s3cret"), "{text}");
}

/// Names that an earlier layout mapped to one directory (`a+b` and `a_b`) are two clones, and
/// a cache entry whose recorded origin is another URL is refused, never read.
#[test]
fn distinct_urls_never_share_a_clone() {
    let served = scratch_dir("served-collide");
    let repos = served_repos(&served, 2);
    for (dir, (name, _)) in ["a+b", "a_b"].iter().zip(&repos) {
        std::fs::create_dir_all(served.join(dir)).unwrap();
        std::fs::rename(served.join(name), served.join(dir).join("x.git")).unwrap();
    }
    let daemon = start_daemon(&served);
    let cache = scratch_dir("collide-cache");
    let count = |path: &str, strict: bool| {
        let url = format!("git://127.0.0.1:{}/{path}/x.git", daemon.port);
        let sql = format!("SELECT count(*) FROM commits('{url}')");
        let mut args = vec!["sql", sql.as_str(), "--format", "csv"];
        if strict {
            args.insert(0, "--strict");
        }
        let out = gitfleet(&cache, &[], &args);
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    for (path, (_, commits)) in ["a+b", "a_b"].iter().zip(&repos) {
        let (ok, stdout, stderr) = count(path, false);
        assert!(ok, "{stderr}");
        assert_eq!(stdout, format!("count(*)\n{commits}\n"), "{path}: {stderr}");
    }
    // An entry put where another URL's clone belongs (e.g. by an older layout).
    let plus = cache.join(format!("repos/git/127.0.0.1_{}/a%2Bb/x.git", daemon.port));
    let underscore = cache.join(format!("repos/git/127.0.0.1_{}/a_b/x.git", daemon.port));
    std::fs::remove_dir_all(&plus).unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(&underscore)
        .arg(&plus)
        .status()
        .unwrap();
    assert!(status.success());
    // Like any repository that cannot be had: warned about and left out, or with --strict the
    // query's one-line error.
    let (ok, stdout, stderr) = count("a+b", false);
    assert!(
        ok && stdout == "count(*)\n0\n",
        "a foreign entry was read: {stdout}"
    );
    assert!(stderr.contains("is a clone of"), "{stderr}");
    let (ok, stdout, stderr) = count("a+b", true);
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("is a clone of") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
}

/// The most threads `pid` had at once while it ran, sampled every few milliseconds.
fn peak_threads(child: &mut Child) -> usize {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(n) = text
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
            {
                peak = peak.max(n);
            }
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    peak
}

/// A query naming 2,000 unreachable URLs costs --clone-jobs clone threads and a few more, not a
/// thread per repository (it once spawned two per URL), and each one is a `failed` row.
#[test]
fn thousands_of_unreachable_urls_hold_few_threads() {
    // Nothing listens on a port taken from a listener that is closed again at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let list = (0..2_000)
        .map(|i| format!("'git://127.0.0.1:{port}/r{i}.git'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("SELECT status, count(*) AS n FROM repos WHERE repo IN ({list}) GROUP BY status");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .args(["--clone-jobs", "4", "sql", &sql, "--format", "csv"])
        .env("GITFLEET_CACHE_DIR", scratch_dir("unreachable-cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let peak = peak_threads(&mut child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status,n\nfailed,2000\n");
    // main + engine main + runtime workers (one per core) + 4 clone workers + scan producers
    // (one per core) + a few helper threads of the runtime.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bound = 2 + cores + 4 + cores + 6;
    assert!(peak <= bound, "{peak} threads at once (bound {bound})");
}

/// A cached clone that can no longer be read (its pack deleted, its index truncated, its HEAD
/// removed) is cloned again on its next use or refresh, with a warning; the answer is git's,
/// never an empty history.
#[test]
fn a_damaged_cache_entry_is_cloned_again() {
    let served = scratch_dir("served-damaged");
    let repos = served_repos(&served, 1);
    let daemon = start_daemon(&served);
    let url = format!("git://127.0.0.1:{}/{}", daemon.port, repos[0].0);
    let cache = scratch_dir("damaged-cache");
    let config = |refresh: bool| gitfleet::EngineConfig {
        cache_dir: Some(cache.clone()),
        refresh,
        ..Default::default()
    };
    let count = format!("SELECT count(*) FROM commits('{url}')");
    let expected = repos[0].1 as i64;
    assert_eq!(
        single_i64(&try_query_with(&config(false), &count).unwrap()),
        expected
    );
    let path = rows(&try_query_with(&config(false), &format!("SELECT path FROM repos('{url}')")).unwrap())[0]
        [0]
    .clone();
    let entry = std::path::PathBuf::from(&path);
    let pack_files = |ext: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(entry.join("objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect()
    };
    // The pack deleted: the next query clones again.
    for pack in pack_files("pack") {
        std::fs::remove_file(pack).unwrap();
    }
    assert_eq!(
        single_i64(&try_query_with(&config(false), &count).unwrap()),
        expected
    );
    // HEAD removed.
    std::fs::remove_file(entry.join("HEAD")).unwrap();
    assert_eq!(
        single_i64(&try_query_with(&config(false), &count).unwrap()),
        expected
    );
    // The index truncated, then a refresh: cloned again rather than fetched into.
    for idx in pack_files("idx") {
        std::fs::write(&idx, b"").unwrap();
    }
    assert_eq!(
        single_i64(&try_query_with(&config(true), &count).unwrap()),
        expected
    );
    assert_eq!(
        rows(&try_query_with(&config(false), &format!("SELECT status FROM repos('{url}')")).unwrap()),
        vec![vec!["ready".to_string()]]
    );
    // Nothing is left beside the entry.
    let leftovers: Vec<_> = std::fs::read_dir(entry.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// git's totals for the stats query the fault tests run: added, deleted, commits (no merges).
fn git_totals(repo: &Path) -> String {
    let stats = numstat(repo, &["--no-merges"]);
    let added: i64 = stats.values().flatten().map(|f| f.2).sum();
    let deleted: i64 = stats.values().flatten().map(|f| f.3).sum();
    format!("{added},{deleted},{}", stats.len())
}

const TOTALS: &str =
    "SELECT sum(additions) AS a, sum(deletions) AS d, count(*) AS n FROM commits WHERE NOT is_merge";

/// The stats query's one CSV row, from a gitfleet process.
fn totals_row(out: &Output) -> String {
    text(&out.stdout).lines().nth(1).unwrap_or_default().to_string()
}

/// Files in the stats cache, by name.
fn stats_files(cache: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for dir in std::fs::read_dir(cache.join("stats/v2"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            names.push(file.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

#[test]
fn kill_9_while_a_stats_segment_is_written_loses_nothing() {
    let repo = scratch_dir("fault-stats-repo");
    build(
        &repo,
        &Spec {
            commits: 120,
            initial_files: 20,
            seed: 7,
        },
    );
    let cache = scratch_dir("fault-stats-cache");
    let repo_arg = repo.to_str().unwrap();
    let query =
        |envs: &[(&str, &str)]| gitfleet(&cache, envs, &["-r", repo_arg, "sql", "--format", "csv", TOTALS]);
    // Killed (SIGKILL) with half a segment in its temporary file.
    let killed = query(&[("GITFLEET_FAULT", "stats-segment-write")]);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(killed.status.signal(), Some(9), "{}", text(&killed.stderr));
    let files = stats_files(&cache);
    assert!(
        files.iter().any(|f| f.starts_with(".tmp-")) && !files.iter().any(|f| f.starts_with("seg-")),
        "half a segment, never renamed into place: {files:?}"
    );
    // The next run answers exactly as git, cleans the dead writer's file and caches its stats;
    // the run after that answers the same from the cache.
    let want = git_totals(&repo);
    for _ in 0..2 {
        let out = query(&[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(totals_row(&out), want);
    }
    let files = stats_files(&cache);
    assert!(
        files.iter().all(|f| f.starts_with("seg-")) && !files.is_empty(),
        "{files:?}"
    );
}

#[test]
fn kill_9_during_a_refresh_fetch_then_the_answer_is_gits() {
    let served = scratch_dir("served-fault-fetch");
    big_repo(&served);
    let upstream = served.join("big.git");
    let slow = served.join("slow");
    let server = start_http(&served, &["--slow-file", slow.to_str().unwrap()]);
    let url = format!("http://127.0.0.1:{}/big.git", server.port);
    let cache = scratch_dir("fault-fetch-cache");
    let sql = format!("SELECT count(*) FROM commits('{url}')");
    let first = gitfleet(&cache, &[], &["sql", "--strict", "--format", "csv", &sql]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // Upstream moves on by a few hundred commits, and the server slows down.
    let scratch = scratch_dir("fault-fetch-work");
    git(&scratch, &["clone", "-q", upstream.to_str().unwrap(), "."]);
    for i in 0..300 {
        std::fs::write(
            scratch.join(format!("new-{}.txt", i % 40)),
            format!("{i}\n").repeat(200),
        )
        .unwrap();
        git(&scratch, &["add", "-A"]);
        commit_as(
            &scratch,
            ("Up Stream", "up@example.com"),
            &["-m", &format!("upstream {i}")],
        );
    }
    git(&scratch, &["push", "-q", "origin", "HEAD:main"]);
    std::fs::write(&slow, "").unwrap();
    let entry = cache.join(format!("repos/http/127.0.0.1_{}/big.git", server.port));
    let mut child = gitfleet_cmd(&cache, &[], &["--refresh", "sql", &sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed while git's fetch is receiving the pack (its temporary pack file exists).
    let start = Instant::now();
    let receiving = || {
        std::fs::read_dir(entry.join("objects/pack"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("tmp_pack_"))
    };
    while !receiving() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the fetch never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // git died with its client (no process still names the cache entry), so nothing keeps
    // writing into the cache; git itself would only notice at its next progress line.
    let entry_text = entry.to_string_lossy().into_owned();
    let survivors = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(&entry_text))
            .collect()
    };
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        survivors(),
        Vec::<String>::new(),
        "git outlived its killed client"
    );
    // Without a refresh the old clone answers as before; a refresh brings git's answer.
    std::fs::remove_file(&slow).unwrap();
    let want = git(&upstream, &["rev-list", "--count", "main"])
        .trim()
        .to_string();
    let out = gitfleet(
        &cache,
        &[],
        &["--refresh", "sql", "--strict", "--format", "csv", &sql],
    );
    assert_eq!(
        text(&out.stdout),
        format!("count(*)\n{want}\n"),
        "{}",
        text(&out.stderr)
    );
    let fsck = git_command(&entry)
        .args(["fsck", "--no-progress"])
        .output()
        .unwrap();
    assert!(fsck.status.success(), "{}", text(&fsck.stderr));
}

/// A full disk: a 1 MiB tmpfs as the cache directory where the test may mount one (root on
/// Linux), else the same write error injected. The stats cannot be cached: one warning, and
/// results still exactly git's; a clone that does not fit fails with git's reason and leaves
/// no half entry, and a local repository in the same query still answers.
#[test]
fn a_full_disk_gives_a_warning_and_complete_results() {
    let repo = scratch_dir("fault-full-repo");
    build(
        &repo,
        &Spec {
            commits: 60,
            initial_files: 10,
            seed: 11,
        },
    );
    let want = git_totals(&repo);
    let cache = scratch_dir("fault-full-cache");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&cache)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    struct Unmount(PathBuf, bool);
    impl Drop for Unmount {
        fn drop(&mut self) {
            if self.1 {
                let _ = Command::new("umount").arg(&self.0).status();
            }
        }
    }
    let _unmount = Unmount(cache.clone(), mounted);
    let fault: &[(&str, &str)] = if mounted {
        // Fill the disk but for a few bytes.
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=4096", "count=1000"])
            .arg(format!("of={}", cache.join("filler").display()))
            .stderr(Stdio::null())
            .status();
        &[]
    } else {
        eprintln!("no tmpfs (not root?): the write error is injected");
        &[("GITFLEET_FAULT", "stats-segment-write:enospc")]
    };
    let out = gitfleet(
        &cache,
        fault,
        &["-r", repo.to_str().unwrap(), "sql", "--format", "csv", TOTALS],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(totals_row(&out), want);
    assert!(
        stderr.contains("stats cache not written") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("stats cache not written").count(), 1, "{stderr}");
    assert!(stats_files(&cache).iter().all(|f| !f.starts_with(".tmp-")));
    if mounted {
        // A clone that does not fit next to a local repository.
        let served = scratch_dir("served-full");
        big_repo(&served);
        let daemon = start_daemon(&served);
        let url = format!("git://127.0.0.1:{}/big.git", daemon.port);
        let sql = format!(
            "SELECT repo, count(*) AS n FROM commits WHERE repo IN ('{url}', '{}') GROUP BY repo",
            repo.display()
        );
        let out = gitfleet(&cache, &[], &["sql", "--format", "csv", &sql]);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&url) && stderr.contains("No space left on device"),
            "{stderr}"
        );
        let local_count = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
        assert!(
            text(&out.stdout).contains(&format!("{},{local_count}", repo.display())),
            "{}",
            text(&out.stdout)
        );
        let parent = cache.join(format!("repos/git/127.0.0.1_{}", daemon.port));
        assert!(
            leftovers(&parent, &[]).is_empty(),
            "{:?}",
            leftovers(&parent, &[])
        );
    }
}

/// A server that resets the first connection, as a busy one does (git daemon past its
/// connection limit; a load balancer restarting): the clone is tried again and the answer is
/// whole. A server that keeps resetting fails the query after three tries with git's reason.
#[test]
fn a_reset_connection_is_tried_again() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    let served = scratch_dir("served-reset");
    let counts = served_repos(&served, 1);
    let daemon = start_daemon(&served);
    // Resets the first `resets` connections once it has read the request, then forwards.
    let proxy = |resets: usize| -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let upstream = daemon.port;
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().enumerate() {
                let Ok(mut client) = client else { continue };
                if n < resets {
                    let mut request = [0u8; 256];
                    let _ = client.read(&mut request);
                    let linger = libc::linger {
                        l_onoff: 1,
                        l_linger: 0,
                    };
                    // SAFETY: a valid socket and a linger struct of the size given.
                    unsafe {
                        libc::setsockopt(
                            client.as_raw_fd(),
                            libc::SOL_SOCKET,
                            libc::SO_LINGER,
                            &linger as *const libc::linger as *const libc::c_void,
                            std::mem::size_of::<libc::linger>() as libc::socklen_t,
                        );
                    }
                    drop(client); // with linger 0: a reset, not a close
                    continue;
                }
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let (mut client, mut server) = (client, server);
                    let _ = std::io::copy(&mut server, &mut client);
                    let _ = client.flush();
                });
            }
        });
        port
    };
    let cache = scratch_dir("reset-cache");
    let once = format!("git://127.0.0.1:{}/r0.git", proxy(1));
    let out = gitfleet(
        &cache,
        &[],
        &[
            "--strict",
            "sql",
            "--format",
            "csv",
            &format!("SELECT count(*) FROM commits('{once}')"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("count(*)\n{}\n", counts[0].1));

    let always = format!("git://127.0.0.1:{}/r0.git", proxy(usize::MAX));
    let started = std::time::Instant::now();
    let out = gitfleet(
        &cache,
        &[],
        &[
            "--strict",
            "sql",
            &format!("SELECT count(*) FROM commits('{always}')"),
        ],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.starts_with(&format!("error: cannot clone {always}: ")) && err.contains("reset"),
        "{err}"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1500),
        "tried three times, 0.5 s and 1 s apart"
    );
}
