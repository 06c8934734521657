//! GitHub App authentication as organisations run it: the App's private key signs a short JWT
//! (RS256), GitHub exchanges it for an installation token (the installation configured, or the
//! one installed on each owner), and that token is used like a personal token, for API requests
//! and HTTPS clones. A token is renewed five minutes before its hour is up; tokens and the key
//! stay in memory, masked in anything shown.
//!
//! This file holds the settings and the interface; `source::github::app` mints the tokens over
//! HTTP.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::Token;
use crate::error::Result;

/// Which App, and where its key is.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AppSettings {
    /// The App's id (or client id), the JWT's issuer.
    pub app_id: String,
    /// The private key file GitHub gave the App (PEM).
    pub key_path: PathBuf,
    /// The installation to use for every owner; None: the one installed on each owner.
    pub installation: Option<u64>,
}

impl fmt::Debug for AppSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSettings")
            .field("app_id", &self.app_id)
            .field("key_path", &self.key_path)
            .field("installation", &self.installation)
            .finish()
    }
}

impl AppSettings {
    /// `GITFLEET_GITHUB_APP_ID` and `GITFLEET_GITHUB_APP_KEY` (a file), with the optional
    /// `GITFLEET_GITHUB_APP_INSTALLATION_ID`, read through `env`; None when the first two are
    /// not both set, and an error naming the variable when the installation id is no number.
    pub(crate) fn from_env(
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Option<Self>, String> {
        let get = |name: &str| env(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (Some(app_id), Some(key)) = (get("GITFLEET_GITHUB_APP_ID"), get("GITFLEET_GITHUB_APP_KEY"))
        else {
            return Ok(None);
        };
        let installation =
            match get("GITFLEET_GITHUB_APP_INSTALLATION_ID") {
                Some(id) => Some(id.parse::<u64>().map_err(|_| {
                    format!("GITFLEET_GITHUB_APP_INSTALLATION_ID must be a number, got '{id}'")
                })?),
                None => None,
            };
        Ok(Some(AppSettings {
            app_id,
            key_path: PathBuf::from(key),
            installation,
        }))
    }
}

/// Installation tokens, minted and renewed as needed (implemented by `source::github::app`).
#[async_trait::async_trait]
pub(crate) trait InstallationTokens: Send + Sync + fmt::Debug {
    /// The token for `owner`'s repositories (None: requests about no owner, such as
    /// `/rate_limit`: the configured installation, else the last one used).
    async fn token(&self, owner: Option<&str>) -> Result<Arc<Token>>;
    /// [`InstallationTokens::token`] for a clone thread: blocks while a token is minted.
    fn token_blocking(&self, owner: &str) -> Result<Arc<Token>>;
    /// GitHub rejected `token` (401): the next use mints another.
    fn reject(&self, token: &Token);
    /// `text` with every minted token masked.
    fn scrub(&self, text: &str) -> String;
}

/// The owner a clone URL's repository belongs to: the first segment of its path
/// (`https://github.com/acme/rocket.git` -> `acme`).
pub(crate) fn url_owner(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let path = rest.split_once('/')?.1;
    path.split('/').next().filter(|o| !o.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            AppSettings::from_env(env(&[("GITFLEET_GITHUB_APP_ID", "12")])),
            Ok(None)
        );
        let s = AppSettings::from_env(env(&[
            ("GITFLEET_GITHUB_APP_ID", " 12 "),
            ("GITFLEET_GITHUB_APP_KEY", "/k.pem"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((s.app_id.as_str(), s.installation), ("12", None));
        let bad = AppSettings::from_env(env(&[
            ("GITFLEET_GITHUB_APP_ID", "12"),
            ("GITFLEET_GITHUB_APP_KEY", "/k.pem"),
            ("GITFLEET_GITHUB_APP_INSTALLATION_ID", "acme"),
        ]));
        assert!(bad.unwrap_err().contains("must be a number"));
        assert_eq!(url_owner("https://github.com/acme/rocket.git"), Some("acme"));
        assert_eq!(url_owner("http://127.0.0.1:9/acme/r.git"), Some("acme"));
        assert_eq!(url_owner("https://github.com/"), None);
    }
}
