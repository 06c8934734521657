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

/// `gitfleet serve` with `extra` options refuses to start, with `needle` in its error.
fn serve_fails(repo: &Path, extra: &[&str], needle: &str) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let out = gitfleet(repo, &args, &[]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
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
    // One query's operators use half the cores (--query-threads), not all of them.
    let half = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    let partitions = psql_ok(
        &server,
        "SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.target_partitions'",
    );
    assert_eq!(partitions, half.to_string());

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
    // A statement too large to even parse safely (once: a 10 MB chain aborted the server when
    // its parse tree was freed) is refused from its tokens.
    let huge = format!("SELECT 1{}", "+1".repeat(150_000));
    let file = scratch_dir("server-huge").join("huge.sql");
    std::fs::write(&file, &huge).unwrap();
    let out = psql(
        &server,
        &["-v", "VERBOSITY=verbose", "-f", file.to_str().unwrap()],
        &[],
    );
    assert!(text(&out.stderr).contains("54001"), "{}", text(&out.stderr));
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
    assert!(server.log().contains("client went away"), "{}", server.log());
    assert_eq!(psql_ok(&server, "SELECT 1"), "1");
}

/// The authentication request the server answers a startup message with: 0 ok, 3 cleartext
/// password, 10 SASL (SCRAM).
fn auth_request(server: &Server, user: &str) -> i32 {
    use std::io::Read;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let mut body = 196_608i32.to_be_bytes().to_vec();
    for part in ["user", user, "database", "gitfleet"] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend(body);
    stream.write_all(&message).unwrap();
    let mut head = [0u8; 9];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(head[0], b'R', "not an authentication request: {head:?}");
    i32::from_be_bytes([head[5], head[6], head[7], head[8]])
}

/// A users file of SCRAM verifiers made by `--hash-password`: each user logs in with their own
/// password (psql and psycopg), a wrong password or an unknown user is refused the same way and
/// logged, and the file never holds a password.
#[test]
fn users_file_with_scram() {
    let repo = fixture("basic");
    let hash = |password: &str| {
        let mut child = gitfleet(&repo, &["serve", "--hash-password"], &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        text(&out.stdout).trim().to_string()
    };
    let (alice, bob) = (hash("alice-pw-1"), hash("bob-pw-2"));
    assert!(
        alice.starts_with("SCRAM-SHA-256$4096:") && !alice.contains("alice-pw-1"),
        "{alice}"
    );
    let dir = scratch_dir("server-users");
    let users = dir.join("users");
    std::fs::write(&users, format!("# the team\nalice:{alice}\nbob:{bob}\n")).unwrap();
    let server = start(&repo, &["--users-file", users.to_str().unwrap()], &[]);
    assert_eq!(auth_request(&server, "alice"), 10);
    let login = |user: &str, password: &str| {
        Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-d",
                "gitfleet",
                "-c",
                "SELECT 1",
                "-U",
                user,
                "-p",
            ])
            .arg(server.port.to_string())
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
    };
    assert_eq!(text(&login("alice", "alice-pw-1").stdout).trim(), "1");
    assert_eq!(text(&login("bob", "bob-pw-2").stdout).trim(), "1");
    let wrong = login("alice", "bob-pw-2");
    let unknown = login("carol", "bob-pw-2");
    assert!(!wrong.status.success() && !unknown.status.success());
    assert_eq!(
        text(&wrong.stderr),
        text(&unknown.stderr),
        "an unknown user must look like a wrong password"
    );
    let log = server.log();
    assert!(
        log.contains("user=\"alice\" failed login") && log.contains("user=\"carol\" failed login"),
        "{log}"
    );
    assert!(!log.contains("pw-"), "{log}");
    // A line that is not a verifier is refused at start, naming the file and line.
    std::fs::write(&users, "alice:alice-pw-1\n").unwrap();
    serve_fails(
        &repo,
        &["--users-file", users.to_str().unwrap()],
        "users:1: not a SCRAM-SHA-256 verifier",
    );
}

