//! Where a repository named by the user lives, and the normalised name every table reports.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::source::fleet::remote::{redact, Remote};

/// A repository as the user named it, resolved to a directory on disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct RepoLocation {
    /// The normalised name shown in every table's `repo` column: the absolute path of the
    /// working tree (or of the git directory for a bare repository).
    pub name: String,
    /// The directory to open with git.
    pub path: PathBuf,
    /// Whether the repository has no working tree.
    pub is_bare: bool,
    /// The remote URL it was cloned from (credential-free); None for a local repository.
    pub url: Option<String>,
}

/// True for names that denote a remote repository rather than a local path.
pub(crate) fn is_remote(spec: &str) -> bool {
    if spec.starts_with("file://") {
        return false;
    }
    if spec.contains("://") || spec.starts_with("github:") {
        return true;
    }
    // scp-like `user@host:path`; a Windows drive (`C:\`) or a local path with '@' is not.
    match (spec.find('@'), spec.find(':')) {
        (Some(at), Some(colon)) => at < colon && !spec[..at].contains('/'),
        _ => false,
    }
}

impl RepoLocation {
    /// Resolves a local repository name (a path). Remote URLs need a cache: [`Self::resolve_in`].
    pub(crate) fn resolve(spec: &str) -> Result<Self> {
        Self::resolve_in(spec, None)
    }

    /// Resolves a repository name: a path (inside a working tree means that repository, as git
    /// does), or a remote URL and the place of its clone under `cache_root` (cloned by the scan
    /// that reads it, see `fleet::jobs`).
    pub(crate) fn resolve_in(spec: &str, cache_root: Option<&Path>) -> Result<Self> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(Error::InvalidArgument("empty repository name".into()));
        }
        if is_remote(spec) {
            let remote = Remote::parse(spec)?;
            let Some(cache_root) = cache_root else {
                return Err(Error::RemoteNotSupported(redact(spec)));
            };
            return Ok(RepoLocation {
                name: remote.url.clone(),
                path: cache_root.join(&remote.cache_path),
                is_bare: true,
                url: Some(remote.url),
            });
        }
        let path = spec.strip_prefix("file://").unwrap_or(spec);
        let path = expand_home(path);
        if !path.exists() {
            return Err(Error::RepoNotFound(spec.to_string()));
        }
        let abs = path
            .canonicalize()
            .map_err(|_| Error::RepoNotFound(spec.to_string()))?;
        let repo = gix::discover(&abs).map_err(|_| Error::NotARepository(abs.display().to_string()))?;
        let (dir, is_bare) = match repo.workdir() {
            Some(work) => (work.to_path_buf(), false),
            None => (repo.git_dir().to_path_buf(), true),
        };
        let dir = dir.canonicalize().unwrap_or(dir);
        Ok(RepoLocation {
            name: dir.display().to_string(),
            path: dir,
            is_bare,
            url: None,
        })
    }

    /// A remote repository's credential-free URL and the place of its clone under
    /// `cache_root`; None when `spec` is a local path (only remote repositories are cloned).
    pub(crate) fn resolve_remote(spec: &str, cache_root: &Path) -> Result<Option<(String, PathBuf)>> {
        if !is_remote(spec.trim()) {
            return Ok(None);
        }
        let location = Self::resolve_in(spec, Some(cache_root))?;
        let url = location.url.expect("remote locations have a URL");
        Ok(Some((url, location.path)))
    }

    /// The name a repository will have in the `repo` column, without cloning anything.
    pub(crate) fn normalised_name(spec: &str) -> String {
        if is_remote(spec.trim()) {
            return Remote::parse(spec).map_or_else(|_| spec.trim().to_string(), |r| r.url);
        }
        Self::resolve(spec).map_or_else(|_| spec.trim().to_string(), |l| l.name)
    }

    /// Opens the repository with gix. Its default caches are kept: larger delta-base or
    /// object caches measured no faster on the history benchmark (`benches/README.md`).
    pub(crate) fn open_gix(&self) -> Result<gix::Repository> {
        gix::open(&self.path).map_err(|e| Error::git(&self.name, e))
    }

    /// Opens the repository with git2, for state and refs.
    pub(crate) fn open_git2(&self) -> Result<git2::Repository> {
        git2::Repository::open(&self.path).map_err(|e| Error::git(&self.name, e.message()))
    }
}

fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => dirs::home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|| PathBuf::from(path)),
        None => Path::new(path).to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_forms_are_recognised() {
        for remote in [
            "https://github.com/org/repo",
            "git://host/repo.git",
            "ssh://git@host/repo.git",
            "git@github.com:org/repo.git",
            "github:org/repo",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["/tmp/repo", "./repo", "repo", "/home/a@b/repo", "file:///tmp/x"] {
            assert!(!is_remote(local), "{local}");
        }
    }

    #[test]
    fn missing_path_names_the_path() {
        let err = RepoLocation::resolve("/definitely/not/here").unwrap_err();
        assert_eq!(err.to_string(), "repository not found: /definitely/not/here");
    }
}
