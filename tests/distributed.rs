//! Queries on workers (`gitfleet worker`, `--workers`) against the single-node answer: a fleet of
//! generated repositories served by a real `git daemon` on 127.0.0.1, three workers on loopback
//! (in this process, and as real processes), every git table compared row by row. Also where
//! the clones land, a worker down before or dying during a query, and the shared secret.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::daemon::{start_daemon, Daemon};
use common::history::{build, Spec};
use common::http::start_http;
use common::*;

const FLEET: usize = 24;
const TOKEN: &str = "ghp_distributedTestToken0123456789abcdef";

/// The fleet's bare repositories, built once per test binary: `r0.git` .. `r23.git`, of
/// different sizes.
fn fleet_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch_dir("fleet");
        for i in 0..FLEET {
            build(
                &dir.join(format!("r{i}.git")),
                &Spec {
                    commits: 4 + i % 7,
                    initial_files: 2 + i % 3,
                    seed: 100 + i as u64,
                },
            );
        }
        dir
    })
}

fn urls(daemon: &Daemon) -> Vec<String> {
    (0..FLEET)
        .map(|i| format!("git://127.0.0.1:{}/r{i}.git", daemon.port))
        .collect()
}

/// A real `gitfleet worker` process on a free loopback port, its stderr kept.
struct WorkerProcess {
    child: Child,
    addr: String,
    cache: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl WorkerProcess {
    fn start(name: &str, listen: &str, envs: &[(&str, &str)]) -> Result<WorkerProcess, String> {
        let cache = scratch_dir(name);
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
            .args(["worker", "--listen", listen])
            .env("GITFLEET_CACHE_DIR", &cache)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITFLEET_GITHUB_TOKENS")
            .env_remove("GITFLEET_WORKER_SECRET")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gitfleet worker starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let Some(addr) = first
            .strip_prefix("gitfleet worker listening on ")
            .and_then(|rest| rest.split_whitespace().next())
        else {
            let _ = child.wait();
            let rest: Vec<String> = lines.map_while(Result::ok).collect();
            return Err(format!("{first}\n{}", rest.join("\n")));
        };
        let addr = addr.to_string();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        Ok(WorkerProcess {
            child,
            addr,
            cache,
            stderr,
        })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn output(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The clone directories under a cache, by repository name, with their inode (a clone made
/// again would be a new directory).
fn clones(cache: &Path) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    let mut stack = vec![cache.join("repos")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".git") && path.join("HEAD").exists() {
                found.insert(name, std::fs::metadata(&path).unwrap().ino());
            } else if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found
}

/// The queries compared with the single-node answer: every git table, and an aggregate whose
/// partial aggregation runs on the workers.
const QUERIES: [&str; 8] = [
    "SELECT * FROM commits",
    "SELECT * FROM commit_files",
    "SELECT * FROM refs",
    "SELECT * FROM files",
    "SELECT * FROM blame",
    // `path` is where the clone lives: on a worker, not here.
    "SELECT repo, url, head_ref, head_sha, is_bare, status, error FROM repos",
    "SELECT repo, count(*), sum(additions), sum(deletions) FROM commits GROUP BY repo",
    "SELECT author_email, count(*) FROM commits WHERE NOT is_merge GROUP BY 1 ORDER BY 2 DESC, 1",
];

fn single_node(daemon: &Daemon) -> Vec<Vec<String>> {
    let config = gitfleet::EngineConfig {
        repos: urls(daemon),
        cache_dir: Some(scratch_dir(&format!("single-{}", daemon.port))),
        strict: true,
        ..Default::default()
    };
    queries_with(&config, &QUERIES)
        .into_iter()
        .zip(QUERIES)
        .map(|(result, sql)| {
            let rows = result.unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(!rows.is_empty(), "{sql} gave no rows");
            sorted(rows.into_iter().map(|r| r.join("\x1f")).collect())
        })
        .collect()
}

/// Strict, as the single-node session is: a repository a worker cannot clone fails the query
/// with why, where a warning nobody reads would leave a shorter answer to compare.
fn coordinator(daemon: &Daemon, workers: &[String], name: &str) -> gitfleet::EngineConfig {
    gitfleet::EngineConfig {
        repos: urls(daemon),
        cache_dir: Some(scratch_dir(name)),
        workers: workers.to_vec(),
        github_tokens: vec![TOKEN.to_string()],
        strict: true,
        ..Default::default()
    }
}

fn distributed(config: &gitfleet::EngineConfig) -> Vec<Vec<String>> {
    queries_with(config, &QUERIES)
        .into_iter()
        .zip(QUERIES)
        .map(|(result, sql)| {
            let rows = result.unwrap_or_else(|e| panic!("{sql} on workers: {e}"));
            sorted(rows.into_iter().map(|r| r.join("\x1f")).collect())
        })
        .collect()
}

/// Each repository was cloned by exactly one worker; together they hold the fleet.
fn assert_disjoint_and_complete(caches: &[&Path]) -> Vec<BTreeMap<String, u64>> {
    let held: Vec<BTreeMap<String, u64>> = caches.iter().map(|c| clones(c)).collect();
    let mut all = BTreeSet::new();
    for (i, h) in held.iter().enumerate() {
        assert!(
            !h.is_empty(),
            "worker {i} cloned nothing: the fleet is not spread"
        );
        for name in h.keys() {
            assert!(all.insert(name.clone()), "{name} was cloned by two workers");
        }
    }
    assert_eq!(all.len(), FLEET, "{all:?}");
    held
}

#[test]
fn three_worker_processes_give_the_single_node_answer() {
    let daemon = start_daemon(fleet_dir());
    let expected = single_node(&daemon);
    let mut workers: Vec<WorkerProcess> = (0..3)
        .map(|i| WorkerProcess::start(&format!("proc-worker-{i}"), "127.0.0.1:0", &[]).unwrap())
        .collect();
    let addrs: Vec<String> = workers.iter().map(|w| w.addr.clone()).collect();
    let config = coordinator(&daemon, &addrs, "proc-coordinator");
    let got = distributed(&config);
    for ((sql, want), got) in QUERIES.iter().zip(&expected).zip(&got) {
        assert_eq!(got, want, "{sql}");
    }
    // The coordinator cloned nothing; each repository lives on one worker.
    assert!(clones(config.cache_dir.as_ref().unwrap()).is_empty());
    let caches: Vec<&Path> = workers.iter().map(|w| w.cache.as_path()).collect();
    let before = assert_disjoint_and_complete(&caches);

    // The next query goes to the same workers and clones nothing.
    let again = distributed(&config);
    assert_eq!(again, expected);
    let after: Vec<_> = caches.iter().map(|c| clones(c)).collect();
    assert_eq!(after, before, "a second query cloned again");

    // A worker down before the query: its repositories go to the others, with one warning.
    workers[1].kill();
    let out = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .args([
            "--workers",
            &addrs.join(","),
            "sql",
            QUERIES[6],
            "--format",
            "csv",
        ])
        .env("GITFLEET_CACHE_DIR", config.cache_dir.as_ref().unwrap())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GITFLEET_WORKERS")
        .args(urls(&daemon).iter().flat_map(|u| ["-r".to_string(), u.clone()]))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("not reachable")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains(&format!("worker http://{}", addrs[1])),
        "{stderr}"
    );
    let mut rows: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.replace(',', "\x1f"))
        .collect();
    rows.sort();
    assert_eq!(rows, expected[6]);
    let (w0, w2) = (clones(&workers[0].cache), clones(&workers[2].cache));
    assert_eq!(w0.len() + w2.len(), FLEET);
    assert!(w0.keys().all(|k| !w2.contains_key(k)));

    // No token reached a worker: not in its output, not in its cache.
    for w in &workers {
        assert!(!w.output().contains(TOKEN), "{}", w.output());
        let leaked = files_containing(&w.cache, TOKEN);
        assert!(leaked.is_empty(), "{leaked:?}");
    }
}

#[test]
fn three_workers_in_this_process_give_the_single_node_answer() {
    let daemon = start_daemon(fleet_dir());
    let expected = single_node(&daemon);
    let runtime = runtime();
    let mut addrs = Vec::new();
    let mut caches = Vec::new();
    for i in 0..3 {
        let cache = scratch_dir(&format!("inproc-worker-{i}"));
        let config = gitfleet::EngineConfig {
            cache_dir: Some(cache.clone()),
            ..Default::default()
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        addrs.push(listener.local_addr().unwrap().to_string());
        runtime.spawn(async move { gitfleet::engine::serve_worker(&config, listener).await });
        caches.push(cache);
    }
    let config = coordinator(&daemon, &addrs, "inproc-coordinator");
    let got = distributed(&config);
    for ((sql, want), got) in QUERIES.iter().zip(&expected).zip(&got) {
        assert_eq!(got, want, "{sql}");
    }
    assert!(clones(config.cache_dir.as_ref().unwrap()).is_empty());
    let caches: Vec<&Path> = caches.iter().map(PathBuf::as_path).collect();
    assert_disjoint_and_complete(&caches);

    // EXPLAIN shows the stages and which worker reads which repositories.
    let explain = queries_with(&config, &[&format!("EXPLAIN {}", QUERIES[6])])
        .remove(0)
        .unwrap();
    let plan = explain.iter().map(|r| r.join(" ")).collect::<Vec<_>>().join("\n");
    assert!(plan.contains("DistributedExec"), "{plan}");
    assert!(plan.contains("AggregateExec: mode=Partial"), "{plan}");
    for addr in &addrs {
        assert!(plan.contains(&format!("worker=http://{addr}")), "{plan}");
    }
    runtime.shutdown_background();
}

#[test]
fn a_worker_that_dies_mid_query_fails_it_with_one_line() {
    let daemon = start_daemon(fleet_dir());
    let mut workers: Vec<WorkerProcess> = (0..3)
        .map(|i| WorkerProcess::start(&format!("dying-worker-{i}"), "127.0.0.1:0", &[]).unwrap())
        .collect();
    let addrs: Vec<String> = workers.iter().map(|w| w.addr.clone()).collect();
    let config = coordinator(&daemon, &addrs, "dying-coordinator");
    let dead = addrs[2].clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = runtime();
        let result = runtime.block_on(async {
            let ctx = gitfleet::session(&config).map_err(|e| e.to_string())?;
            // Planned while all three answer; the third is gone when the plan runs.
            let plan = ctx
                .sql("SELECT repo, count(*) FROM commits GROUP BY repo")
                .await
                .map_err(|e| e.to_string())?
                .create_physical_plan()
                .await
                .map_err(|e| e.to_string())?;
            tx.send(None).unwrap();
            std::thread::sleep(Duration::from_millis(500));
            datafusion::physical_plan::collect(plan, ctx.task_ctx())
                .await
                .map_err(|e| gitfleet::engine::describe(&e))
        });
        tx.send(Some(result)).unwrap();
    });
    assert!(rx.recv_timeout(Duration::from_secs(120)).unwrap().is_none());
    workers[2].kill();
    let result = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the query hung after its worker died")
        .unwrap();
    let err = result.expect_err("a query whose worker died cannot succeed");
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains(&dead), "the error does not name the worker: {err}");
}