/// Per-user grants: a users-file line's `allow-repo=` patterns narrow what that user reads,
/// within the server's own rules; a user without patterns reads what the server serves.
#[test]
fn users_file_grants_per_user() {
    let repo = fixture("basic");
    let served = repo.canonicalize().unwrap().display().to_string();
    let team = scratch_dir("server-grants").canonicalize().unwrap();
    let other = team.join("other");
    if !other.join(".git").exists() {
        std::fs::create_dir_all(&other).unwrap();
        git(&other, &["init", "-q"]);
        std::fs::write(other.join("f"), "x\n").unwrap();
        git(&other, &["add", "f"]);
        commit_as(&other, ("O", "o@x"), &["-m", "one"]);
    }
    let other = other.display().to_string();
    let hash = |password: &str| {
        let mut child = gitfleet(&repo, &["serve", "--hash-password"], &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        text(&child.wait_with_output().unwrap().stdout).trim().to_string()
    };
    let users = team.join("users");
    std::fs::write(
        &users,
        format!(
            "alice:{} allow-repo={}/*\nbob:{}\n",
            hash("alice-pw"),
            team.display(),
            hash("bob-pw")
        ),
    )
    .unwrap();
    let pattern = format!("{}/*", team.display());
    let server = start(
        &repo,
        &["--users-file", users.to_str().unwrap(), "--allow-repo", &pattern],
        &[],
    );
    let as_user = |user: &str, password: &str, sql: &str| {
        let out = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-d",
                "gitfleet",
                "-v",
                "VERBOSITY=verbose",
                "-c",
                sql,
                "-U",
                user,
                "-p",
            ])
            .arg(server.port.to_string())
            .env("PGPASSWORD", password)
            .output()
            .unwrap();
        (
            out.status.success(),
            text(&out.stdout).trim().to_string(),
            text(&out.stderr),
        )
    };
    let count = |name: &str| format!("SELECT count(*) FROM commits('{name}')");
    // alice: her pattern's repository only, not the server's own.
    let (ok, rows, _) = as_user("alice", "alice-pw", &count(&other));
    assert!(ok && rows == "1", "{rows}");
    for sql in [
        count(&served),
        "SELECT count(*) FROM commits".to_string(),
        format!("SELECT count(*) FROM commits WHERE repo = '{served}'"),
    ] {
        let (ok, _, err) = as_user("alice", "alice-pw", &sql);
        assert!(
            !ok && err.contains("42501") && err.contains("is not served here"),
            "{sql}: {err}"
        );
    }
    // bob: everything the server serves.
    let basic_commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    assert_eq!(as_user("bob", "bob-pw", &count(&served)).1, basic_commits);
    assert_eq!(as_user("bob", "bob-pw", &count(&other)).1, "1");
    // Nobody reaches past the server's rules.
    let (ok, _, err) = as_user("alice", "alice-pw", "SELECT count(*) FROM commits('/etc')");
    assert!(!ok && err.contains("42501"), "{err}");
    // A malformed grant is refused at start.
    std::fs::write(&users, format!("alice:{} allow=x\n", hash("a"))).unwrap();
    serve_fails(
        &repo,
        &["--users-file", users.to_str().unwrap()],
        "users:1: expected allow-repo=PATTERN",
    );
}

/// `psql -c SQL` with SQLSTATEs in error messages; (stdout, stderr, success).
fn psql_verbose(server: &Server, sql: &str) -> (String, String, bool) {
    let out = psql(server, &["-v", "VERBOSITY=verbose", "-c", sql], &[]);
    (
        text(&out.stdout).trim().to_string(),
        text(&out.stderr),
        out.status.success(),
    )
}

fn assert_refused(server: &Server, sql: &str, code: &str, words: &str) {
    let (_, err, ok) = psql_verbose(server, sql);
    assert!(!ok && err.contains(code) && err.contains(words), "{sql}: {err}");
}

