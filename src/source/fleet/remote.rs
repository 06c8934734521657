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
        // Whitespace at either end of the path is dropped as it is around the whole name, so
        // the canonical URL names itself; control characters (a newline in a URL handed to git)
        // are refused.
        let path = path.trim_matches(|c: char| c == '/' || c.is_whitespace());
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.is_empty()
            || segments.iter().any(|s| *s == "." || *s == "..")
            || path.chars().any(char::is_control)
        {
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

/// A URL fit for messages: every `user:password@` or `token@` part is masked, wherever it is
/// (a mistyped name such as `//user:pw@host/x` or two URLs run together included); an scp-like
/// `git@host:path` keeps its user, which is no secret.
pub(crate) fn redact(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(at) = rest.find('@') {
        let before = &rest[..at];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| *c == '/' || c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let userinfo = &before[start..];
        let after_scheme = before[..start].ends_with("//");
        // A password may itself hold '@': the part after a masked one is masked too.
        let continues = start == 0 && out.ends_with("***@");
        out.push_str(&before[..start]);
        if continues {
            // already masked
        } else if userinfo.contains(':') || after_scheme {
            out.push_str("***@");
        } else {
            out.push_str(userinfo);
            out.push('@');
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
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
    fn redact_masks_every_credential() {
        for (url, shown) in [
            ("https://user:pw@host/x", "https://***@host/x"),
            ("https://ghp_token@host/x", "https://***@host/x"),
            ("https://u:p@ss@host/x", "https://***@host/x"),
            ("//user:pw@host/x", "//***@host/x"),
            (
                "x https://a:pw@h/r and https://b:pw@h/s",
                "x https://***@h/r and https://***@h/s",
            ),
            ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
            ("ssh://git@host/x", "ssh://***@host/x"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
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

#[cfg(test)]
mod fuzz {
    use std::path::{Component, Path};

    use proptest::prelude::*;

    use super::*;
    use crate::fuzz::{fuzz, mutated};

    const SEEDS: &[&str] = &[
        "https://github.com/org/repo",
        "https://github.com/org/repo.git",
        "github:org/repo",
        "git://127.0.0.1:9418/a/b.git",
        "git@github.com:org/repo.git",
        "ssh://git@host.example/x/y",
        "https://[::1]:8443/x",
        "https://user:s3cret@github.com/org/repo",
        "https://ghp_s3cret@github.com/org/repo",
        "https://u:s3c@s3cret@github.com/org/repo",
        "https://github.com/../../etc",
        "https://../escaped/x",
        "git://h:9000/a+b/x.git",
        "https://h/a%2Fb/x",
        "file:///tmp/x",
        "/src/repo",
        "~/src/repo",
        "C:\\repo",
    ];

    /// Every component of a cache path, percent-decoded.
    fn decoded(path: &Path) -> Vec<String> {
        path.components()
            .map(|c| match c {
                Component::Normal(part) => {
                    let part = part.to_str().expect("cache paths are ASCII");
                    let mut out = Vec::new();
                    let mut bytes = part.bytes();
                    while let Some(b) = bytes.next() {
                        if b == b'%' {
                            let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                                .iter()
                                .map(|&b| b as char)
                                .collect();
                            out.push(u8::from_str_radix(&hex, 16).unwrap());
                        } else {
                            assert!(b.is_ascii_alphanumeric() || b"._-".contains(&b), "{part}");
                            out.push(b);
                        }
                    }
                    String::from_utf8(out).unwrap()
                }
                other => panic!("cache path {} has a {other:?} component", path.display()),
            })
            .collect()
    }

    /// Any string: no panic; an accepted name has a canonical URL that parses to itself, a
    /// cache path inside `repos/` that decodes back to its parts, and no credentials.
    #[test]
    fn fuzz_repository_names() {
        let input = prop_oneof![mutated(SEEDS, ":/@.%[]+_~\\ -?#"), ".{0,40}"];
        fuzz("fuzz_repository_names", input, |name| {
            let _ = crate::source::git::location::is_remote(&name);
            let _ = redact(&name);
            let _ = crate::source::git::location::RepoLocation::normalised_name(&name);
            match Remote::parse(&name) {
                Ok(r) => {
                    let parts = decoded(&r.cache_path);
                    prop_assert_eq!(&parts[0], "repos");
                    prop_assert!(parts.len() >= 4, "{:?}", parts);
                    prop_assert!(parts.iter().all(|p| p != "." && p != ".."));
                    let again = Remote::parse(&r.url).expect("a canonical URL parses");
                    prop_assert_eq!(&again, &r);
                    // No credentials kept: only an ssh user name before the host.
                    if let Some((scheme, rest)) = r.url.split_once("://") {
                        let authority = rest.split('/').next().unwrap_or_default();
                        if let Some((user, _)) = authority.rsplit_once('@') {
                            prop_assert!(scheme == "ssh" && !user.contains(':'), "{}", r.url);
                        }
                    }
                }
                // Nothing in a message that redact() would mask.
                Err(e) => prop_assert_eq!(redact(&e.to_string()), e.to_string()),
            }
            Ok(())
        });
    }

    /// Names built from known parts: the cache path is exactly those parts (so two different
    /// repositories never share a directory), and a password is never kept or shown.
    #[test]
    fn fuzz_cache_paths_are_one_to_one() {
        let scheme = prop::sample::select(vec!["https", "http", "git", "ssh"]);
        let host = prop_oneof![
            "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}",
            Just("[::1]".to_string()),
            Just("127.0.0.1".to_string()),
        ];
        let port = prop::option::of(1..=u16::MAX);
        let segment = "[a-zA-Z0-9._%+ ~:@!\u{e9}-]{1,8}";
        let secret = "[A-Za-z0-9]{12,20}";
        let parts = (
            scheme,
            host,
            port,
            prop::collection::vec(segment, 1..4),
            prop::option::of(secret),
        );
        fuzz(
            "fuzz_cache_paths_are_one_to_one",
            parts,
            |(scheme, host, port, segments, secret)| {
                let user = match &secret {
                    Some(s) => format!("user:{s}@"),
                    None => String::new(),
                };
                let authority = match port {
                    Some(p) => format!("{user}{host}:{p}"),
                    None => format!("{user}{host}"),
                };
                let url = format!("{scheme}://{authority}/{}", segments.join("/"));
                // Whitespace around a path is not part of it (names are trimmed).
                let path = segments.join("/");
                prop_assume!(path.trim() == path);
                let bad_segment = segments.iter().any(|s| s == "." || s == "..");
                let parsed = Remote::parse(&url);
                if let Some(secret) = &secret {
                    let shown = match &parsed {
                        Ok(r) => format!("{} {}", r.url, r.cache_path.display()),
                        Err(e) => e.to_string(),
                    };
                    prop_assert!(!shown.contains(secret.as_str()), "{}", shown);
                    prop_assert!(!redact(&url).contains(secret.as_str()));
                }
                if bad_segment {
                    prop_assert!(parsed.is_err(), "{} was accepted", url);
                    return Ok(());
                }
                let r = parsed.map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
                let default = match scheme {
                    "https" => 443,
                    "http" => 80,
                    "git" => 9418,
                    _ => 22,
                };
                let mut want = vec![
                    "repos".to_string(),
                    scheme.to_string(),
                    format!("{}_{}", host, port.unwrap_or(default)),
                ];
                let last = segments.len() - 1;
                for (i, s) in segments.iter().enumerate() {
                    want.push(if i == last {
                        format!("{}.git", s.strip_suffix(".git").unwrap_or(s))
                    } else {
                        s.clone()
                    });
                }
                prop_assert_eq!(decoded(&r.cache_path), want);
                Ok(())
            },
        );
    }
}