/// A worker killed while its rows are streaming: the query fails with one line naming the
/// worker (never a shorter result passed off as complete), and the reader is not left waiting.
#[test]
fn a_worker_killed_while_rows_stream_fails_the_query() {
    let daemon = start_daemon(fleet_dir());
    // One repository's server stops sending mid-clone: its partition is still waiting on the
    // worker when the other repositories' rows have arrived here.
    let hanging = start_http(fleet_dir(), &["--hang-after", "200"]);
    let mut workers = vec![WorkerProcess::start("stream-worker", "127.0.0.1:0", &[]).unwrap()];
    let addrs: Vec<String> = workers.iter().map(|w| w.addr.clone()).collect();
    let mut repos: Vec<String> = urls(&daemon).into_iter().take(4).collect();
    repos.push(format!("http://127.0.0.1:{}/r5.git", hanging.port));
    let config = gitfleet::EngineConfig {
        repos,
        cache_dir: Some(scratch_dir("stream-coordinator")),
        workers: addrs.clone(),
        ..Default::default()
    };
    let (tx, rx) = std::sync::mpsc::channel::<Result<usize, String>>();
    std::thread::spawn(move || {
        let runtime = runtime();
        let result = runtime.block_on(async {
            use futures::StreamExt;
            let ctx = gitfleet::session(&config).map_err(|e| e.to_string())?;
            let frame = ctx
                .sql("SELECT * FROM diff_lines")
                .await
                .map_err(|e| e.to_string())?;
            let mut stream = gitfleet::engine::execute_stream(frame)
                .await
                .map_err(|e| e.to_string())?;
            let first = stream
                .next()
                .await
                .expect("a first batch")
                .map_err(|e| e.to_string())?;
            // Rows are flowing: now the workers die.
            tx.send(Ok(first.num_rows())).unwrap();
            let mut rows = first.num_rows();
            while let Some(batch) = stream.next().await {
                rows += batch.map_err(|e| gitfleet::engine::describe(&e))?.num_rows();
            }
            Ok(rows)
        });
        let _ = tx.send(result);
    });
    let first = rx.recv_timeout(Duration::from_secs(120)).expect("no first batch");
    assert!(first.is_ok_and(|n| n > 0));
    for w in &mut workers {
        w.kill();
    }
    let end = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the query hung after its workers died");
    let err = end.expect_err("the query succeeded although its workers died mid-stream");
    assert!(!err.contains('\n'), "{err}");
    assert!(
        addrs.iter().any(|a| err.contains(a.as_str())),
        "the error names no worker: {err}"
    );
}

