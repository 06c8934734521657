//! What every scan of a session shares, and where a provider's repositories come from.

use std::path::PathBuf;
use std::sync::Arc;

use super::access::RepoAccess;
use crate::source::fleet::jobs::CloneManager;

/// What every scan of a session shares.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionSettings {
    /// The repositories scanned when a query names none.
    pub repos: Vec<String>,
    /// Where clones and computed data live.
    pub cache_dir: Option<PathBuf>,
    /// Whether per-commit diff stats are cached on disk.
    pub stats_cache: bool,
    /// Clones remote repositories (None: remote repositories cannot be read).
    pub fleet: Option<Arc<CloneManager>>,
    /// A repository that cannot be cloned fails the query instead of being skipped.
    pub strict: bool,
    /// Cached clones are fetched before they are read (`--refresh`; here the clone jobs do it,
    /// on workers each query's scans ask for it).
    pub refresh: bool,
    /// Which repositories queries may name (None: any; `gitfleet serve` sets it).
    pub access: Option<Arc<RepoAccess>>,
    /// The user's bot patterns (`GITFLEET_BOTS`, the cache directory's `bots` file), added to
    /// the built-in rules of `source/git/bots.rs`.
    pub bots: Vec<String>,
}

/// Where a provider's repositories come from.
#[derive(Debug, Clone)]
pub(crate) enum RepoSource {
    /// The session's repositories (CLI `-r`, or the current repository).
    Session,
    /// Named by a table function's argument(s).
    Fixed(Vec<String>),
}
