//! `gitfleet serve` with real Postgres clients on 127.0.0.1: the installed `psql`, and psycopg 3
//! and SQLAlchemy (`tests/support/pg_clients.py`, in the venv the README test command makes).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn gitfleet(repo: &Path, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitfleet"));
    cmd.arg("-r")
        .arg(repo)
        .args(args)
        .env("GITFLEET_CACHE_DIR", scratch_dir("server-cache"))
        .env_remove("GITFLEET_PASSWORD")
        .envs(envs.iter().copied());
    cmd
}

fn start(repo: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--listen", &listen];
    args.extend_from_slice(extra);
    let mut child = gitfleet(repo, &args, envs)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gitfleet serve");
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut log = sink.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited ({status}): {}", log.lock().unwrap());
        }
        assert!(start.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port, log }
}

fn psql(server: &Server, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new("psql")
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
        ])
        .arg("-p")
        .arg(server.port.to_string())
        .args(args)
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .envs(envs.iter().copied())
        .output()
        .expect("psql is installed (the README test command installs it)")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn psql_ok(server: &Server, sql: &str) -> String {
    let out = psql(server, &["-c", sql], &[]);
    assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[test]
fn psql_sees_every_table_and_answers_like_git() {
    let repo = fixture("basic");
    let server = start(&repo, &[], &[]);
    let commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    assert_eq!(psql_ok(&server, "SELECT count(*) FROM commits"), commits);

    // Catalog introspection as psql does it.
    let tables = psql_ok(&server, "\\dt");
    for table in ["commits", "commit_files", "refs", "files", "repos"] {
        assert!(
            tables.contains(&format!("|{table}|")),
            "{table} missing from \\dt:\n{tables}"
        );
    }
    let views = psql_ok(&server, "\\dv");
    for view in ["clone_status", "top_contributors", "churn_hotspots"] {
        assert!(
            views.contains(&format!("|{view}|")),
            "{view} missing from \\dv:\n{views}"
        );
    }
    let described = psql_ok(&server, "\\d commits");
    for needle in [
        "author_email|text",
        "additions|bigint",
        "author_time|timestamp with time zone",
        "is_merge|boolean",
    ] {
        assert!(
            described.contains(needle),
            "{needle} missing from \\d commits:\n{described}"
        );
    }
    // Table functions, and the analyses as views.
    let path = repo.display().to_string();
    assert_eq!(
        psql_ok(&server, &format!("SELECT count(*) FROM commits('{path}')")),
        commits
    );
    let top = psql_ok(&server, "SELECT count(*) FROM top_contributors");
    assert!(top.parse::<i64>().unwrap() > 0, "{top}");

    // A bad query, then a good one, on the same connection.
    let out = psql(
        &server,
        &["-v", "ON_ERROR_STOP=0", "-c", "SELEC 1", "-c", "SELECT 40 + 2"],
        &[],
    );
    assert_eq!(text(&out.stdout).trim(), "42");
    assert!(text(&out.stderr).contains("ERROR"), "{}", text(&out.stderr));

    // Writes are refused and write nothing.
    let target = scratch_dir("server-copy").join("out.csv");
    for sql in [
        format!("COPY (SELECT 1) TO '{}'", target.display()),
        format!(
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{}'",
            target.display()
        ),
        "CREATE TABLE t (a int)".to_string(),
        "INSERT INTO commits (sha) VALUES ('x')".to_string(),
        "DROP TABLE commits".to_string(),
    ] {
        let out = psql(&server, &["-c", &sql], &[]);
        assert!(!out.status.success(), "{sql} was accepted");
        assert!(
            text(&out.stderr).contains("read-only"),
            "{sql}: {}",
            text(&out.stderr)
        );
    }
    assert!(!target.exists());
    assert_eq!(psql_ok(&server, "SELECT count(*) FROM commits"), commits);

    // One log line per query: client, duration, rows, outcome.
    let log = server.log();
    assert!(
        log.lines().any(|l| l.starts_with("127.0.0.1:")
            && l.contains("rows=1 ok")
            && l.contains("query=\"SELECT count(*) FROM commits\"")),
        "{log}"
    );
    assert!(log.lines().any(|l| l.contains("read-only")), "{log}");
}

#[test]
fn python_clients_psycopg_and_sqlalchemy() {
    let repo = fixture("basic");
    let server = start(&repo, &[], &[]);
    let commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let email = git(&repo, &["log", "-1", "--format=%ae"]).trim().to_string();
    let by_email = git(&repo, &["log", "--format=%ae"])
        .lines()
        .filter(|l| *l == email)
        .count();
    let python = std::env::var("GITFLEET_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pg_clients.py");
    let out = Command::new(&python)
        .arg(script)
        .args([server.port.to_string(), commits, email, by_email.to_string()])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}\n{}\nserver log:\n{}",
        text(&out.stdout),
        text(&out.stderr),
        server.log()
    );
    let log = server.log();
    assert!(
        log.contains("error=\"cancelled\"") || log.contains("canceling statement"),
        "{log}"
    );
}

