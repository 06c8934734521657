//! GitHub's REST API: the client ([`client`]) and its conditional request cache ([`cache`]);
//! its tokens are the session's credentials (`source::credentials`). The `gh_*` tables in
//! `table::github` read through this.

pub(crate) mod app;
pub(crate) mod cache;
pub(crate) mod client;

pub(crate) use client::{GitHub, GitHubConfig, Media};

use std::sync::{Arc, Mutex, OnceLock};

/// The session's client, built on first use: most sessions never touch GitHub, and building
/// an HTTPS client (system certificates, TLS setup) is not free.
#[derive(Debug)]
pub(crate) struct LazyGitHub {
    config: Mutex<Option<GitHubConfig>>,
    client: OnceLock<Result<Arc<GitHub>, String>>,
}

impl LazyGitHub {
    pub(crate) fn new(config: GitHubConfig) -> Self {
        LazyGitHub {
            config: Mutex::new(Some(config)),
            client: OnceLock::new(),
        }
    }

    /// The client, or why it cannot be built (a bad `GITHUB_API_URL`).
    pub(crate) fn get(&self) -> Result<Arc<GitHub>, String> {
        self.client
            .get_or_init(|| {
                let config = self
                    .config
                    .lock()
                    .unwrap()
                    .take()
                    .ok_or("GitHub client unavailable")?;
                GitHub::new(config).map(Arc::new).map_err(|e| e.to_string())
            })
            .clone()
    }
}
