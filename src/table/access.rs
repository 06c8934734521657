//! Which repositories a session's queries may read: all of them in the CLI and Python, and for
//! a `gitfleet serve` client only those the server was started with plus `--allow-repo`
//! patterns. Every name a query gives (table function argument, `repo =` filter,
//! `refresh_repos`) is checked as text, before anything is opened, resolved or cloned, so a
//! refused name reveals nothing about the server's disk or network.

use crate::error::{Error, Result};
use crate::source::fleet::remote::{redact, Remote};
use crate::source::git::location::is_remote;

/// A served session's rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct RepoAccess {
    /// Canonical names of the repositories the server was started with.
    served: Vec<String>,
    /// Globs over canonical names: `*` within one path segment, `**` across segments.
    patterns: Vec<String>,
    /// Whether `refresh_repos` may fetch.
    pub refresh: bool,
}

impl RepoAccess {
    /// `served`: the canonical names of the server's repositories; `patterns`: `--allow-repo`
    /// globs (`github:org/*` means `https://github.com/org/*`).
    pub(crate) fn new(served: Vec<String>, patterns: &[String], refresh: bool) -> Self {
        let patterns = patterns
            .iter()
            .map(|p| {
                let p = p.trim();
                match p.strip_prefix("github:") {
                    Some(rest) => format!("https://github.com/{rest}"),
                    None => p.trim_end_matches('/').to_string(),
                }
            })
            .collect();
        RepoAccess {
            served,
            patterns,
            refresh,
        }
    }

    /// `spec` if a client may read it, else why not. Only text is looked at.
    pub(crate) fn check(&self, spec: &str) -> Result<()> {
        let spec = spec.trim();
        let name = if is_remote(spec) {
            Remote::parse(spec).map_err(|_| not_served(spec))?.url
        } else {
            spec.strip_prefix("file://")
                .unwrap_or(spec)
                .trim_end_matches('/')
                .to_string()
        };
        // A pattern never admits a name that climbs out of it with `..`.
        let dotted = name.split('/').any(|segment| segment == ".." || segment == ".");
        let allowed =
            self.served.contains(&name) || (!dotted && self.patterns.iter().any(|p| glob(p, &name)));
        if allowed {
            Ok(())
        } else {
            Err(not_served(spec))
        }
    }
}

/// What one logged-in user of `gitfleet serve` may read, on top of the server's rules: a
/// users-file line's `allow-repo=` patterns. It lives in the connection's session
/// configuration (the tables are the server's, shared by every connection), set once the
/// user has logged in.
#[derive(Debug)]
pub(crate) enum UserGrant {
    /// Not logged in yet: nothing is readable (a connection's session exists before its
    /// authentication, and a grant must never default to more).
    Pending,
    /// Only repositories matching these patterns, within the server's rules.
    Patterns(RepoAccess),
    /// The server's rules alone (a user listed without patterns).
    Server,
}

impl UserGrant {
    /// `user`'s grant from their `allow-repo` patterns (none: the server's rules).
    pub(crate) fn for_patterns(patterns: &[String]) -> Self {
        if patterns.is_empty() {
            UserGrant::Server
        } else {
            UserGrant::Patterns(RepoAccess::new(Vec::new(), patterns, false))
        }
    }

    fn check(&self, spec: &str) -> Result<()> {
        match self {
            UserGrant::Pending => Err(not_served(spec)),
            UserGrant::Patterns(access) => access.check(spec),
            UserGrant::Server => Ok(()),
        }
    }
}

/// The rules a session's query runs under: the server's (None in the CLI and Python) and its
/// user's (from the session configuration).
pub(crate) struct Rules<'a> {
    server: Option<&'a RepoAccess>,
    user: Option<std::sync::Arc<UserGrant>>,
}

impl<'a> Rules<'a> {
    pub(crate) fn of(server: Option<&'a RepoAccess>, session: &datafusion::prelude::SessionConfig) -> Self {
        Rules {
            server,
            user: session.get_extension::<UserGrant>(),
        }
    }

