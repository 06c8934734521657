//! Bare clones in the cache, made atomically: a clone is built in a temporary directory beside
//! its final place and renamed into place only when complete, so a killed process leaves no
//! half entry and two processes cloning the same URL cannot corrupt it (one rename wins, the
//! other clone is discarded).
//!
//! The git CLI does the cloning: its protocol coverage (smart HTTP, ssh, credential helpers,
//! partial clone) and multi-threaded pack indexing beat libgit2's single-threaded indexer (2.3x
//! slower than git on git.git's pack, `../shared/reference/git-performance.md`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::remote::{redact, Remote};
use crate::error::{Error, Result};

/// The bare clone of `remote` under `cache_root`, cloned now if it is not cached yet.
pub fn ensure_clone(remote: &Remote, cache_root: &Path) -> Result<PathBuf> {
    let dest = cache_root.join(&remote.cache_path);
    if dest.join("HEAD").exists() {
        return Ok(dest);
    }
    let parent = dest.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(parent)?;
    let tmp = parent.join(format!(".tmp-{}", crate::source::unique_name()));
    let result = clone_into(remote, &tmp).and_then(|()| {
        // Best effort: a commit-graph makes later walks fast; a clone without one still works.
        let _ = git()
            .arg("-C")
            .arg(&tmp)
            .args(["commit-graph", "write", "--reachable", "--changed-paths"])
            .output();
        match std::fs::rename(&tmp, &dest) {
            Ok(()) => Ok(()),
            // Another process finished the same clone first: use theirs.
            Err(_) if dest.join("HEAD").exists() => Ok(()),
            Err(e) => Err(Error::Io(e)),
        }
    });
    if tmp.exists() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| dest)
}

fn git() -> Command {
    let mut cmd = Command::new("git");
    // Never wait for a password on a terminal nobody watches.
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_ASKPASS", "");
    cmd
}

fn clone_into(remote: &Remote, tmp: &Path) -> Result<()> {
    let output = git()
        .args(["clone", "--bare", "--quiet", "--", &remote.url])
        .arg(tmp)
        .output()
        .map_err(|e| {
            Error::InvalidArgument(format!("cannot run git to clone {}: {e}", redact(&remote.url)))
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason = stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("fatal:"))
        .or_else(|| stderr.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("git clone failed")
        .trim_start_matches("fatal: ");
    Err(Error::InvalidArgument(format!(
        "cannot clone {}: {}",
        redact(&remote.url),
        redact(reason)
    )))
}