/// A client reads only the repositories the server was started with (and `--allow-repo`
/// matches), by any route; refusals look the same whether a path exists or not; writes,
/// `SELECT INTO` and runtime settings are refused; `SET` changes only the client's session.
#[test]
fn a_client_reaches_only_what_it_was_granted() {
    let repo = fixture("basic");
    let other = empty_repo();
    let other_name = other.canonicalize().unwrap().display().to_string();
    let server = start(&repo, &[], &[]);
    let commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let repo_name = repo.canonicalize().unwrap().display().to_string();
    assert_eq!(
        psql_ok(&server, &format!("SELECT count(*) FROM commits('{repo_name}')")),
        commits
    );
    for sql in [
        format!("SELECT path FROM files('{other_name}')"),
        format!("SELECT count(*) FROM commits WHERE repo = '{other_name}'"),
        format!("SELECT count(*) FROM commits WHERE repo IN ('{repo_name}', '{other_name}')"),
        format!("SELECT * FROM blame('{other_name}', 'README')"),
        "SELECT * FROM repos('/etc/shadow', '/nope')".to_string(),
        "SELECT * FROM refs('file:///etc')".to_string(),
        "SELECT * FROM files('http://127.0.0.1:9/hidden.git')".to_string(),
        format!("SELECT * FROM commits('{repo_name}/../../etc')"),
    ] {
        assert_refused(&server, &sql, "42501", "is not served here");
    }
    // Existing and missing paths get the same answer: no oracle for the server's disk.
    let (_, a, _) = psql_verbose(&server, "SELECT * FROM repos('/etc')");
    let (_, b, _) = psql_verbose(&server, "SELECT * FROM repos('/no/such/dir')");
    assert_eq!(a.replace("/etc", "X"), b.replace("/no/such/dir", "X"));
    assert_refused(
        &server,
        "SELECT * FROM refresh_repos('https://example.com/x.git')",
        "42501",
        "--allow-refresh",
    );
    assert_refused(
        &server,
        "SELECT * FROM gh_issues WHERE owner = 'a' AND repo = 'b'",
        "42501",
        "--github",
    );
    assert_refused(&server, "SELECT 1 INTO t", "25006", "read-only");
    assert_refused(
        &server,
        "DECLARE c CURSOR FOR SELECT 1 AS a INTO t3",
        "25006",
        "read-only",
    );
    assert_refused(&server, "SELECT sha INTO t2 FROM commits", "25006", "read-only");
    assert_refused(
        &server,
        "SET datafusion.runtime.memory_limit = '1K'",
        "42501",
        "permission denied",
    );
    assert_refused(
        &server,
        "SET datafusion.runtime.temp_directory = '/etc'",
        "42501",
        "permission denied",
    );
    // SET is per connection: another client keeps the default.
    let setting =
        "SELECT coalesce(value, 'none') FROM information_schema.df_settings WHERE name = 'datafusion.execution.time_zone'";
    let default = psql_ok(&server, setting);
    let out = psql(
        &server,
        &[
            "-c",
            "SET datafusion.execution.time_zone = '+05:00'",
            "-c",
            setting,
        ],
        &[],
    );
    assert_eq!(
        text(&out.stdout).trim().lines().last(),
        Some("+05:00"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(psql_ok(&server, setting), default);
    assert_ne!(default, "+05:00");
    // Settings that are the operator's, by any spelling: the parser's dialect (the guard would
    // read a statement differently from the engine), execution sizes, the runtime.
    for sql in [
        "SET datafusion.sql_parser.dialect = 'MySQL'",
        "SET datafusion.execution.target_partitions = 10000",
        "SET \"datafusion.runtime.memory_limit\" = '1TB'",
    ] {
        assert_refused(&server, sql, "42501", "permission denied");
    }
    // Only `gitfleet` is a database here.
    let out = Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-U",
            "tester",
            "-d",
            "postgres",
            "-c",
            "SELECT 1",
            "-p",
        ])
        .arg(server.port.to_string())
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("database \"postgres\" does not exist"),
        "{}",
        text(&out.stderr)
    );

    // --allow-repo admits a second repository by pattern, and nothing else.
    let parent = other
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    let pattern = format!("{parent}/*");
    let server = start(&repo, &["--allow-repo", &pattern], &[]);
    assert_eq!(
        psql_ok(&server, &format!("SELECT count(*) FROM commits('{other_name}')")),
        "0"
    );
    assert_refused(
        &server,
        "SELECT count(*) FROM commits('/etc')",
        "42501",
        "is not served here",
    );
    // A path the pattern admits but that resolves to a repository outside it (a directory of
    // an enclosing repository's working tree, or a symbolic link) is refused after resolving.
    // A repository of this test's own: the shared fixtures stay untouched.
    let outer = scratch_dir("server-outer").canonicalize().unwrap();
    if !outer.join(".git").exists() {
        git(&outer, &["init", "-q"]);
    }
    let inside = outer.join("team").join("plain");
    std::fs::create_dir_all(&inside).unwrap();
    let link_dir = scratch_dir("server-links").canonicalize().unwrap();
    let link = link_dir.join("escape");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&outer, &link).unwrap();
    let server = start(
        &other,
        &[
            "--allow-repo",
            &format!("{}/team/*", outer.display()),
            "--allow-repo",
            &format!("{}/*", link_dir.display()),
        ],
        &[],
    );
    for spec in [inside.display().to_string(), link.display().to_string()] {
        let sql = format!("SELECT count(*) FROM commits('{spec}')");
        assert_refused(&server, &sql, "42501", "is not served here");
    }
}

