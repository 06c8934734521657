//! Shared test helpers: fixture repositories built by the git CLI, git as the oracle, and
//! running SQL through the engine.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// One numstat line: (path, old_path, additions, deletions).
pub type NumstatFile = (String, Option<String>, i64, i64);

/// `git log --numstat -z` for `rev_args`: sha -> files.
/// Binary files ("-") count 0/0, as in our tables.
pub fn numstat(repo: &Path, rev_args: &[&str]) -> BTreeMap<String, Vec<NumstatFile>> {
    let mut args = vec!["log", "--numstat", "-z", "--format=%x01%H"];
    args.extend_from_slice(rev_args);
    let out = git_bytes(repo, &args);
    let text = String::from_utf8_lossy(&out);
    let mut result = BTreeMap::new();
    for record in text.split('\x01').filter(|r| !r.is_empty()) {
        let (sha, rest) = record.split_at(40);
        let mut files = Vec::new();
        let mut fields = rest.split('\0').peekable();
        while let Some(field) = fields.next() {
            let field = field.trim_start_matches('\n');
            if field.is_empty() {
                continue;
            }
            let mut parts = field.splitn(3, '\t');
            let (a, d, path) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap_or(""),
            );
            let num = |s: &str| s.parse::<i64>().unwrap_or(0);
            if path.is_empty() {
                // A rename: the old and new paths follow as their own fields.
                let old = fields.next().unwrap().to_string();
                let new = fields.next().unwrap().to_string();
                files.push((new, Some(old), num(a), num(d)));
            } else {
                files.push((path.to_string(), None, num(a), num(d)));
            }
        }
        result.insert(sha.trim().to_string(), files);
    }
    result
}

/// Environment that isolates git from the machine's configuration.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    cmd
}

/// `git commit -q ARGS` in `repo` (what is staged) by `author` ("name", "email"), committed by
/// "C <c@x>"; panics when git fails.
pub fn commit_as(repo: &Path, author: (&str, &str), args: &[&str]) {
    let out = git_command(repo)
        .args(["commit", "-q"])
        .args(args)
        .env("GIT_AUTHOR_NAME", author.0)
        .env("GIT_AUTHOR_EMAIL", author.1)
        .env("GIT_COMMITTER_NAME", "C")
        .env("GIT_COMMITTER_EMAIL", "c@x")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git commit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs git in `dir` and returns its standard output as (lossy) text.
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_bytes(dir, args)).into_owned()
}

pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// This test binary's scratch directory: fixtures, caches and clones of all its tests.
static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

fn scratch_root() -> &'static Path {
    SCRATCH.get_or_init(|| {
        // A static is never dropped, so a `TempDir` held here would outlive the process (every
        // run left its fixtures behind: 17 GB of them filled a CI disk). The directory is kept
        // past `TempDir` and removed when the test binary exits instead.
        let dir = tempfile::Builder::new()
            .prefix("gitfleet-test-")
            .tempdir()
            .expect("temp dir")
            .keep();
        extern "C" fn remove_scratch() {
            if let Some(dir) = SCRATCH.get() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        // SAFETY: registers a plain function with no arguments, which libc calls at exit.
        let registered = unsafe { libc::atexit(remove_scratch) };
        assert_eq!(registered, 0, "atexit failed");
        dir
    })
}

/// A fixture repository built once per test binary by `tests/fixtures/NAME.sh`.
pub fn fixture(name: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch_root().join(name);
    if !built.iter().any(|n| n == name) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.sh"));
        let status = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .status()
            .expect("bash runs");
        assert!(status.success(), "fixture {name} failed");
        built.push(name.to_string());
    }
    dir.canonicalize().unwrap()
}

/// An empty repository (no commits).
pub fn empty_repo() -> PathBuf {
    let dir = scratch_root().join("empty");
    if !dir.exists() {
        git_command(scratch_root())
            .args(["init", "-q", "empty"])
            .status()
            .unwrap();
    }
    dir.canonicalize().unwrap()
}

/// A fresh directory for a test's own repositories.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = scratch_root().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `sql` on a session whose default repository is `repo`.
pub fn query(repo: &Path, sql: &str) -> Vec<RecordBatch> {
    try_query(repo, sql).unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"))
}

pub fn try_query(repo: &Path, sql: &str) -> Result<Vec<RecordBatch>, String> {
    let config = gitfleet::EngineConfig {
        repos: vec![repo.display().to_string()],
        cache_dir: Some(scratch_dir("cache")),
        ..Default::default()
    };
    try_query_with(&config, sql)
}

/// The runtime a test's queries run on (two workers, like the machine's cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn try_query_with(config: &gitfleet::EngineConfig, sql: &str) -> Result<Vec<RecordBatch>, String> {
    let runtime = runtime();
    runtime.block_on(async {
        let ctx = gitfleet::session(config).map_err(|e| e.to_string())?;
        let df = ctx.sql(sql).await.map_err(|e| e.to_string())?;
        df.collect().await.map_err(|e| e.to_string())
    })
}

/// Runs several queries, in order, on one session (so they share its clone jobs).
pub fn queries_with(config: &gitfleet::EngineConfig, sqls: &[&str]) -> Vec<Result<Vec<Vec<String>>, String>> {
    let runtime = runtime();
    runtime.block_on(async {
        let ctx = gitfleet::session(config).expect("session");
        let mut out = Vec::new();
        for sql in sqls {
            let result = match ctx.sql(sql).await {
                Ok(df) => df.collect().await.map(|b| rows(&b)).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            out.push(result);
        }
        out
    })
}

/// Every row as text cells (nulls as "NULL"), in result order.
pub fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            out.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    out
}