/// `--refresh` travels with the scan: the worker fetches its cached clone for that query.
#[test]
fn refresh_reaches_the_workers() {
    let served = scratch_dir("served-refresh");
    let repo = served.join("moving.git");
    build(
        &repo,
        &Spec {
            commits: 4,
            initial_files: 2,
            seed: 21,
        },
    );
    let daemon = start_daemon(&served);
    let worker = WorkerProcess::start("refresh-worker", "127.0.0.1:0", &[]).unwrap();
    let cache = scratch_dir("refresh-coordinator");
    let sql = format!(
        "SELECT count(*) FROM commits('git://127.0.0.1:{}/moving.git')",
        daemon.port
    );
    let count = |extra: &[&str]| -> String {
        let mut args = vec!["--workers", worker.addr.as_str()];
        args.extend_from_slice(extra);
        args.extend(["sql", sql.as_str(), "--format", "csv"]);
        let out = cli(&cache, &[], &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let before = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    assert_eq!(count(&[]), before);
    // Upstream moves on.
    let tree = git(&repo, &["rev-parse", "main^{tree}"]);
    let out = git_command(&repo)
        .args(["commit-tree", tree.trim(), "-p", "main", "-m", "one more"])
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@x")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@x")
        .output()
        .unwrap();
    assert!(out.status.success());
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_string();
    git(&repo, &["update-ref", "refs/heads/main", &sha]);
    let after = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    assert_ne!(after, before);
    // The worker's cached clone is read as it is, until a query asks for a refresh.
    assert_eq!(count(&[]), before);
    assert_eq!(count(&["--refresh"]), after);
    assert_eq!(count(&[]), after);
}

/// A query joining a GitHub table with a git table runs on the coordinator, with one warning:
/// the distributed planner would send the GitHub scan to a worker, which cannot run it.
#[test]
fn github_tables_joined_with_git_tables_run_here() {
    let daemon = start_daemon(fleet_dir());
    let dir = scratch_dir("fake-github-workers");
    let port_file = dir.join("port");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_github.py");
    let mut github = Command::new("python3")
        .arg(script)
        .arg(&port_file)
        .arg(dir.join("requests.jsonl"))
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let start = std::time::Instant::now();
    let port = loop {
        if let Ok(text) = std::fs::read_to_string(&port_file) {
            if let Ok(port) = text.trim().parse::<u16>() {
                break port;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "fake GitHub did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let worker = WorkerProcess::start("github-worker", "127.0.0.1:0", &[]).unwrap();
    let api = format!("http://127.0.0.1:{port}");
    let envs = [
        ("GITHUB_API_URL", api.as_str()),
        ("GITFLEET_GITHUB_TOKENS", "tok_good_aaaaaaaa1111"),
    ];
    let repo = format!("git://127.0.0.1:{}/r2.git", daemon.port);
    let sql = "SELECT count(*) FROM (SELECT author_name FROM commits UNION ALL \
               SELECT author FROM gh_issues WHERE owner = 'acme' AND repo = 'rocket')";
    let here = cli(
        &scratch_dir("github-single"),
        &envs,
        &["-r", &repo, "sql", sql, "--format", "csv"],
    );
    assert!(here.status.success(), "{}", String::from_utf8_lossy(&here.stderr));
    let cache = scratch_dir("github-coordinator");
    let there = cli(
        &cache,
        &envs,
        &[
            "--workers",
            &worker.addr,
            "-r",
            &repo,
            "sql",
            sql,
            "--format",
            "csv",
        ],
    );
    let _ = github.kill();
    let _ = github.wait();
    let stderr = String::from_utf8_lossy(&there.stderr);
    assert!(there.status.success(), "{stderr}");
    assert_eq!(there.stdout, here.stdout);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("it runs here, not on the workers"), "{stderr}");
}

fn cli(cache: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .env("GITFLEET_CACHE_DIR", cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GITFLEET_WORKER_SECRET")
        .env_remove("GITFLEET_WORKERS")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITFLEET_GITHUB_TOKENS")
        .envs(envs.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn workers_want_the_shared_secret() {
    let daemon = start_daemon(fleet_dir());
    // Off loopback a worker does not start without a secret.
    let refused = WorkerProcess::start("open-worker", "0.0.0.0:0", &[])
        .err()
        .expect("started without a secret");
    assert!(refused.contains("GITFLEET_WORKER_SECRET"), "{refused}");

    let secret = "s3cret-for-the-fleet";
    let worker = WorkerProcess::start(
        "secret-worker",
        "127.0.0.1:0",
        &[("GITFLEET_WORKER_SECRET", secret)],
    )
    .unwrap();
    let cache = scratch_dir("secret-coordinator");
    let repo = format!("git://127.0.0.1:{}/r3.git", daemon.port);
    let sql = format!("SELECT count(*) FROM commits('{repo}')");
    let without = cli(&cache, &[], &["--workers", &worker.addr, "sql", &sql]);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(!without.status.success());
    assert!(stderr.contains("shared secret"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let wrong = cli(
        &cache,
        &[("GITFLEET_WORKER_SECRET", "guess")],
        &["--workers", &worker.addr, "sql", &sql],
    );
    assert!(!wrong.status.success());

    let with = cli(
        &cache,
        &[("GITFLEET_WORKER_SECRET", secret)],
        &["--workers", &worker.addr, "sql", &sql, "--format", "csv"],
    );
    let stdout = String::from_utf8_lossy(&with.stdout);
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    let commits = git(&fleet_dir().join("r3.git"), &["rev-list", "--count", "HEAD"]);
    assert_eq!(stdout.lines().nth(1), Some(commits.trim()));
    assert!(!worker.output().contains(secret));

    // Bad worker lists are one clear line.
    let bad = cli(&cache, &[], &["--workers", "localhost", "sql", "SELECT 1"]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("worker 'localhost' is not HOST:PORT"), "{stderr}");
    let none = cli(&cache, &[], &["--workers", "127.0.0.1:1", "sql", &sql]);
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(
        stderr.contains("no worker is reachable (http://127.0.0.1:1)"),
        "{stderr}"
    );
}

#[test]
fn clone_credentials_reach_workers_in_headers_only() {
    let served = scratch_dir("served-http-workers");
    build(
        &served.join("private.git"),
        &Spec {
            commits: 5,
            initial_files: 2,
            seed: 7,
        },
    );
    let token = "tok-worker-5ecret-4567";
    let server = start_http(&served, &["--token", token]);
    let url = format!("http://127.0.0.1:{}/private.git", server.port);
    let hosts = format!("127.0.0.1:{}", server.port);
    // The worker has no token of its own.
    let worker = WorkerProcess::start("cred-worker", "127.0.0.1:0", &[]).unwrap();
    let cache = scratch_dir("cred-coordinator");
    let sql = format!("SELECT count(*) FROM commits('{url}')");
    let args = [
        "--workers",
        &worker.addr,
        "--strict",
        "sql",
        &sql,
        "--format",
        "csv",
    ];
    let without = cli(&cache, &[("GITFLEET_TOKEN_HOSTS", &hosts)], &args);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(!without.status.success());
    assert!(stderr.contains(&format!("cannot clone {url}")), "{stderr}");
    // The coordinator's token reaches the worker with the query, and only there.
    let with = cli(
        &cache,
        &[
            ("GITFLEET_GITHUB_TOKENS", token),
            ("GITFLEET_TOKEN_HOSTS", &hosts),
        ],
        &args,
    );
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    let commits = git(&served.join("private.git"), &["rev-list", "--count", "HEAD"]);
    assert_eq!(
        String::from_utf8_lossy(&with.stdout).lines().nth(1),
        Some(commits.trim())
    );
    assert!(clones(&cache).is_empty(), "the coordinator cloned");
    assert!(clones(&worker.cache).contains_key("private.git"));
    assert!(!worker.output().contains(token), "{}", worker.output());
    assert!(files_containing(&worker.cache, token).is_empty());
    assert!(files_containing(&cache, token).is_empty());
    assert!(!String::from_utf8_lossy(&with.stderr).contains(token));
}

#[test]
fn serve_answers_psql_from_the_workers() {
    let daemon = start_daemon(fleet_dir());
    let worker = WorkerProcess::start("serve-worker", "127.0.0.1:0", &[]).unwrap();
    let cache = scratch_dir("serve-coordinator");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args = vec!["--workers".to_string(), worker.addr.clone()];
    for url in urls(&daemon).iter().take(3) {
        args.extend(["-r".to_string(), url.clone()]);
    }
    args.extend([
        "serve".to_string(),
        "--listen".to_string(),
        format!("127.0.0.1:{port}"),
    ]);
    let mut server = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .args(&args)
        .env("GITFLEET_CACHE_DIR", &cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GITFLEET_WORKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut first = String::new();
    log.read_line(&mut first).unwrap();
    assert!(first.contains("listening on"), "{first}");
    // Keep reading its log: a closed pipe would fail the server's next log line.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    let out = Command::new("psql")
        .args([
            "-X",
            "-A",
            "-t",
            "-h",
            "127.0.0.1",
            "-U",
            "tester",
            "-d",
            "gitfleet",
            "-p",
            &port.to_string(),
        ])
        .args([
            "-c",
            "SELECT repo, count(*) FROM commits GROUP BY repo ORDER BY repo",
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("psql is installed (the README test command installs it)");
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> = (0..3)
        .map(|i| {
            let n = git(
                &fleet_dir().join(format!("r{i}.git")),
                &["rev-list", "--count", "HEAD"],
            );
            format!("git://127.0.0.1:{}/r{i}.git|{}", daemon.port, n.trim())
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(clones(&worker.cache).len(), 3);
    assert!(clones(&cache).is_empty(), "the server cloned");
}

#[test]
fn a_clone_that_fails_on_a_worker_is_a_warning_here() {
    let daemon = start_daemon(fleet_dir());
    let workers: Vec<WorkerProcess> = (0..2)
        .map(|i| WorkerProcess::start(&format!("warn-worker-{i}"), "127.0.0.1:0", &[]).unwrap())
        .collect();
    let addrs: Vec<String> = workers.iter().map(|w| w.addr.clone()).collect();
    let cache = scratch_dir("warn-coordinator");
    let missing = format!("git://127.0.0.1:{}/missing.git", daemon.port);
    let present = format!("git://127.0.0.1:{}/r4.git", daemon.port);
    let sql =
        format!("SELECT repo, count(*) FROM commits WHERE repo IN ('{missing}', '{present}') GROUP BY repo");
    let out = cli(
        &cache,
        &[],
        &["--workers", &addrs.join(","), "sql", &sql, "--format", "csv"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The other repository's rows are all there; the failed one is one warning line, here.
    let commits = git(&fleet_dir().join("r4.git"), &["rev-list", "--count", "HEAD"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().nth(1),
        Some(format!("{present},{}", commits.trim()).as_str())
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with(&format!("warning: cannot clone {missing}")),
        "{stderr}"
    );
    // `repos` lists it as failed.
    let sql = format!("SELECT status FROM repos('{missing}')");
    let out = cli(
        &cache,
        &[],
        &["--workers", &addrs.join(","), "sql", &sql, "--format", "csv"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status\nfailed\n");
}

/// `gitfleet report --workers`: the report's queries are ordinary queries, so its scans run on
/// the workers (the coordinator clones nothing) and every section's rows equal those of a
/// report made here. With 24 repositories, the weekly chart folds all but the ten busiest into
/// one series, and Chromium draws the page without a console message.
#[test]
fn a_report_on_workers_equals_one_made_here() {
    let daemon = start_daemon(fleet_dir());
    let workers: Vec<WorkerProcess> = (0..2)
        .map(|i| WorkerProcess::start(&format!("report-worker-{i}"), "127.0.0.1:0", &[]).unwrap())
        .collect();
    let addrs: Vec<String> = workers.iter().map(|w| w.addr.clone()).collect();
    let repos: Vec<String> = urls(&daemon)
        .iter()
        .flat_map(|u| ["-r".to_string(), u.clone()])
        .collect();
    let dir = scratch_dir("report-pages");
    let make = |cache: &str, page: &str, extra: &[&str]| {
        let page = dir.join(page);
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(repos.iter().map(String::as_str));
        args.extend(["report", "-o", page.to_str().unwrap()]);
        let out = cli(&scratch_dir(cache), &[], &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        report::data(&std::fs::read_to_string(&page).unwrap())
    };
    let joined = addrs.join(",");
    let remote = make("report-coordinator", "workers.html", &["--workers", &joined]);
    let here = make("report-here", "here.html", &[]);
    assert!(
        clones(&scratch_dir("report-coordinator")).is_empty(),
        "the workers cloned"
    );
    let sorted = |rows: &serde_json::Value| {
        let mut rows: Vec<String> = rows.as_array().unwrap().iter().map(|r| r.to_string()).collect();
        rows.sort();
        rows
    };
    for (id, query) in here["queries"].as_object().unwrap() {
        assert!(!query["rows"].as_array().unwrap().is_empty(), "{id}");
        assert_eq!(
            sorted(&remote["queries"][id]["rows"]),
            sorted(&query["rows"]),
            "{id}"
        );
    }
    let shown = report::render(&dir.join("workers.html"), "", 1280);
    assert_eq!(shown.console, Vec::<String>::new());
    assert_eq!(report::body_attribute(&shown.dom, "data-errors"), None);
    assert!(
        shown.dom.contains("other 14 repositories"),
        "the weekly chart's folded series"
    );
}
