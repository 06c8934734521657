//! HTTPS credentials for clones and fetches: a GitHub token handed to git through a credential
//! helper at transfer time, so it never lands in `.git/config`, the cache path, a URL, a log or
//! an error message.

use std::fmt;
use std::process::Command;

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which token git gets, for which hosts.
#[derive(Debug, Clone, Default)]
pub struct GitAuth {
    token: Option<Secret>,
    username: Option<String>,
    /// Hosts (`host` or `host:port`, lower case) the token may be sent to. A token is never
    /// offered to other hosts: a URL in a query must not be able to harvest it.
    hosts: Vec<String>,
}

/// The helper git runs: it answers `get` with the token from its own environment, so the
/// token is on no command line and in no file.
const HELPER: &str = "credential.helper=!f() { test \"$1\" = get || exit 0; \
     printf 'username=%s\\npassword=%s\\n' \"${GITFLEET_GIT_USER:-x-access-token}\" \"$GITFLEET_GIT_TOKEN\"; }; f";

impl GitAuth {
    /// `token` (else the first of `GITFLEET_GITHUB_TOKENS`, else `GITHUB_TOKEN`) for github.com,
    /// the host of `GITHUB_API_URL` (GitHub Enterprise) and the hosts in `GITFLEET_TOKEN_HOSTS`
    /// (comma-separated `host[:port]`).
    pub fn from_env(tokens: &[String], username: Option<String>) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let token = crate::source::github::tokens::configured(tokens)
            .into_iter()
            .next()
            .map(Secret::new);
        let mut hosts = vec!["github.com".to_string()];
        if let Some(api) = env("GITHUB_API_URL").as_deref().and_then(http_host) {
            if api != "api.github.com" {
                hosts.push(api);
            }
        }
        if let Some(list) = env("GITFLEET_TOKEN_HOSTS") {
            hosts.extend(
                list.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty()),
            );
        }
        GitAuth {
            token,
            username,
            hosts,
        }
    }

    /// Whether a token is configured at all.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn applies_to(&self, url: &str) -> bool {
        let Some(host) = http_host(url) else {
            return false;
        };
        let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        self.hosts.iter().any(|h| *h == host || h == bare)
    }

    /// Lets the git command about to fetch `url` authenticate with the token (if it applies).
    /// The user's own credential helpers are set aside so a stale stored password cannot win.
    pub fn apply(&self, cmd: &mut Command, url: &str) {
        let Some(token) = self.token.as_ref().filter(|_| self.applies_to(url)) else {
            return;
        };
        cmd.args(["-c", "credential.helper=", "-c", HELPER])
            .env("GITFLEET_GIT_TOKEN", token.expose());
        if let Some(user) = &self.username {
            cmd.env("GITFLEET_GIT_USER", user);
        }
    }

    /// `text` with the token masked, for anything shown to the user.
    pub fn scrub(&self, text: &str) -> String {
        match &self.token {
            Some(t) if t.expose().len() >= 4 => text.replace(t.expose(), "***"),
            _ => text.to_string(),
        }
    }
}

/// `host[:port]` of an http(s) URL, lower case.
fn http_host(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(host.to_ascii_lowercase()).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(hosts: &[&str]) -> GitAuth {
        GitAuth {
            token: Some(Secret::new("ghp_secret")),
            username: None,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn the_token_goes_only_to_its_hosts() {
        let a = auth(&["github.com", "127.0.0.1:8080"]);
        assert!(a.applies_to("https://github.com/org/repo.git"));
        assert!(a.applies_to("http://127.0.0.1:8080/x.git"));
        assert!(!a.applies_to("http://127.0.0.1:9090/x.git"));
        assert!(!a.applies_to("https://evil.example/x.git"));
        assert!(!a.applies_to("git://github.com/org/repo.git"));
        assert!(!a.applies_to("git@github.com:org/repo.git"));
    }

    #[test]
    fn the_token_never_prints() {
        let a = auth(&["github.com"]);
        assert!(!format!("{a:?}").contains("ghp_secret"));
        assert_eq!(a.scrub("x ghp_secret y"), "x *** y");
        let mut cmd = Command::new("git");
        a.apply(&mut cmd, "https://github.com/o/r");
        let args: Vec<_> = cmd.get_args().map(|s| s.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|s| !s.contains("ghp_secret")), "{args:?}");
        assert!(cmd.get_envs().any(|(k, _)| k == "GITFLEET_GIT_TOKEN"));
    }
}
