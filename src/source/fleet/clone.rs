//! Bare clones in the cache, made atomically, and fetches into them.
//!
//! A clone is built in a temporary directory beside its final place and renamed into place only
//! when complete, so a killed process leaves no half entry and two processes cloning the same URL
//! cannot corrupt it (one rename wins, the other clone is discarded). Temporary directories of
//! processes that died are removed by the next clone into the same directory.
//!
//! The git CLI does the cloning: its protocol coverage (smart HTTP, ssh, credential helpers,
//! partial clone) and multi-threaded pack indexing beat libgit2's single-threaded indexer (2.3x
//! slower than git on git.git's pack, `../shared/reference/git-performance.md`).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::auth::GitAuth;
use super::remote::redact;
use crate::error::{Error, Result};

/// How far a clone or fetch has come, as git reports it on stderr.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// git's phase: "counting", "compressing", "receiving", "resolving", "graph".
    pub phase: &'static str,
    /// Overall completion, 0-100 (receiving objects is most of the work).
    pub percent: f32,
    pub objects: u64,
    pub total_objects: u64,
    pub bytes: u64,
}

/// What a clone or fetch needs besides the URL.
#[derive(Debug, Clone)]
pub(crate) struct TransferOptions {
    pub auth: GitAuth,
    /// Give up when git reports nothing for this long (a server that hangs mid-transfer).
    pub stall_timeout: Duration,
    /// Give up when git has received more than this many bytes (as its progress counts them);
    /// None: no cap.
    pub max_size: Option<u64>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            auth: GitAuth::default(),
            stall_timeout: Duration::from_secs(120),
            max_size: None,
        }
    }
}

/// Clones `url` into `dest` (a bare repository with all branches and tags) unless a sound
/// clone is there; a damaged one is replaced.
pub(crate) fn ensure_clone(
    url: &str,
    dest: &Path,
    options: &TransferOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<()> {
    if dest.exists() {
        match damage(dest) {
            None => return check_origin(url, dest),
            Some(reason) => discard_damaged(url, dest, &reason)?,
        }
    }
    let parent = dest.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(parent)?;
    remove_abandoned_temporaries(parent);
    let tmp = parent.join(format!(".tmp-{}", crate::source::unique_name()));
    let result = with_retries(url, || {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        run_git(
            url,
            options,
            progress,
            |cmd| {
                cmd.args(["clone", "--bare", "--progress", "--", url]).arg(&tmp);
            },
            "clone",
        )
    })
    .and_then(|()| {
        write_commit_graph(&tmp, progress);
        match std::fs::rename(&tmp, dest) {
            Ok(()) => Ok(()),
            // Another process finished the same clone first: use theirs.
            Err(_) if dest.join("HEAD").exists() => Ok(()),
            Err(e) => Err(Error::Io(e)),
        }
    });
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// A cache entry must be a clone of the URL asked for: its recorded origin is compared, so an
/// entry written under an older cache layout (where two URLs could share a directory) or put
/// there by hand is never read as another repository.
pub(super) fn check_origin(url: &str, dest: &Path) -> Result<()> {
    let out = Command::new("git")
        .arg("config")
        .arg("--file")
        .arg(dest.join("config"))
        .args(["--get", "remote.origin.url"])
        .stdin(Stdio::null())
        .output()?;
    let origin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if origin == url {
        return Ok(());
    }
    Err(Error::git(
        &redact(url),
        format!(
            "the cache entry {} is a clone of '{}', not of this URL; remove it or use another --cache-dir",
            dest.display(),
            redact(&origin)
        ),
    ))
}

/// Why the cached clone at `dest` cannot be read (None: it can): HEAD, the commit it names or
/// that commit's tree cannot be read (a deleted pack, a truncated index, a removed HEAD). A
/// clone of an empty repository (an unborn HEAD) is sound. Read in-process: it runs for every
/// cached repository a session names.
pub(crate) fn damage(dest: &Path) -> Option<String> {
    if !dest.join("HEAD").is_file() {
        return Some("its HEAD is missing".into());
    }
    let repo = match gix::open_opts(dest, gix::open::Options::isolated()) {
        Ok(repo) => repo,
        Err(e) => return Some(e.to_string()),
    };
    let name = dest.display().to_string();
    match crate::source::git::head_commit(&repo, &name) {
        Ok(None) => None,
        Ok(Some(id)) => match repo.find_commit(id).map(|c| c.tree()) {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(format!("HEAD's tree cannot be read: {e}")),
            Err(e) => Some(e.to_string()),
        },
        Err(e) => Some(e.to_string()),
    }
}

/// Moves a damaged cache entry out of the way (then deletes it), so the next clone is written
/// whole and renamed into place like any other. A clone of another URL is left alone (an
/// error, as for a sound one).
fn discard_damaged(url: &str, dest: &Path, reason: &str) -> Result<()> {
    if dest.join("config").is_file() {
        check_origin(url, dest)?;
    }
    tracing::warn!(
        "{}: the cached clone at {} is damaged ({reason}); cloning it again",
        redact(url),
        dest.display()
    );
    let parent = dest.parent().expect("cache paths have a parent");
    let aside = parent.join(format!(".tmp-{}", crate::source::unique_name()));
    match std::fs::rename(dest, &aside) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&aside);
            Ok(())
        }
        // Another process repaired it first.
        Err(_) if !dest.exists() => Ok(()),
        Err(e) => Err(Error::Io(e)),
    }
}

