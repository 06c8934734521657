//! `CODEOWNERS` as GitHub reads it: the first of `.github/CODEOWNERS`, `CODEOWNERS` and
//! `docs/CODEOWNERS` in a tree, one rule per line (`pattern owner...`, `#` comments), and the
//! last rule matching a file names its owners (a rule with no owners leaves the file without).
//!
//! Patterns follow GitHub's documented rules, which are gitignore's with exceptions: no `!`
//! negation, no `[...]` ranges (taken literally), and `dir/*` matches only the files directly
//! in `dir`, not deeper ones. A pattern without a slash (or only a trailing one) matches at any
//! depth; a leading or inner slash anchors it at the root; a trailing slash matches a
//! directory's contents; `**` spans directories; `*` and `?` stay within one path segment.
//! Paths are case sensitive.

use gix::ObjectId;
use regex::Regex;

use crate::error::{Error, Result};

/// Where GitHub looks for the file, in its order: the first one found is used.
pub(crate) const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One rule of the file.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// 1-based, in file order (later rules win).
    pub order: usize,
    pub pattern: String,
    /// `@user`, `@org/team` or email addresses, as written; empty: the rule removes owners.
    pub owners: Vec<String>,
    regex: Regex,
}

impl Rule {
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.regex.is_match(path)
    }
}

/// A repository's CODEOWNERS file.
#[derive(Debug, Clone)]
pub(crate) struct CodeOwners {
    /// Where it was found (one of [`LOCATIONS`]).
    pub source: String,
    pub rules: Vec<Rule>,
}

impl CodeOwners {
    /// The rules of `text`. Lines that cannot be a rule (a negation, an escaped comment) are
    /// skipped, as GitHub skips them.
    pub(crate) fn parse(source: &str, text: &str) -> Self {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (pattern, rest) = split_pattern(line);
            if pattern.is_empty() || pattern.starts_with('!') {
                continue;
            }
            let owners: Vec<String> = rest
                .split_whitespace()
                .take_while(|token| !token.starts_with('#'))
                .map(String::from)
                .collect();
            let Ok(regex) = Regex::new(&pattern_regex(&pattern)) else {
                continue;
            };
            rules.push(Rule {
                order: rules.len() + 1,
                pattern,
                owners,
                regex,
            });
        }
        CodeOwners {
            source: source.to_string(),
            rules,
        }
    }

    /// The CODEOWNERS file of the tree `root`, if it has one.
    pub(crate) fn read(repo: &gix::Repository, name: &str, root: ObjectId) -> Result<Option<Self>> {
        let tree = repo.find_tree(root).map_err(|e| Error::git(name, e))?;
        for location in LOCATIONS {
            let entry = tree
                .lookup_entry_by_path(location)
                .map_err(|e| Error::git(name, e))?;
            let Some(entry) = entry.filter(|e| e.mode().is_blob()) else {
                continue;
            };
            let blob = repo
                .find_blob(entry.object_id())
                .map_err(|e| Error::git(name, e))?;
            return Ok(Some(Self::parse(location, &String::from_utf8_lossy(&blob.data))));
        }
        Ok(None)
    }

    /// The rule that decides `path`'s owners: the last one matching it.
    pub(crate) fn rule_for(&self, path: &str) -> Option<&Rule> {
        self.rules.iter().rev().find(|r| r.matches(path))
    }
}

/// The pattern (with `\ ` unescaped to a space) and the rest of the line.
fn split_pattern(line: &str) -> (String, &str) {
    let mut pattern = String::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|(_, n)| *n == ' ') => {
                pattern.push(' ');
                chars.next();
            }
            c if c.is_whitespace() => return (pattern, &line[i..]),
            c => pattern.push(c),
        }
    }
    (pattern, "")
}