/// A statement nested too deep fails alone with PostgreSQL's SQLSTATE for it (54001), in the
/// simple protocol here and the extended one in `pg_clients.py`; the server stays up, and a
/// dashboard's long `OR` of equalities runs and answers as git does.
#[test]
fn deep_statements_fail_alone_and_long_or_filters_run() {
    let repo = fixture("basic");
    let server = start(&repo, &[], &[]);
    let chain = format!("SELECT 1{}", "+1".repeat(2_999));
    let out = psql(&server, &["-v", "VERBOSITY=verbose", "-c", &chain], &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("54001") && err.contains("statement too complex"),
        "{err}"
    );
    // The extended protocol: tests/support/pg_clients.py (psycopg).
    let terms: Vec<String> = (0..3_000)
        .map(|i| format!("author_email = 'nobody{i}@example.com'"))
        .collect();
    let email = git(&repo, &["log", "-1", "--format=%ae"]);
    let expected = git(&repo, &["log", "--format=%ae"])
        .lines()
        .filter(|e| *e == email.trim())
        .count();
    let sql = format!(
        "SELECT count(*) FROM commits WHERE {} OR author_email = '{}'",
        terms.join(" OR "),
        email.trim()
    );
    assert_eq!(psql_ok(&server, &sql), expected.to_string());
    assert_eq!(psql_ok(&server, "SELECT 1"), "1");
}

#[test]
fn a_dropped_connection_frees_its_query_and_the_server_keeps_serving() {
    let repo = fixture("basic");
    let server = start(&repo, &[], &[]);
    let mut client = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-U", "tester", "-d", "gitfleet", "-p"])
        .arg(server.port.to_string())
        .args(["-c", "SELECT sum(value) FROM generate_series(1, 200000000000)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    client.kill().unwrap();
    client.wait().unwrap();
    let start = Instant::now();
    while !server.log().contains("generate_series") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the dropped client's query was not stopped:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(server.log().contains("cancelled"), "{}", server.log());
    assert_eq!(psql_ok(&server, "SELECT 1"), "1");
}

#[test]
fn passwords_loopback_and_tls() {
    let repo = fixture("basic");
    // Off loopback without a password: refused before anything listens.
    let out = gitfleet(&repo, &["serve", "--listen", "0.0.0.0:0"], &[])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("without a password"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // With a password: the right one connects, a wrong one does not, neither is logged.
    let secret = "pw-9f2c1e77";
    let server = start(&repo, &[], &[("GITFLEET_PASSWORD", secret)]);
    let out = psql(&server, &["-c", "SELECT 1"], &[("PGPASSWORD", "wrong")]);
    assert!(!out.status.success());
    let out = psql(&server, &["-c", "SELECT 1"], &[("PGPASSWORD", secret)]);
    assert_eq!(text(&out.stdout).trim(), "1", "{}", text(&out.stderr));
    assert!(!server.log().contains(secret));
    assert!(!server.log().contains("wrong"));

    // TLS with a self-signed certificate: psql connects with sslmode=require.
    let dir = scratch_dir("server-tls");
    let (cert, key) = self_signed(&dir);
    let server = start(
        &repo,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    let out = psql(&server, &["-c", "SELECT 7"], &[("PGSSLMODE", "require")]);
    assert_eq!(text(&out.stdout).trim(), "7", "{}", text(&out.stderr));
    // A certificate that cannot be read is an error, not a silent fallback to plain text.
    let out = gitfleet(
        &repo,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("TLS certificate"),
        "{}",
        text(&out.stderr)
    );
}

/// A self-signed certificate and key made by openssl.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    let _ = std::io::stdout().flush();
    (cert, key)
}
