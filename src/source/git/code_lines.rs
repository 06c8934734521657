//! Code, comment and blank lines of a file, counted by tokei as `tokei` counts them on a
//! checkout: tokei's language for the path (file name, then extension), else tokei's language
//! of the same name as linguist's (a script known only by its `#!` line).

use std::sync::LazyLock;

use tokei::{Config, LanguageType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineCounts {
    pub code: i64,
    pub comments: i64,
    pub blanks: i64,
}

/// The counts of the file at `path` with content `data`; None when tokei knows no language for
/// it.
pub(crate) fn count(path: &str, linguist_language: Option<&str>, data: &[u8]) -> Option<LineCounts> {
    let language = tokei_language(path).or_else(|| linguist_language?.parse().ok())?;
    // Embedded languages (code blocks in Markdown, scripts in HTML) count in their file, as
    // tokei's per-file totals do.
    let stats = language.parse_from_slice(data, &CONFIG).summarise();
    Some(LineCounts {
        code: stats.code as i64,
        comments: stats.comments as i64,
        blanks: stats.blanks as i64,
    })
}

fn tokei_language(path: &str) -> Option<LanguageType> {
    let name = path.rsplit('/').next().unwrap_or(path);
    // tokei reads a file without an extension from disk for its `#!` line: a path under a
    // directory that cannot exist keeps it from opening anything of the caller's, and the
    // linguist fallback covers the scripts.
    let probe = std::path::Path::new("/nonexistent-gitfleet-probe").join(name);
    LanguageType::from_path(probe, &CONFIG)
}

static CONFIG: LazyLock<Config> = LazyLock::new(Config::default);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_code_comments_and_blanks_as_tokei() {
        let rust = b"// a comment\nfn main() {\n\n    /* block */\n    let y = 2; // trailing\n}\n";
        assert_eq!(
            count("src/main.rs", Some("Rust"), rust),
            Some(LineCounts {
                code: 3,
                comments: 2,
                blanks: 1
            })
        );
        let script = b"#!/usr/bin/env python3\n# comment\n\nprint(1)\n";
        assert_eq!(
            count("bin/tool", Some("Python"), script),
            Some(LineCounts {
                code: 1,
                comments: 2,
                blanks: 1
            })
        );
        assert_eq!(count("Makefile", None, b"all:\n\t# x\n").map(|c| c.code), Some(1));
        assert_eq!(count("data.unknownext", None, b"x\n"), None);
    }
}