/// A pattern as an anchored regular expression over repository-relative paths.
fn pattern_regex(pattern: &str) -> String {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.contains('/');
    let body = trimmed.trim_start_matches('/');
    let segments: Vec<&str> = body.split('/').collect();
    let mut re = String::from(if anchored { "^" } else { "^(?:.*/)?" });
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if *segment == "**" {
            // `**/` spans zero or more directories; a final `/**` everything inside.
            re.push_str(if last { ".*" } else { "(?:.*/)?" });
            continue;
        }
        for c in segment.chars() {
            match c {
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        if !last {
            re.push('/');
        }
    }
    let direct_children = segments.len() > 1 && segments.last() == Some(&"*");
    if segments.last() == Some(&"**") || direct_children {
        re.push('$');
    } else if dir_only {
        re.push_str("/.*$");
    } else {
        re.push_str("(?:/.*)?$");
    }
    re
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(file: &CodeOwners, path: &str) -> Vec<String> {
        file.rule_for(path).map(|r| r.owners.clone()).unwrap_or_default()
    }

    /// The examples of GitHub's "About code owners" page, each checked as documented.
    #[test]
    fn githubs_documented_examples() {
        let file = CodeOwners::parse(
            ".github/CODEOWNERS",
            "# comment\n\
             *       @global-owner1 @global-owner2\n\
             *.js    @js-owner #This is an inline comment.\n\
             *.go docs@example.com\n\
             *.txt @octo-org/octocats\n\
             /build/logs/ @doctocat\n\
             docs/*  docs@example.com\n\
             apps/ @octocat\n\
             /docs/ @doctocat\n\
             /scripts/ @doctocat @octocat\n\
             **/logs @octocat\n\
             /apps/ @octocat\n\
             /apps/github\n\
             !negated @nobody\n",
        );
        assert_eq!(file.rules.len(), 12);
        assert_eq!(owners(&file, "README.md"), ["@global-owner1", "@global-owner2"]);
        assert_eq!(owners(&file, "src/deep/app.js"), ["@js-owner"]);
        assert_eq!(owners(&file, "main.go"), ["docs@example.com"]);
        assert_eq!(owners(&file, "notes/a.txt"), ["@octo-org/octocats"]);
        // `**/logs` (a later rule) wins over `/build/logs/` there.
        assert_eq!(owners(&file, "build/logs/today/x.log"), ["@octocat"]);
        assert_eq!(owners(&file, "docs/getting-started.md"), ["@doctocat"]);
        assert_eq!(owners(&file, "scripts/deploy.sh"), ["@doctocat", "@octocat"]);
        assert_eq!(owners(&file, "deep/logs/app.log"), ["@octocat"]);
        assert_eq!(owners(&file, "apps/web/index.html"), ["@octocat"]);
        // A rule without owners takes them away.
        assert!(owners(&file, "apps/github/x.rb").is_empty());
        assert_eq!(file.rule_for("apps/github/x.rb").unwrap().order, 12);
        // `apps/` matches an apps directory anywhere.
        assert_eq!(owners(&file, "lib/apps/x.py"), ["@octocat"]);
    }

    #[test]
    fn a_leading_or_inner_slash_anchors_at_the_root() {
        let file = CodeOwners::parse("CODEOWNERS", "lib @any\nsrc/lib @inner\n/build/logs/ @root\n");
        assert_eq!(owners(&file, "build/logs/today/x.log"), ["@root"]);
        assert!(owners(&file, "src/build/logs/x.log").is_empty());
        assert!(
            owners(&file, "build/logs").is_empty(),
            "a trailing slash wants a directory"
        );
        assert_eq!(owners(&file, "src/lib/a.rs"), ["@inner"]);
        assert_eq!(owners(&file, "x/src/lib/a.rs"), ["@any"]);
        assert_eq!(owners(&file, "deep/lib"), ["@any"]);
    }

    #[test]
    fn a_star_matches_one_level_only() {
        let file = CodeOwners::parse("CODEOWNERS", "docs/* @a\n");
        assert_eq!(owners(&file, "docs/getting-started.md"), ["@a"]);
        assert!(owners(&file, "docs/build-app/troubleshooting.md").is_empty());
        assert!(owners(&file, "x/docs/a.md").is_empty());
        let file = CodeOwners::parse("CODEOWNERS", "docs/** @b\n/a?c.txt @c\n");
        assert_eq!(owners(&file, "docs/build-app/troubleshooting.md"), ["@b"]);
        assert_eq!(owners(&file, "abc.txt"), ["@c"]);
        assert!(owners(&file, "a/c.txt").is_empty());
    }

    #[test]
    fn brackets_are_literal_and_spaces_can_be_escaped() {
        let file = CodeOwners::parse("CODEOWNERS", "[ab].md @x\nmy\\ file.txt @y\n");
        assert_eq!(owners(&file, "[ab].md"), ["@x"]);
        assert!(owners(&file, "a.md").is_empty());
        assert_eq!(owners(&file, "dir/my file.txt"), ["@y"]);
    }
}
