//! A repository's overall state for the `repos` table: HEAD, bareness, remote.

use super::RepoLocation;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RepoStatus {
    /// The ref HEAD points to (None when detached).
    pub head_ref: Option<String>,
    /// The commit HEAD resolves to (None for an empty repository).
    pub head_sha: Option<String>,
    pub is_bare: bool,
    /// The `origin` remote's URL, credentials masked (None without one).
    pub origin_url: Option<String>,
}

pub(crate) fn read(location: &RepoLocation) -> Result<RepoStatus> {
    let repo = location.open_git2()?;
    let head = repo.find_reference("HEAD").ok();
    let head_ref = head
        .as_ref()
        .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string));
    let head_oid = head.and_then(|h| h.resolve().ok()).and_then(|r| r.target());
    if let Some(oid) = head_oid {
        // A clone whose objects are gone is not ready: `repos` says why.
        repo.find_commit(oid).map_err(|e| {
            Error::git(
                &location.name,
                format!("HEAD's commit {oid} cannot be read: {}", e.message()),
            )
        })?;
    }
    let head_sha = head_oid.map(|oid| oid.to_string());
    // A URL with a token in it (`https://x:TOKEN@host/...`) is shown masked, never as written.
    let origin_url = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(crate::source::fleet::remote::redact));
    Ok(RepoStatus {
        head_ref,
        head_sha,
        is_bare: repo.is_bare(),
        origin_url,
    })
}
