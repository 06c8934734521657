//! The engine: one DataFusion session with every git table and table function registered.
//! Front ends (CLI, Python, server) talk to this and nothing below it.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::error::Result as DFResult;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;

use crate::source::git::RepoLocation;
use crate::table::functions::GitTableFunction;
use crate::table::scan::{GitTableProvider, RepoSource, SessionSettings};
use crate::table::TableKind;

pub const CATALOG: &str = "gitfleet";
pub const SCHEMA: &str = "public";

/// How to build a session.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Repositories scanned when a query names none; empty means the repository containing
    /// the current directory (if any).
    pub repos: Vec<String>,
    /// Where clones and caches live (`GITFLEET_CACHE_DIR`, else the XDG cache directory).
    pub cache_dir: Option<PathBuf>,
    /// Skip the on-disk cache of computed per-commit stats (always recompute).
    pub no_stats_cache: bool,
}

impl EngineConfig {
    /// The cache directory in force: explicit, else `GITFLEET_CACHE_DIR`, else XDG.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| std::env::var_os("GITFLEET_CACHE_DIR").map(PathBuf::from))
            .or_else(|| dirs::cache_dir().map(|d| d.join("gitfleet")))
            .unwrap_or_else(|| std::env::temp_dir().join("gitfleet-cache"))
    }
}

/// The repositories a session scans by default.
fn default_repos(config: &EngineConfig) -> Vec<String> {
    if !config.repos.is_empty() {
        return config.repos.clone();
    }
    // The current repository, if the process runs inside one.
    match RepoLocation::resolve(".") {
        Ok(location) => vec![location.name],
        Err(_) => Vec::new(),
    }
}

/// Builds a session with every git table under `gitfleet.public`.
pub fn session(config: &EngineConfig) -> DFResult<SessionContext> {
    let session_config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, SCHEMA)
        .with_create_default_catalog_and_schema(true)
        .with_information_schema(true);
    let ctx = SessionContext::new_with_config(session_config);
    let settings = Arc::new(SessionSettings {
        repos: default_repos(config),
        cache_dir: Some(config.cache_dir()),
        stats_cache: !config.no_stats_cache,
    });
    for kind in TableKind::ALL {
        let provider = GitTableProvider::new(kind, settings.clone(), RepoSource::Session, None);
        ctx.register_table(kind.name(), Arc::new(provider))?;
        ctx.register_udtf(
            kind.name(),
            Arc::new(GitTableFunction::new(kind, settings.clone())),
        );
    }
    Ok(ctx)
}