/// Cursors and psql's FETCH_COUNT read a result in pieces (the server once cancelled them
/// itself); the statement timeout, the result-row limit, the memory limit and the connection
/// limit stop one client's excess without hurting the next query.
#[test]
fn cursors_work_and_limits_protect_the_server() {
    let repo = fixture("basic");
    let commits: usize = git(&repo, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let server = start(
        &repo,
        &[
            "--max-connections",
            "2",
            "--memory-limit",
            "64MB",
            "--max-result-rows",
            "1000",
            "--statement-timeout",
            "3s",
        ],
        &[],
    );
    let out = psql(
        &server,
        &[
            "-c",
            "BEGIN",
            "-c",
            "DECLARE c CURSOR FOR SELECT sha FROM commits",
            "-c",
            "FETCH 3 FROM c",
            "-c",
            "FETCH 100 FROM c",
            "-c",
            "COMMIT",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shas = text(&out.stdout).lines().filter(|l| l.len() == 40).count();
    assert_eq!(shas, commits, "{}", text(&out.stdout));
    let out = psql(
        &server,
        &["-v", "FETCH_COUNT=2", "-c", "SELECT sha FROM commits"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), commits);

    // The server's statement timeout, and a client's own shorter one.
    let slow = "SELECT sum(value) FROM generate_series(1, 200000000000)";
    assert_refused(&server, slow, "57014", "statement timeout");
    let out = psql(
        &server,
        &[
            "-v",
            "VERBOSITY=verbose",
            "-c",
            "SET statement_timeout = '300ms'",
            "-c",
            slow,
        ],
        &[],
    );
    assert!(text(&out.stderr).contains("57014"), "{}", text(&out.stderr));
    // A result past --max-result-rows fails; with a LIMIT it passes.
    assert_refused(
        &server,
        "SELECT value FROM generate_series(1, 5000)",
        "54000",
        "max-result-rows",
    );
    assert_eq!(
        psql_ok(
            &server,
            "SELECT count(*) FROM (SELECT value FROM generate_series(1, 5000))"
        ),
        "5000"
    );
    // A query needing far more than --memory-limit fails alone (53200); the server stays small.
    assert_refused(
        &server,
        "SELECT cardinality(array_agg(value)) FROM generate_series(1, 40000000)",
        "53200",
        "Resources exhausted",
    );
    let rss_kb: usize = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(
        rss_kb < 600 * 1024,
        "server RSS {rss_kb} kB after a refused 40M-row aggregate"
    );
    assert_eq!(psql_ok(&server, "SELECT 1"), "1");

    // Two connections held open: the third is refused at once with 53300, then admitted.
    let hold = || {
        Command::new("psql")
            .args([
                "-X",
                "-h",
                "127.0.0.1",
                "-U",
                "tester",
                "-d",
                "gitfleet",
                "-c",
                "SELECT 1",
                "-c",
                "\\! sleep 4",
                "-p",
            ])
            .arg(server.port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut held = [hold(), hold()];
    std::thread::sleep(Duration::from_millis(1500));
    let (_, err, ok) = psql_verbose(&server, "SELECT 1");
    // A startup error: psql shows it without the SQLSTATE (53300 on the wire).
    assert!(
        !ok && err.contains("FATAL:  sorry, too many clients already"),
        "{err}"
    );
    for h in &mut held {
        h.wait().unwrap();
    }
    assert_eq!(psql_ok(&server, "SELECT 2"), "2");
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
    // The failed login is logged (user and address, never the password).
    assert!(
        server.log().contains("user=\"tester\" failed login"),
        "{}",
        server.log()
    );

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
    serve_fails(
        &repo,
        &[
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            key.to_str().unwrap(),
        ],
        "TLS certificate",
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

/// `--max-clone-size`: a clone through an allowed host that grows past the cap is stopped,
/// reported to the client as one line, and leaves nothing in the cache; one under it works.
#[test]
fn clones_past_max_clone_size_are_stopped() {
    use common::history::{build, Spec};
    let served = scratch_dir("server-max-clone");
    if !served.join("big.git").exists() {
        build(
            &served.join("big.git"),
            &Spec {
                commits: 1500,
                initial_files: 300,
                seed: 99,
            },
        );
        build(
            &served.join("small.git"),
            &Spec {
                commits: 5,
                initial_files: 3,
                seed: 3,
            },
        );
    }
    let daemon = common::daemon::start_daemon(&served);
    let base = format!("git://127.0.0.1:{}", daemon.port);
    let pattern = format!("{base}/*");
    let cache = scratch_dir("server-max-clone-cache");
    let repo = fixture("basic");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = gitfleet(
        &repo,
        &[
            "serve",
            "--listen",
            &listen,
            "--allow-repo",
            &pattern,
            "--max-clone-size",
            "200k",
        ],
        &[("GITFLEET_CACHE_DIR", cache.to_str().unwrap())],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = Server {
        child: std::mem::replace(&mut child, Command::new("true").spawn().unwrap()),
        port,
        log: Arc::new(Mutex::new(String::new())),
    };
    let big = psql(
        &server,
        &["-c", &format!("SELECT count(*) FROM commits('{base}/big.git')")],
        &[],
    );
    let err = text(&big.stderr);
    assert!(
        !big.status.success() && err.contains("larger than the server's --max-clone-size"),
        "{err} {}",
        text(&big.stdout)
    );
    let parent = cache.join(format!("repos/git/127.0.0.1_{}", daemon.port));
    let left: Vec<String> = std::fs::read_dir(&parent)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let small = git(&served.join("small.git"), &["rev-list", "--count", "HEAD"]);
    assert_eq!(
        psql_ok(
            &server,
            &format!("SELECT count(*) FROM commits('{base}/small.git')")
        ),
        small.trim()
    );
    let _ = child.wait();
}

/// `--query-memory-limit`: one client's query fails at its own share of the server's memory
/// (53200, naming the per-query limit) although the server's pool could hold it, so it cannot
/// take the memory the other clients' queries need; the next query works.
#[test]
fn one_query_cannot_take_the_whole_memory_pool() {
    let repo = fixture("basic");
    let server = start(
        &repo,
        &["--memory-limit", "1GB", "--query-memory-limit", "32MB"],
        &[],
    );
    let hungry = "SELECT cardinality(array_agg(value)) FROM generate_series(1, 10000000)";
    assert_refused(&server, hungry, "53200", "per-query memory limit (32 MB");
    assert_eq!(psql_ok(&server, "SELECT count(*) > 0 FROM commits"), "t");
    // The same query fits a share of 256 MB.
    let roomy = start(
        &repo,
        &["--memory-limit", "1GB", "--query-memory-limit", "256MB"],
        &[],
    );
    assert_eq!(psql_ok(&roomy, hungry), "10000000");
}

/// The operator's log pipe goes away (a `| head`, a closed terminal): queries still run; the
/// server once panicked writing its log line and left the client waiting forever.
#[test]
fn a_closed_log_pipe_does_not_hang_clients() {
    let repo = fixture("basic");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = gitfleet(&repo, &["serve", "--listen", &listen], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gitfleet serve");
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("listening on"), "{first}");
    // The reader is gone: every later log line fails to write.
    let server = Server {
        child,
        port,
        log: Arc::new(Mutex::new(String::new())),
    };
    let commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    for _ in 0..2 {
        let out = Command::new("timeout")
            .args([
                "60",
                "psql",
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
            .arg(port.to_string())
            .args(["-c", "SELECT count(*) FROM commits"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), commits);
    }
    drop(server);
}
