//! The one owner of credentials: the GitHub tokens (a pool shared by the API client and the
//! clones), which hosts a token may be sent to, and the environment they come from. The engine
//! resolves [`Credentials`] once per session and hands it to both users, so a token given
//! from Python (`TokenManager`) or an API URL given there reaches clones as well as API calls.

pub(crate) mod tokens;

use std::fmt;
use std::sync::Arc;

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

    /// The token a clone of `url` authenticates with: the first valid one, if `url`'s host may
    /// receive it.
    pub(crate) fn clone_token(&self, url: &str) -> Option<Secret> {
        if !self.token_goes_to(url) {
            return None;
        }
        self.tokens
            .tokens()
            .into_iter()
            .find(|t| !t.quota().invalid)
            .map(|t| Secret::new(t.secret()))
    }

    /// `text` with every configured token masked, for anything shown to the user.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for token in self.tokens.tokens() {
            if token.secret().len() >= 4 {
                text = text.replace(token.secret(), "***");
            }
        }
        text
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
    fn a_token_goes_only_to_its_hosts() {
        let tokens = ["ghp_secret".to_string()];
        let c = resolve(
            &[("GITFLEET_TOKEN_HOSTS", "127.0.0.1:8080")],
            CredentialSettings {
                tokens: &tokens,
                ..Default::default()
            },
        );
        assert!(c.clone_token("https://github.com/org/repo.git").is_some());
        assert!(c.clone_token("http://127.0.0.1:8080/x.git").is_some());
        assert!(c.clone_token("http://127.0.0.1:9090/x.git").is_none());
        assert!(c.clone_token("https://evil.example/x.git").is_none());
        assert!(c.clone_token("git://github.com/org/repo.git").is_none());
        assert!(c.clone_token("git@github.com:org/repo.git").is_none());
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
                .map(|s| s.expose().to_string()),
            Some("from-pool".into()),
            "the shared pool's token, not the environment's"
        );
        assert!(c.clone_token("https://ignored.example/o/r.git").is_none());
        // A token added to the pool later (TokenManager.add) is seen by clones too.
        let empty = Arc::new(TokenPool::default());
        let c = resolve(
            &[],
            CredentialSettings {
                pool: Some(empty.clone()),
                ..Default::default()
            },
        );
        assert!(c.clone_token("https://github.com/o/r").is_none());
        empty.add("later");
        assert!(c.clone_token("https://github.com/o/r").is_some());
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
