//! Which commit identities are bots, by a documented rule set (README, "Bots"):
//!
//! 1. a GitHub App's noreply address: `...[bot]@users.noreply.github.com`;
//! 2. a name ending in `[bot]` (`dependabot[bot]`, `renovate[bot]`, ...);
//! 3. a well-known bot identity that follows neither convention ([`KNOWN_EMAILS`],
//!    [`KNOWN_NAMES`]);
//! 4. the user's own patterns: `GITFLEET_BOTS` (comma-separated) and the `bots` file in the
//!    cache directory (one per line, `#` comments), each an email or a name, `*` matching any
//!    run of characters, compared without regard to case.

use std::path::Path;

/// Bot addresses that do not end in `[bot]@users.noreply.github.com`.
pub(crate) const KNOWN_EMAILS: &[&str] = &[
    "action@github.com",
    "actions@github.com",
    "github-actions@github.com",
    "bot@renovateapp.com",
    "support@dependabot.com",
    "noreply@dependabot.com",
    "semantic-release-bot@martynus.net",
    "snyk-bot@snyk.io",
    "bot@stepsecurity.io",
];

/// Bot names that do not end in `[bot]`.
pub(crate) const KNOWN_NAMES: &[&str] = &[
    "dependabot",
    "dependabot-preview",
    "renovate bot",
    "github actions",
    "github-actions",
    "semantic-release-bot",
    "snyk bot",
    "greenkeeper",
    "pre-commit-ci",
    "allcontributors",
];

/// The bot rules of a session: the built-in ones plus the user's patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct BotRules {
    /// Lowercased user patterns.
    extra: Vec<String>,
}

impl BotRules {
    /// The built-in rules plus `patterns` (empty ones dropped).
    pub(crate) fn new(patterns: impl IntoIterator<Item = String>) -> Self {
        BotRules {
            extra: patterns
                .into_iter()
                .map(|p| p.trim().to_lowercase())
                .filter(|p| !p.is_empty())
                .collect(),
        }
    }

    /// The user's patterns: `GITFLEET_BOTS`, then the `bots` file of `cache_dir`.
    pub(crate) fn configured(cache_dir: Option<&Path>) -> Vec<String> {
        let mut patterns: Vec<String> = std::env::var("GITFLEET_BOTS")
            .map(|v| v.split(',').map(String::from).collect())
            .unwrap_or_default();
        if let Some(text) = cache_dir.and_then(|d| std::fs::read_to_string(d.join("bots")).ok()) {
            patterns.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        patterns.retain(|p| !p.trim().is_empty());
        patterns
    }

    /// Whether the identity `name <email>` is a bot.
    pub(crate) fn is_bot(&self, name: &str, email: &str) -> bool {
        let name = name.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        email.ends_with("[bot]@users.noreply.github.com")
            || name.ends_with("[bot]")
            || KNOWN_EMAILS.contains(&email.as_str())
            || KNOWN_NAMES.contains(&name.as_str())
            || self.extra.iter().any(|p| glob(p, &email) || glob(p, &name))
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules() {
        let rules = BotRules::default();
        assert!(rules.is_bot(
            "dependabot[bot]",
            "49699333+dependabot[bot]@users.noreply.github.com"
        ));
        assert!(rules.is_bot("Someone", "41898282+github-actions[bot]@users.noreply.github.com"));
        assert!(rules.is_bot("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"));
        assert!(rules.is_bot("GitHub Action", "action@github.com"));
        assert!(rules.is_bot("Renovate Bot", "bot@renovateapp.com"));
        assert!(!rules.is_bot("Ada Lovelace", "ada@example.com"));
        assert!(!rules.is_bot("Robot Fan", "12345+robotfan@users.noreply.github.com"));
        assert!(!rules.is_bot("Abbot", "abbot@example.com"));
    }

    #[test]
    fn user_patterns_match_names_or_emails_with_wildcards() {
        let rules = BotRules::new(["ci-*@corp.example".to_string(), " Release Robot ".to_string()]);
        assert!(rules.is_bot("CI", "CI-Nightly@corp.example"));
        assert!(rules.is_bot("release robot", "r@x"));
        assert!(!rules.is_bot("ci", "ci@corp.example"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn the_bots_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bots"),
            "# ours\nmerge-bot@corp.example\n\n  Nightly Builder \n",
        )
        .unwrap();
        let patterns = BotRules::configured(Some(dir.path()));
        assert!(
            patterns.contains(&"merge-bot@corp.example".to_string()),
            "{patterns:?}"
        );
        assert!(patterns.contains(&"Nightly Builder".to_string()), "{patterns:?}");
        assert_eq!(patterns.iter().filter(|p| p.starts_with('#')).count(), 0);
    }
}
