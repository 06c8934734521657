//! Remote repository names: the accepted forms, their canonical URL and their place in the cache.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// A remote repository as named by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// What git is given to clone from (credentials removed).
    pub url: String,
    /// Where its bare clone lives, relative to the cache root: `repos/<host>/<path>.git`.
    pub cache_path: PathBuf,
}

impl Remote {
    /// Parses `https://`, `http://`, `git://`, `ssh://`, scp-like `user@host:path` and
    /// `github:org/repo`. Credentials in a URL are dropped: tokens come from the environment at
    /// clone time and are never stored.
    pub fn parse(name: &str) -> Result<Self> {
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
        if host_only.is_empty()
            || !host_only
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        {
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
        // One directory per repository: host (port kept, ':' made safe) then the path segments.
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        let mut cache_path = PathBuf::from("repos").join(safe(&host_only));
        let last = segments.len() - 1;
        for (i, segment) in segments.iter().enumerate() {
            let segment = if i == last {
                format!("{}.git", segment.strip_suffix(".git").unwrap_or(segment))
            } else {
                segment.to_string()
            };
            cache_path.push(safe(&segment));
        }
        Ok(Remote { url, cache_path })
    }
}

/// A URL fit for messages: any `user:password@` part is masked.
pub fn redact(url: &str) -> String {
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
            "repos/github.com/org/repo.git"
        );
        assert_eq!(
            cache("https://github.com/org/repo.git"),
            "repos/github.com/org/repo.git"
        );
        assert_eq!(cache("github:org/repo"), "repos/github.com/org/repo.git");
        assert_eq!(
            Remote::parse("github:org/repo").unwrap().url,
            "https://github.com/org/repo"
        );
        assert_eq!(
            cache("git://127.0.0.1:9418/a/b.git"),
            "repos/127.0.0.1_9418/a/b.git"
        );
        assert_eq!(
            cache("git@github.com:org/repo.git"),
            "repos/github.com/org/repo.git"
        );
        assert_eq!(
            Remote::parse("git@github.com:org/repo.git").unwrap().url,
            "git@github.com:org/repo.git"
        );
        assert_eq!(cache("ssh://git@host.example/x/y"), "repos/host.example/x/y.git");
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
        ] {
            assert!(Remote::parse(name).is_err(), "{name}");
        }
    }
}
