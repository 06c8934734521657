//! The one owner of credentials: the GitHub tokens (a pool shared by the API client and the
//! clones), which hosts a token may be sent to, and the environment they come from. The engine
//! resolves [`Credentials`] once per session and hands it to both users, so a token given
//! from Python (`TokenManager`) or an API URL given there reaches clones as well as API calls.

pub(crate) mod app;
pub(crate) mod tokens;

use std::fmt;
use std::sync::Arc;

use crate::error::Result;

pub(crate) use tokens::Token;
pub use tokens::{Pick, TokenPool};

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// GitHub's public API, when no other is configured.
pub(crate) const GITHUB_API: &str = "https://api.github.com";

/// What a session authenticates with, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// The tokens: API requests rotate over them, clones use the first valid one.
    pub tokens: Arc<TokenPool>,
    /// The GitHub API base URL.
    pub api_url: String,
    /// Hosts (`host` or `host:port`, lower case) a token may be sent to by git: github.com,
    /// the API URL's host (GitHub Enterprise), and `GITFLEET_TOKEN_HOSTS`. Never any other: a
    /// URL in a query must not be able to harvest a token.
    pub token_hosts: Vec<String>,
    /// Username git sends with the token (None: `x-access-token`, which GitHub accepts).
    pub username: Option<String>,
    /// A GitHub App's installation tokens: when set, they authenticate API requests and clones
    /// instead of `tokens` (the engine sets it from [`app::AppSettings`]).
    pub app: Option<Arc<dyn app::InstallationTokens>>,
}

/// What the engine's configuration says; the environment fills in what it leaves out.
#[derive(Debug, Default)]
pub(crate) struct CredentialSettings<'a> {
    /// Tokens given explicitly (else `GITFLEET_GITHUB_TOKENS`, else `GITHUB_TOKEN`).
    pub tokens: &'a [String],
    /// A pool shared with other sessions (Python's `TokenManager`); `tokens` are added to it.
    pub pool: Option<Arc<TokenPool>>,
    /// The API URL (else `GITHUB_API_URL`, else [`GITHUB_API`]).
    pub api_url: Option<&'a str>,
    pub username: Option<String>,
}

impl Credentials {
    pub(crate) fn resolve(settings: CredentialSettings<'_>) -> Self {
        Self::resolve_with(settings, |name| std::env::var(name).ok())
    }

    /// [`Credentials::resolve`] reading variables through `env` (tests).
    pub(crate) fn resolve_with(
        settings: CredentialSettings<'_>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let tokens = match settings.pool {
            Some(pool) => {
                for secret in settings.tokens {
                    pool.add(secret);
                }
                pool
            }
            None => Arc::new(TokenPool::new(tokens::configured_from(settings.tokens, &env))),
        };
        let api_url = settings
            .api_url
            .map(str::to_string)
            .filter(|u| !u.trim().is_empty())
            .or_else(|| env("GITHUB_API_URL"))
            .unwrap_or_else(|| GITHUB_API.to_string());
        let mut token_hosts = vec!["github.com".to_string()];
        if let Some(api) = http_host(&api_url).filter(|h| h != "api.github.com") {
            token_hosts.push(api);
        }
        if let Some(list) = env("GITFLEET_TOKEN_HOSTS") {
            token_hosts.extend(
                list.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty()),
            );
        }
        Credentials {
            tokens,
            api_url,
            token_hosts,
            username: settings.username,
            app: None,
        }
    }

    /// Whether a token may be sent to the host of `url` (an http(s) URL).
    pub(crate) fn token_goes_to(&self, url: &str) -> bool {
        let Some(host) = http_host(url) else {
            return false;
        };
        let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        self.token_hosts.iter().any(|h| *h == host || h == bare)
    }

    /// The token a clone of `url` authenticates with, if `url`'s host may receive one: the
    /// App's installation token for the URL's owner (an error says why none could be minted),
    /// else the first valid configured token.
    pub(crate) fn clone_token(&self, url: &str) -> Result<Option<Secret>> {
        if !self.token_goes_to(url) {
            return Ok(None);
        }
        if let Some(app) = &self.app {
            let Some(owner) = app::url_owner(url) else {
                return Ok(None);
            };
            return Ok(Some(Secret::new(app.token_blocking(owner)?.secret())));
        }
        Ok(self
            .tokens
            .tokens()
            .into_iter()
            .find(|t| !t.quota().invalid)
            .map(|t| Secret::new(t.secret())))
    }

    /// `text` with every configured token masked, for anything shown to the user.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = match &self.app {
            Some(app) => app.scrub(text),
            None => text.to_string(),
        };
        for token in self.tokens.tokens() {
            if token.secret().len() >= 4 {
                text = text.replace(token.secret(), "***");
            }
        }
        text
    }
}