/// Rows as lines of `\x1f`-separated cells, sorted: convenient to compare with git output.
pub fn sorted_lines(batches: &[RecordBatch]) -> Vec<String> {
    let mut lines: Vec<String> = rows(batches).into_iter().map(|r| r.join("\x1f")).collect();
    lines.sort();
    lines
}

pub fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

pub fn single_i64(batches: &[RecordBatch]) -> i64 {
    let cell = &rows(batches)[0][0];
    cell.parse().unwrap_or_else(|_| panic!("not an integer: {cell}"))
}

pub fn column_len(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

pub mod daemon;
pub mod history;
pub mod http;
pub mod report;

/// One line as git blames it: (sha, orig_path, orig_line_no, author_name, author_email,
/// author_time, committer_email, summary, content).
pub type GitLine = (String, String, i64, String, String, i64, String, String, String);

/// `git blame --porcelain REV -- path`, keyed by final line number. The author is the commit's
/// as recorded (`%an`/`%ae`): git blame applies .mailmap to it, the blame table (like commits)
/// does not.
pub fn git_blame(repo: &Path, rev: &str, path: &str) -> BTreeMap<i64, GitLine> {
    git_blame_with(repo, &[], rev, path)
}

/// [`git_blame`] with more options (`--ignore-revs-file F`, ...).
pub fn git_blame_with(repo: &Path, options: &[&str], rev: &str, path: &str) -> BTreeMap<i64, GitLine> {
    let mut args = vec!["blame", "--porcelain"];
    args.extend_from_slice(options);
    args.extend_from_slice(&[rev, "--", path]);
    let out = git_bytes(repo, &args);
    let mut headers: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut lines = BTreeMap::new();
    let mut current: Option<(String, i64, i64)> = None;
    let mut recorded: BTreeMap<String, (String, String)> = BTreeMap::new();
    for raw in out.split(|b| *b == b'\n') {
        if let Some(content) = raw.strip_prefix(b"\t") {
            let (sha, orig, fin) = current.take().expect("a header before the content");
            let h = &headers[&sha];
            let get = |k: &str| h.get(k).cloned().unwrap_or_default();
            let (author, email) = recorded.entry(sha.clone()).or_insert_with(|| {
                let text = git(repo, &["show", "-s", "--format=%an%x00%ae", &sha]);
                let (a, e) = text.trim_end().split_once('\0').unwrap();
                (a.to_string(), e.to_string())
            });
            lines.insert(
                fin,
                (
                    sha.clone(),
                    h.get("filename").cloned().unwrap_or_else(|| path.to_string()),
                    orig,
                    author.clone(),
                    email.clone(),
                    get("author-time").parse().unwrap(),
                    get("committer-mail").trim_matches(['<', '>']).to_string(),
                    get("summary"),
                    String::from_utf8_lossy(content).into_owned(),
                ),
            );
            continue;
        }
        let line = String::from_utf8_lossy(raw).into_owned();
        let parts: Vec<&str> = line.split(' ').collect();
        if parts.len() >= 3 && parts[0].len() == 40 && parts[1].parse::<i64>().is_ok() {
            let sha = parts[0].to_string();
            headers.entry(sha.clone()).or_default();
            current = Some((sha, parts[1].parse().unwrap(), parts[2].parse().unwrap()));
        } else if let (Some((sha, _, _)), Some((key, value))) = (&current, line.split_once(' ')) {
            headers
                .get_mut(sha)
                .unwrap()
                .insert(key.to_string(), value.to_string());
        }
    }
    lines
}

/// Every merge commit's sha.
pub fn merges(repo: &Path) -> Vec<String> {
    git(repo, &["rev-list", "--merges", "--all"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// `commit_files` of every non-merge commit as git reports it: `--numstat` counts (renames
/// shown with their old path) and `--name-status` letters. Lines are
/// `sha, path, old_path, change_type, additions, deletions`.
pub fn git_commit_files(repo: &Path) -> Vec<String> {
    let merges = merges(repo);
    // Status letters from --name-status -z: "M\0path\0" or "R086\0old\0new\0".
    let status_out = git(repo, &["log", "--name-status", "-z", "--format=%x01%H"]);
    let mut status: BTreeMap<(String, String), String> = BTreeMap::new();
    for record in status_out.split('\x01').filter(|r| !r.is_empty()) {
        let (sha, rest) = record.split_at(40);
        let mut fields = rest
            .split('\0')
            .map(|f| f.trim_start_matches('\n'))
            .filter(|f| !f.is_empty());
        while let Some(code) = fields.next() {
            let letter = &code[..1];
            let path = if letter == "R" || letter == "C" {
                fields.next();
                fields.next().unwrap()
            } else {
                fields.next().unwrap()
            };
            status.insert((sha.to_string(), path.to_string()), letter.to_string());
        }
    }
    let mut expected = Vec::new();
    for (sha, files) in numstat(repo, &[]) {
        if merges.contains(&sha) {
            continue;
        }
        for (path, old, a, d) in files {
            let letter = status
                .get(&(sha.clone(), path.clone()))
                .cloned()
                .unwrap_or_default();
            expected.push(format!(
                "{sha}\x1f{path}\x1f{}\x1f{letter}\x1f{a}\x1f{d}",
                old.unwrap_or("NULL".into())
            ));
        }
    }
    sorted(expected)
}

pub fn our_commit_files(repo: &Path) -> Vec<String> {
    sorted_lines(&query(
        repo,
        "SELECT cf.sha, path, old_path, change_type, cf.additions, cf.deletions \
         FROM commit_files cf JOIN commits c ON c.sha = cf.sha WHERE NOT c.is_merge",
    ))
}

/// Every file under `dir` whose bytes contain `needle` (secrets that must not be stored).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}
