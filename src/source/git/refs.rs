//! The references of a repository, as `git for-each-ref` lists them.

use super::RepoLocation;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefRecord {
    /// Full name, e.g. `refs/heads/main`.
    pub name: String,
    pub shorthand: String,
    /// branch, remote, tag or other.
    pub kind: &'static str,
    /// The object the ref points to (symbolic refs resolved).
    pub target: Option<String>,
    /// For annotated tags, the object the tag points to (`%(*objectname)`).
    pub peeled: Option<String>,
    /// The branch HEAD points to.
    pub is_head: bool,
}

fn kind_of(name: &str) -> &'static str {
    if name.starts_with("refs/heads/") {
        "branch"
    } else if name.starts_with("refs/remotes/") {
        "remote"
    } else if name.starts_with("refs/tags/") {
        "tag"
    } else {
        "other"
    }
}

/// Every ref under `refs/`, sorted by name like `git for-each-ref`.
pub(crate) fn list(location: &RepoLocation) -> Result<Vec<RefRecord>> {
    let repo = location.open_git2()?;
    let err = |e: git2::Error| Error::git(&location.name, e.message());
    let head_target = repo
        .find_reference("HEAD")
        .ok()
        .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string));
    let mut out = Vec::new();
    for reference in repo.references().map_err(err)? {
        let reference = reference.map_err(err)?;
        let Some(name) = reference.name().ok().map(str::to_string) else {
            continue; // not UTF-8; git2 cannot name it faithfully
        };
        let target = reference.resolve().ok().and_then(|r| r.target());
        let peeled = target
            .and_then(|oid| repo.find_tag(oid).ok())
            .map(|tag| tag.target_id().to_string());
        out.push(RefRecord {
            shorthand: reference.shorthand().ok().unwrap_or(&name).to_string(),
            kind: kind_of(&name),
            target: target.map(|t| t.to_string()),
            peeled,
            is_head: head_target.as_deref() == Some(name.as_str()),
            name,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