/// The request headers that carry a session's clone credentials to a worker (datafusion-
/// distributed hands them to the worker's session, which keeps them in memory for that query
/// only): the token a clone uses, the hosts it may go to, the username.
pub(crate) const CLONE_TOKEN_HEADER: &str = "x-gitfleet-clone-token";
const TOKEN_HOSTS_HEADER: &str = "x-gitfleet-token-hosts";
const USERNAME_HEADER: &str = "x-gitfleet-git-username";

impl Credentials {
    /// What a worker needs to clone as this session would, as header (name, value) pairs; the
    /// token's value is the caller's to mark sensitive. Empty without a usable token, and with
    /// a GitHub App (whose tokens are per owner: a worker is given the App's settings itself).
    pub(crate) fn clone_headers(&self) -> Vec<(&'static str, String)> {
        if self.app.is_some() {
            return Vec::new();
        }
        let Some(token) = self.tokens.tokens().into_iter().find(|t| !t.quota().invalid) else {
            return Vec::new();
        };
        let mut headers = vec![
            (CLONE_TOKEN_HEADER, token.secret().to_string()),
            (TOKEN_HOSTS_HEADER, self.token_hosts.join(",")),
        ];
        if let Some(user) = &self.username {
            headers.push((USERNAME_HEADER, user.clone()));
        }
        headers
    }

    /// The clone credentials a coordinator sent ([`Self::clone_headers`]), read with `header`;
    /// None when it sent none (the worker then clones with its own).
    pub(crate) fn from_clone_headers(header: impl Fn(&str) -> Option<String>) -> Option<Credentials> {
        let token = header(CLONE_TOKEN_HEADER).filter(|t| !t.is_empty())?;
        Some(Credentials {
            tokens: Arc::new(TokenPool::new([token])),
            api_url: GITHUB_API.to_string(),
            token_hosts: header(TOKEN_HOSTS_HEADER)
                .unwrap_or_default()
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            username: header(USERNAME_HEADER).filter(|u| !u.is_empty()),
            app: None,
        })
    }
}

/// `host[:port]` of an http(s) URL, lower case.
pub(crate) fn http_host(url: &str) -> Option<String> {
    let scheme = url.split_once("://")?.0;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    url_host(url).map(str::to_ascii_lowercase)
}