    /// `spec` if this session may read it; see [`RepoAccess::check`].
    pub(crate) fn check(&self, spec: &str) -> Result<()> {
        if let Some(server) = self.server {
            server.check(spec)?;
        }
        match &self.user {
            Some(user) => user.check(spec),
            None => Ok(()),
        }
    }

    /// See [`RepoAccess::check_resolved`].
    pub(crate) fn check_resolved(&self, spec: &str, name: &str) -> Result<()> {
        self.check(name).map_err(|_| not_served(spec))
    }

    /// Whether nothing restricts this session (no check needed).
    pub(crate) fn open(&self) -> bool {
        self.server.is_none() && self.user.is_none()
    }
}

/// A table a served session may not read (the GitHub tables without `--github`): planning works
/// (clients list and describe it), scanning fails with `message`.
#[derive(Debug)]
pub(crate) struct RefusedTable {
    pub schema: arrow::datatypes::SchemaRef,
    pub message: String,
}

#[async_trait::async_trait]
impl datafusion::catalog::TableProvider for RefusedTable {
    fn schema(&self) -> arrow::datatypes::SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> datafusion::datasource::TableType {
        datafusion::datasource::TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn datafusion::catalog::Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[datafusion::logical_expr::Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        Err(Error::Refused(self.message.clone()).into())
    }
}

fn not_served(spec: &str) -> Error {
    Error::NotServed(redact(spec))
}

/// Whether `name` matches `pattern`: `*` is any run of characters other than `/`, `**` any run
/// at all; everything else is literal.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    // Iterative matching with backtracking to the last star (linear in practice).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize, bool)> = None; // (pattern after star, name pos, crosses '/')
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            let double = p.get(pi + 1) == Some(&b'*');
            pi += if double { 2 } else { 1 };
            star = Some((pi, ni, double));
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((after, at, double)) = star {
            // Let the star swallow one more character, unless it would cross a segment.
            if !double && n[at] == b'/' {
                return false;
            }
            star = Some((after, at + 1, double));
            pi = after;
            ni = at + 1;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("https://github.com/acme/*", "https://github.com/acme/x"));
        assert!(!glob("https://github.com/acme/*", "https://github.com/acme/x/y"));
        assert!(glob(
            "https://git.example.com/**",
            "https://git.example.com/a/b.git"
        ));
        assert!(!glob(
            "https://github.com/acme/*",
            "https://github.com/acmecorp/x"
        ));
        assert!(glob("/srv/repos/*", "/srv/repos/one"));
        assert!(!glob("/srv/repos/*", "/srv/repos/../etc"));
        assert!(glob("a*c*e", "abcde") && !glob("a*c*e", "abcdf"));
    }

    #[test]
    fn only_served_names_and_patterns_pass() {
        let access = RepoAccess::new(
            vec!["/srv/repo".into()],
            &[
                "github:acme/*".into(),
                "/srv/team/*".into(),
                "/srv/deep/**".into(),
            ],
            false,
        );
        for ok in [
            "/srv/repo",
            "/srv/repo/",
            "file:///srv/repo",
            "github:acme/tools",
            "https://github.com/acme/tools",
            "https://user:secret@github.com/acme/tools",
            "/srv/team/a",
            "/srv/deep/a/b",
        ] {
            assert!(access.check(ok).is_ok(), "{ok}");
        }
        for refused in [
            "/etc",
            "/srv/repo/../other",
            "/srv/team/a/../../repo2",
            "http://127.0.0.1:8080/hidden.git",
            "https://github.com/other/x",
            "github:acme/tools/../../other/x",
            "file:///etc/shadow",
            "/srv/deep/../../etc",
        ] {
            let err = access.check(refused).unwrap_err().to_string();
            assert!(err.contains("is not served here"), "{refused}: {err}");
        }
        // The refusal never repeats a credential.
        let err = access
            .check("https://user:secret@example.com/x")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
