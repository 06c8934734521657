//! Remote repository names: the accepted forms, their canonical URL and their place in the cache.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// A remote repository as named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remote {
    /// What git is given to clone from (credentials removed).
    pub url: String,
    /// Where its bare clone lives, relative to the cache root:
    /// `repos/<scheme>/<host>_<port>/<path>.git`, every part percent-escaped, so two
    /// repositories never share a directory (see [`cache_path`]).
    pub cache_path: PathBuf,
}

impl Remote {
    /// Parses `https://`, `http://`, `git://`, `ssh://`, scp-like `user@host:path` and
    /// `github:org/repo`. Credentials in a URL are dropped: tokens come from the environment at
    /// clone time and are never stored.
    pub(crate) fn parse(name: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidArgument(format!("bad repository URL '{}': {why}", redact(name)));
        let name = name.trim();
        let (scheme, host, path) = if let Some(rest) = name.strip_prefix("github:") {
            ("https", "github.com".to_string(), rest.to_string())
        } else if let Some((scheme, rest)) = name.split_once("://") {
            let scheme = match scheme.to_ascii_lowercase().as_str() {
                "https" => "https",
                "http" => "http",
                "git" => "git",
                "ssh" => "ssh",
                _ => {
                    return Err(bad(
                        "unsupported scheme (use https, http, git, ssh, file or github:org/repo)",
                    ))
                }
            };
            let (authority, path) = rest.split_once('/').ok_or_else(|| bad("no repository path"))?;
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (user, host) = match (scheme, authority.rsplit_once('@')) {
                ("ssh", Some((user, _))) => (Some(user.split(':').next().unwrap_or(user)), host),
                _ => (None, host),
            };
            let host = match user {
                Some(u) => format!("{u}@{host}"),
                None => host.to_string(),
            };
            (scheme, host, path.to_string())
        } else if let Some((authority, path)) = name.split_once(':') {
            // scp-like: user@host:org/repo.git
            if authority.is_empty() || authority.contains('/') {
                return Err(bad("not a URL"));
            }
            ("scp", authority.to_string(), path.to_string())
        } else {
            return Err(bad("not a URL"));
        };
        let host_only = host
            .rsplit_once('@')
            .map_or(host.as_str(), |(_, h)| h)
            .to_ascii_lowercase();
        let (hostname, port) = split_port(&host_only).ok_or_else(|| bad("bad port"))?;
        if !valid_host(hostname) {
            return Err(bad("bad host"));
        }
        let path = path.trim_matches('/');
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
            return Err(bad("bad repository path"));
        }
        let url = match scheme {
            "scp" => format!("{host}:{path}"),
            _ => format!("{scheme}://{host}/{path}"),
        };
        // scp-like names are ssh.
        let scheme = if scheme == "scp" { "ssh" } else { scheme };
        let port = match port {
            Some(port) => port,
            None => default_port(scheme),
        };
        let cache_path = cache_path(scheme, hostname, port, &segments);
        Ok(Remote { url, cache_path })
    }
}

/// The cache directory of a repository: one directory level per part of its identity (scheme,
/// host and port, path segments), each percent-escaped outside `[A-Za-z0-9._-]`, so the map
/// from (scheme, host, port, path) to directories is one-to-one. A trailing `.git` is the one
/// equivalence: `x` and `x.git` name the same repository, as git daemon and GitHub serve them.
fn cache_path(scheme: &str, host: &str, port: u16, segments: &[&str]) -> PathBuf {
    let mut path = PathBuf::from("repos")
        .join(scheme)
        .join(format!("{}_{port}", escape(host)));
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        if i == last {
            path.push(format!(
                "{}.git",
                escape(segment.strip_suffix(".git").unwrap_or(segment))
            ));
        } else {
            path.push(escape(segment));
        }
    }
    path
}

/// Percent-escapes every byte outside `[A-Za-z0-9._-]` (including `%` itself): reversible,
/// so distinct names stay distinct.
fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for byte in part.bytes() {
        if byte.is_ascii_alphanumeric() || b"._-".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "https" => 443,
        "http" => 80,
        "git" => 9418,
        _ => 22,
    }
}