/// `host[:port]` of a URL as written (user info dropped), which is what git's credential
/// protocol names.
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(authority.rsplit_once('@').map_or(authority, |(_, h)| h)).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(env: &[(&str, &str)], settings: CredentialSettings<'_>) -> Credentials {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Credentials::resolve_with(settings, move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn clone_credentials_travel_as_headers_and_keep_their_hosts() {
        let tokens = ["ghp_first".to_string(), "ghp_second".to_string()];
        let c = resolve(
            &[("GITFLEET_TOKEN_HOSTS", "git.corp.example:8443")],
            CredentialSettings {
                tokens: &tokens,
                username: Some("bot".into()),
                ..Default::default()
            },
        );
        let headers = c.clone_headers();
        let get = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let back = Credentials::from_clone_headers(get).unwrap();
        assert_eq!(
            back.clone_token("https://git.corp.example:8443/x.git")
                .unwrap()
                .unwrap()
                .expose(),
            "ghp_first"
        );
        assert!(back.clone_token("https://evil.example/x.git").unwrap().is_none());
        assert_eq!(back.username.as_deref(), Some("bot"));
        assert!(Credentials::from_clone_headers(|_| None).is_none());
        let none = resolve(&[], CredentialSettings::default());
        assert!(none.clone_headers().is_empty());
    }

    #[test]
    fn a_token_goes_only_to_its_hosts() {
        let tokens = ["ghp_secret".to_string()];
        let c = resolve(
            &[("GITFLEET_TOKEN_HOSTS", "127.0.0.1:8080")],
            CredentialSettings {
                tokens: &tokens,
                ..Default::default()
            },
        );
        assert!(c
            .clone_token("https://github.com/org/repo.git")
            .unwrap()
            .is_some());
        assert!(c.clone_token("http://127.0.0.1:8080/x.git").unwrap().is_some());
        assert!(c.clone_token("http://127.0.0.1:9090/x.git").unwrap().is_none());
        assert!(c.clone_token("https://evil.example/x.git").unwrap().is_none());
        assert!(c.clone_token("git://github.com/org/repo.git").unwrap().is_none());
        assert!(c.clone_token("git@github.com:org/repo.git").unwrap().is_none());
        assert!(!format!("{c:?}").contains("ghp_secret"));
        assert_eq!(c.scrub("x ghp_secret y"), "x *** y");
    }

    #[test]
    fn the_api_url_given_in_configuration_is_a_token_host() {
        let pool = Arc::new(TokenPool::new(["from-pool".to_string()]));
        let c = resolve(
            &[
                ("GITHUB_API_URL", "https://ignored.example/api/v3"),
                ("GITHUB_TOKEN", "env"),
            ],
            CredentialSettings {
                pool: Some(pool.clone()),
                api_url: Some("https://ghe.corp:8443/api/v3"),
                ..Default::default()
            },
        );
        assert_eq!(c.api_url, "https://ghe.corp:8443/api/v3");
        assert_eq!(
            c.clone_token("https://ghe.corp:8443/o/r.git")
                .unwrap()
                .map(|s| s.expose().to_string()),
            Some("from-pool".into()),
            "the shared pool's token, not the environment's"
        );
        assert!(c
            .clone_token("https://ignored.example/o/r.git")
            .unwrap()
            .is_none());
        // A token added to the pool later (TokenManager.add) is seen by clones too.
        let empty = Arc::new(TokenPool::default());
        let c = resolve(
            &[],
            CredentialSettings {
                pool: Some(empty.clone()),
                ..Default::default()
            },
        );
        assert!(c.clone_token("https://github.com/o/r").unwrap().is_none());
        empty.add("later");
        assert!(c.clone_token("https://github.com/o/r").unwrap().is_some());
    }

    #[test]
    fn tokens_come_from_configuration_else_the_environment() {
        let c = resolve(
            &[("GITFLEET_GITHUB_TOKENS", " a , b "), ("GITHUB_TOKEN", "c")],
            Default::default(),
        );
        let ids: Vec<String> = c.tokens.tokens().iter().map(|t| t.secret().to_string()).collect();
        assert_eq!(ids, ["a", "b"]);
        let c = resolve(&[("GITHUB_TOKEN", "c")], Default::default());
        assert_eq!(c.tokens.tokens().len(), 1);
        let explicit = ["x".to_string()];
        let c = resolve(
            &[("GITHUB_TOKEN", "c")],
            CredentialSettings {
                tokens: &explicit,
                ..Default::default()
            },
        );
        assert_eq!(c.tokens.tokens()[0].secret(), "x");
        assert_eq!(c.api_url, GITHUB_API);
    }
}