/// Brings the cached clone at `dest` up to date with `url`: every branch and tag, pruned. A
/// damaged clone is cloned again instead.
pub(crate) fn fetch(
    url: &str,
    dest: &Path,
    options: &TransferOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<()> {
    if let Some(reason) = damage(dest) {
        discard_damaged(url, dest, &reason)?;
        return ensure_clone(url, dest, options, progress);
    }
    check_origin(url, dest)?;
    with_retries(url, || {
        run_git(
            url,
            options,
            progress,
            |cmd| {
                cmd.arg("-C").arg(dest).args([
                    "fetch",
                    "--prune",
                    "--progress",
                    "--no-write-fetch-head",
                    "--",
                    url,
                    "+refs/heads/*:refs/heads/*",
                    "+refs/tags/*:refs/tags/*",
                ]);
            },
            "fetch",
        )
    })?;
    write_commit_graph(dest, progress);
    Ok(())
}

/// A commit-graph with changed-path Bloom filters makes later walks fast. Version 1 of the
/// generation data keeps it readable by libgit2 (which rejects version 2). Best effort: a
/// repository without one still works.
fn write_commit_graph(repo: &Path, progress: &mut dyn FnMut(&Progress)) {
    progress(&Progress {
        phase: "graph",
        percent: 99.0,
        ..Default::default()
    });
    let _ = git_command()
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "commitGraph.generationVersion=1",
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn git_command() -> Command {
    let mut cmd = Command::new("git");
    // Never wait for a password on a terminal nobody watches.
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        .env("GIT_SSH_COMMAND", ssh_command())
        .stdin(Stdio::null());
    cmd
}

/// ssh must fail rather than prompt (for a password or an unknown host key).
fn ssh_command() -> String {
    let base = std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| "ssh".into());
    format!("{base} -o BatchMode=yes")
}

/// Runs one git transfer, reporting progress, killing it when it stalls, and turning its
/// failure into one line naming the URL.
fn run_git(
    url: &str,
    options: &TransferOptions,
    progress: &mut dyn FnMut(&Progress),
    args: impl FnOnce(&mut Command),
    verb: &str,
) -> Result<()> {
    let mut cmd = git_command();
    options.auth.apply(&mut cmd, url)?;
    args(&mut cmd);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so a stall kills git's helpers (remote-http, index-pack) too.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        {
            // git dies with us: a client killed mid-transfer (kill -9 included) must not leave
            // a git writing into the cache behind it. The thread that spawns git waits for it
            // below, so it outlives git (the signal follows the spawning thread).
            let parent = std::process::id() as libc::pid_t;
            // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    if libc::getppid() != parent {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::Clone(format!("cannot run git to {verb} {}: {e}", redact(url))))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let child = Arc::new(Mutex::new(child));
    let watchdog = Watchdog::start(child.clone(), options.stall_timeout);
    let mut oversize = false;
    let messages = read_progress(stderr, &watchdog, &mut |p: &Progress| {
        if options.max_size.is_some_and(|max| p.bytes > max) && !oversize {
            // Killed at once: a client must not fill the server's disk through an allowed host.
            oversize = true;
            kill_group(&mut child.lock().unwrap_or_else(|e| e.into_inner()));
        }
        progress(p);
    });
    let stalled = watchdog.stop();
    let status = child
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .wait()
        .map_err(Error::Io)?;
    if status.success() {
        return Ok(());
    }
    let reason = if oversize {
        format!(
            "larger than the server's --max-clone-size ({} MB)",
            options.max_size.unwrap_or_default() >> 20
        )
    } else if stalled {
        format!(
            "no data from the server for {}s (timed out)",
            options.stall_timeout.as_secs()
        )
    } else {
        failure_reason(&messages)
    };
    Err(Error::Clone(format!(
        "cannot {verb} {}: {}",
        redact(url),
        options.auth.scrub(&redact(&reason))
    )))
}

/// Attempts at a transfer that fails as a busy server fails.
const ATTEMPTS: u32 = 3;

/// Runs `attempt` again, after 0.5 s then 1 s, while it fails the way a busy or restarting
/// server fails ([`transient`]); any other failure (a missing repository, rejected
/// credentials, a stall, a size cap) is final at once.
fn with_retries(url: &str, mut attempt: impl FnMut() -> Result<()>) -> Result<()> {
    let mut delay = Duration::from_millis(500);
    let mut tried = 1;
    loop {
        match attempt() {
            Err(Error::Clone(reason)) if tried < ATTEMPTS && transient(&reason) => {
                tracing::debug!(url = %redact(url), %reason, "transfer failed; trying again");
                std::thread::sleep(delay);
                delay *= 2;
                tried += 1;
            }
            other => return other,
        }
    }
}

/// Whether git's failure reads like the server's side of the connection failing mid-way: a
/// reset or dropped connection, or an HTTP 5xx (a server that is not listening at all, or
/// answers "not found", is not retried).
fn transient(reason: &str) -> bool {
    [
        "Connection reset by peer",
        "the remote end hung up unexpectedly",
        "early EOF",
        "RPC failed",
        "returned error: 500",
        "returned error: 502",
        "returned error: 503",
        "returned error: 504",
    ]
    .iter()
    .any(|marker| reason.contains(marker))
}

/// The line of git's stderr that says why it failed, with a hint for authentication failures.
fn failure_reason(messages: &[String]) -> String {
    let lines: Vec<&str> = messages
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let at = lines.iter().position(|l| l.starts_with("fatal:")).unwrap_or(0);
    let Some(first) = lines.get(at) else {
        return "git failed".into();
    };
    let mut line = first.trim_start_matches("fatal: ").to_string();
    // git continues some messages on the next line ("unable to connect to host:\n<why>").
    if line.ends_with(':') {
        if let Some(next) = lines.get(at + 1) {
            line = format!("{line} {next}");
        }
    }
    if line.contains("Authentication failed") || line.contains("could not read Username") {
        format!("{line} (check GITHUB_TOKEN or the configured token)")
    } else {
        line
    }
}

/// Kills the child when it reports nothing for `timeout`.
struct Watchdog {
    base: Instant,
    /// Milliseconds since `base` when git last wrote something.
    last_activity: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(child: Arc<Mutex<Child>>, timeout: Duration) -> Self {
        let base = Instant::now();
        let last_activity = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let (last, finished, flag) = (last_activity.clone(), done.clone(), stalled.clone());
        let thread = std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                // Woken early by `stop`, so a transfer never waits for the watchdog's tick.
                std::thread::park_timeout(Duration::from_millis(100));
                if finished.load(Ordering::Relaxed) {
                    return;
                }
                let idle = (base.elapsed().as_millis() as u64).saturating_sub(last.load(Ordering::Relaxed));
                if idle > timeout.as_millis() as u64 {
                    flag.store(true, Ordering::Relaxed);
                    kill_group(&mut child.lock().unwrap_or_else(|e| e.into_inner()));
                    return;
                }
            }
        });
        Watchdog {
            base,
            last_activity,
            done,
            stalled,
            thread: Some(thread),
        }
    }

    fn touch(&self) {
        self.last_activity
            .store(self.base.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Stops watching; true if the child was killed for stalling.
    fn stop(mut self) -> bool {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        self.stalled.load(Ordering::Relaxed)
    }
}

/// Kills `child` and every process of its group (it was started as a group leader).
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// Reads git's stderr to the end: progress lines (ended by '\r') are parsed and reported, the
/// other lines are returned for the error message.
fn read_progress(
    mut stderr: impl Read,
    watchdog: &Watchdog,
    progress: &mut dyn FnMut(&Progress),
) -> Vec<String> {
    let mut messages = Vec::new();
    let mut line = Vec::new();
    let mut buf = [0u8; 4096];
    let mut current = Progress::default();
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        watchdog.touch();
        for &b in &buf[..n] {
            if b != b'\r' && b != b'\n' {
                line.push(b);
                continue;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            line.clear();
            if parse_progress(&text, &mut current) {
                progress(&current);
            } else if !text.trim().is_empty() && messages.len() < 64 {
                messages.push(text);
            }
        }
    }
    if !line.is_empty() {
        messages.push(String::from_utf8_lossy(&line).into_owned());
    }
    messages
}

/// Parses one of git's progress lines ("Receiving objects:  45% (450/1000), 1.20 MiB | ...")
/// into `p`; false for any other line.
fn parse_progress(line: &str, p: &mut Progress) -> bool {
    let line = line.trim_start_matches("remote: ").trim();
    let Some((label, rest)) = line.split_once(':') else {
        return false;
    };
    let (phase, base, span) = match label {
        "Enumerating objects" | "Counting objects" => ("counting", 0.0, 2.0),
        "Compressing objects" => ("compressing", 2.0, 3.0),
        "Receiving objects" => ("receiving", 5.0, 85.0),
        "Resolving deltas" => ("resolving", 90.0, 9.0),
        _ => return false,
    };
    let rest = rest.trim();
    let pct = rest
        .split_once('%')
        .and_then(|(n, _)| n.trim().parse::<f32>().ok())
        .unwrap_or(0.0);
    p.phase = phase;
    p.percent = base + span * pct / 100.0;
    if phase == "receiving" {
        if let Some((done, total)) = rest
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .and_then(|(counts, _)| counts.split_once('/'))
        {
            p.objects = done.trim().parse().unwrap_or(p.objects);
            p.total_objects = total.trim().parse().unwrap_or(p.total_objects);
        }
        if let Some(bytes) = rest.split(", ").nth(1).and_then(parse_size) {
            p.bytes = bytes;
        }
    }
    true
}

/// "1.20 MiB | 1.00 MiB/s" -> bytes.
fn parse_size(text: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    let number: f64 = words.next()?.parse().ok()?;
    let unit = match words.next()? {
        "bytes" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((number * unit) as u64)
}

/// Removes `.tmp-<pid>-...` directories left by processes that no longer run (a killed clone).
fn remove_abandoned_temporaries(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if crate::source::abandoned_temporary(&entry.file_name()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_are_parsed() {
        let mut p = Progress::default();
        assert!(parse_progress(
            "Receiving objects:  50% (450/900), 1.50 MiB | 1.00 MiB/s",
            &mut p
        ));
        assert_eq!((p.phase, p.objects, p.total_objects), ("receiving", 450, 900));
        assert_eq!(p.bytes, 1_572_864);
        assert!((p.percent - 47.5).abs() < 0.01);
        assert!(parse_progress(
            "remote: Counting objects: 100% (3/3), done.",
            &mut p
        ));
        assert_eq!(p.phase, "counting");
        assert!(!parse_progress("fatal: repository not found", &mut p));
        assert!(!parse_progress("Cloning into bare repository 'x'...", &mut p));
    }

    #[test]
    fn continued_messages_are_joined() {
        let reason = failure_reason(&[
            "fatal: unable to connect to 127.0.0.1:".into(),
            "127.0.0.1[0: 127.0.0.1]: errno=Connection refused".into(),
        ]);
        assert_eq!(
            reason,
            "unable to connect to 127.0.0.1: 127.0.0.1[0: 127.0.0.1]: errno=Connection refused"
        );
    }

    #[test]
    fn only_a_failing_connection_is_tried_again() {
        assert!(transient(
            "cannot clone git://h/r.git: read error: Connection reset by peer"
        ));
        assert!(transient(
            "cannot fetch https://h/r: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502"
        ));
        assert!(!transient(
            "cannot clone git://h/r.git: remote error: access denied or repository not exported"
        ));
        assert!(!transient("cannot clone https://h/r: unable to access 'https://h/r/': Failed to connect to h port 443: Connection refused"));
        assert!(!transient(
            "cannot clone https://h/r: Authentication failed (check GITHUB_TOKEN)"
        ));
        let mut calls = 0;
        let failing = with_retries("git://h/r.git", || {
            calls += 1;
            Err(Error::Clone("read error: Connection reset by peer".into()))
        });
        assert!(failing.is_err());
        assert_eq!(calls, ATTEMPTS);
        let mut calls = 0;
        let second = with_retries("git://h/r.git", || {
            calls += 1;
            match calls {
                1 => Err(Error::Clone("the remote end hung up unexpectedly".into())),
                _ => Ok(()),
            }
        });
        assert!(second.is_ok() && calls == 2);
        let mut calls = 0;
        let _ = with_retries("git://h/r.git", || {
            calls += 1;
            Err(Error::Clone("repository not found".into()))
        });
        assert_eq!(calls, 1, "a final failure is not retried");
    }

    #[test]
    fn authentication_failures_get_a_hint() {
        let reason = failure_reason(&["fatal: Authentication failed for 'http://h/x.git/'".into()]);
        assert!(reason.contains("check GITHUB_TOKEN"), "{reason}");
    }
}