/// `host[:port]` (IPv6 in brackets) into the host and an explicit port; None for a bad port.
fn split_port(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = match host.rfind(':') {
        Some(at) if !host.ends_with(']') => (&host[..at], Some(&host[at + 1..])),
        _ => (host, None),
    };
    match port {
        None => Some((name, None)),
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .map(|p| (name, Some(p))),
    }
}

/// A DNS name (dot-separated labels of letters, digits and hyphens, none empty, none starting
/// or ending with a hyphen), or an IPv6 address in brackets.
fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A URL fit for messages: any `user:password@` part is masked.
pub(crate) fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}://***@{}", &rest[at + 1..]);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(name: &str) -> String {
        Remote::parse(name).unwrap().cache_path.display().to_string()
    }

    #[test]
    fn accepted_forms() {
        let r = Remote::parse("https://github.com/org/repo").unwrap();
        assert_eq!(r.url, "https://github.com/org/repo");
        assert_eq!(
            cache("https://github.com/org/repo"),
            "repos/https/github.com_443/org/repo.git"
        );
        assert_eq!(
            cache("https://github.com/org/repo.git"),
            "repos/https/github.com_443/org/repo.git"
        );
        assert_eq!(
            cache("github:org/repo"),
            "repos/https/github.com_443/org/repo.git"
        );
        assert_eq!(
            Remote::parse("github:org/repo").unwrap().url,
            "https://github.com/org/repo"
        );
        assert_eq!(
            cache("git://127.0.0.1:9418/a/b.git"),
            "repos/git/127.0.0.1_9418/a/b.git"
        );
        assert_eq!(
            cache("git@github.com:org/repo.git"),
            "repos/ssh/github.com_22/org/repo.git"
        );
        assert_eq!(
            Remote::parse("git@github.com:org/repo.git").unwrap().url,
            "git@github.com:org/repo.git"
        );
        assert_eq!(
            cache("ssh://git@host.example/x/y"),
            "repos/ssh/host.example_22/x/y.git"
        );
        assert_eq!(
            cache("https://[::1]:8443/x"),
            "repos/https/%5B%3A%3A1%5D_8443/x.git"
        );
        assert_eq!(
            Remote::parse("ssh://git@host.example/x/y").unwrap().url,
            "ssh://git@host.example/x/y"
        );
    }

    #[test]
    fn credentials_are_never_kept() {
        let r = Remote::parse("https://user:s3cret@github.com/org/repo").unwrap();
        assert_eq!(r.url, "https://github.com/org/repo");
        assert!(!r.cache_path.display().to_string().contains("s3cret"));
        let err = Remote::parse("ftp://user:s3cret@host/x").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn hostile_names_are_rejected() {
        for name in [
            "https://github.com/../../etc",
            "https://github.com/",
            "https:///org/repo",
            "ftp://host/x",
            "https://ho st/x",
            "github:..",
            "https://../escaped/x",
            "https://./x",
            "https://a..b/x",
            "https://-a/x",
            "https://host:0/x",
            "https://host:99999/x",
            "https://host:abc/x",
            "https://[not-ipv6]/x",
        ] {
            assert!(Remote::parse(name).is_err(), "{name}");
        }
    }

    #[test]
    fn different_repositories_never_share_a_cache_directory() {
        let pairs = [
            ("git://h:9000/a+b/x.git", "git://h:9000/a_b/x.git"),
            ("git://127.0.0.1/r.git", "http://127.0.0.1/r.git"),
            ("https://h/a%2Fb/x", "https://h/a/b/x"),
            ("https://h/a/x", "https://h/a%2Fx"),
            ("https://h:8443/x", "https://h/x"),
            ("https://h/x y", "https://h/x_y"),
        ];
        for (a, b) in pairs {
            assert_ne!(cache(a), cache(b), "{a} and {b}");
        }
        // Default ports and a `.git` suffix are the same repository.
        assert_eq!(cache("https://h:443/x"), cache("https://h/x.git"));
        assert_eq!(cache("git://h/x"), cache("git://h:9418/x"));
        for name in ["https://h/a/x", "git://h:1/%2e%2e/x", "https://h/x%00"] {
            let path = cache(name);
            assert!(path.starts_with("repos/") && !path.contains("/../"), "{path}");
        }
    }
}
