//! What a file is, as GitHub linguist sees it: its language, and whether it is vendored,
//! generated or documentation, with the `linguist-*` attributes of `.gitattributes` overriding
//! each (`LazyBlob` in linguist 7.22.1). `files` and `commit_files` report it.

pub(crate) mod detect;
mod generated;

use std::sync::LazyLock;

use regex::Regex;

use gix::ObjectId;

use super::attributes::{LinguistAttributes, TreeAttributes};
use super::text::is_binary;
use crate::error::{Error, Result};

/// How much of a file linguist reads (`LazyBlob::MAX_SIZE`); detection and the generated-file
/// checks see only this much, as on GitHub.
pub(crate) const READ_BYTES: usize = 128 * 1024;

/// linguist's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classification {
    pub language: Option<&'static str>,
    pub vendored: bool,
    pub generated: bool,
    pub documentation: bool,
    /// Whether the file counts in GitHub's language bar (`include_in_language_stats?`): not
    /// vendored, generated or documentation, with a language of type programming or markup
    /// (or `linguist-detectable` set).
    pub in_language_stats: bool,
}

/// Classifies the file at `path` whose content starts with `data` (at least [`READ_BYTES`] of
/// it when the file is that long), under the attributes `.gitattributes` gives it.
pub(crate) fn classify(path: &str, data: &[u8], attributes: &LinguistAttributes) -> Classification {
    let data = &data[..data.len().min(READ_BYTES)];
    let language = match &attributes.language {
        Some(name) => detect::by_alias(name),
        // linguist names no language for a binary or empty file.
        None if data.is_empty() || is_binary(data) => None,
        None => detect::language(path, &String::from_utf8_lossy(data)),
    };
    let vendored = attributes
        .vendored
        .unwrap_or_else(|| ::linguist::is_vendored(path).unwrap_or(false));
    let documentation = attributes.documentation.unwrap_or_else(|| is_documentation(path));
    let generated = attributes
        .generated
        .unwrap_or_else(|| generated::is_generated(path, data));
    let detectable = match (attributes.detectable, language) {
        (Some(set), _) => set,
        (None, Some(language)) => matches!(detect::type_of(language), Some("programming" | "markup")),
        (None, None) => false,
    };
    Classification {
        language,
        vendored,
        generated,
        documentation,
        in_language_stats: !vendored && !documentation && !generated && language.is_some() && detectable,
    }
}

/// Classifies files of any revision by path: `commit_files` names the paths a commit changed,
/// and each is read from that commit's tree (a deleted one from its parent's).
pub(crate) struct RevisionClassifier<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    attributes: TreeAttributes<'r>,
}

impl<'r> RevisionClassifier<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, name: &'r str) -> Self {
        Self {
            repo,
            name,
            attributes: TreeAttributes::new(repo, name),
        }
    }

    /// The file at `path` in the tree `tree` (a commit's root tree); None when it is not a
    /// file there (a submodule).
    pub(crate) fn classify_in(&mut self, tree: ObjectId, path: &str) -> Result<Option<Classification>> {
        let Some(entry) = self
            .repo
            .find_tree(tree)
            .map_err(|e| Error::git(self.name, e))?
            .lookup_entry_by_path(path)
            .map_err(|e| Error::git(self.name, e))?
        else {
            return Ok(None);
        };
        if !entry.mode().is_blob_or_symlink() {
            return Ok(None);
        }
        let blob = self
            .repo
            .find_blob(entry.object_id())
            .map_err(|e| Error::git(self.name, e))?;
        self.attributes.set_tree(tree);
        let attributes = self.attributes.of(path)?;
        Ok(Some(classify(path, &blob.data, &attributes)))
    }
}

/// linguist's documentation.yml: documentation directories and files (README, LICENSE, ...).
fn is_documentation(path: &str) -> bool {
    static DOCUMENTATION: LazyLock<Regex> = LazyLock::new(|| {
        let patterns: Vec<&str> = include_str!("documentation.yml")
            .lines()
            .filter_map(|line| line.strip_prefix("- "))
            .collect();
        Regex::new(&patterns.join("|")).expect("documentation.yml compiles")
    });
    DOCUMENTATION.is_match(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_override_every_verdict() {
        let none = LinguistAttributes::default();
        let c = classify("vendor/lib/x.js", b"var x = 1;\n", &none);
        assert_eq!(c.language, Some("JavaScript"));
        assert!(c.vendored && !c.in_language_stats);
        let not_vendored = LinguistAttributes {
            vendored: Some(false),
            ..Default::default()
        };
        assert!(classify("vendor/lib/x.js", b"var x = 1;\n", &not_vendored).in_language_stats);
        let rust = LinguistAttributes {
            language: Some("rust".into()),
            ..Default::default()
        };
        assert_eq!(classify("w.h", b"int x;\n", &rust).language, Some("Rust"));
        assert!(classify("docs/guide.py", b"x = 1\n", &none).documentation);
        assert!(classify("README.md", b"# x\n", &none).documentation);
        assert!(!classify("src/readme_parser.py", b"x = 1\n", &none).documentation);
        // Markdown is prose: named, but not in the language bar unless made detectable.
        let md = classify("notes.md", b"# x\n", &none);
        assert_eq!(md.language, Some("Markdown"));
        assert!(!md.in_language_stats);
        let detectable = LinguistAttributes {
            detectable: Some(true),
            ..Default::default()
        };
        assert!(classify("notes.md", b"# x\n", &detectable).in_language_stats);
        assert_eq!(classify("a.bin", b"\0\x01\x02", &none).language, None);
        assert_eq!(classify("empty.py", b"", &none).language, None);
    }
}
