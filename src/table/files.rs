//! `files`: the tree at HEAD (or a revision given to `files('/repo', 'rev')`), like
//! `git ls-tree -r -l`. Blob contents are read only when a column that needs them is selected
//! (`content`, `line_count`, `is_binary`, the linguist classification, tokei's line counts);
//! `owners` applies the tree's CODEOWNERS file when selected.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, int64, repeated, schema_of, utf8, utf8_list};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::{Error, Result};
use crate::source::git::attributes::TreeAttributes;
use crate::source::git::code_lines;
use crate::source::git::codeowners::CodeOwners;
use crate::source::git::linguist::{self, detect};
use crate::source::git::text::{count_lines, is_binary};
use crate::source::git::tree;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("path"),
            utf8("mode"),
            int64("size"),
            utf8("blob_sha"),
            boolean("is_binary"),
            int64("line_count"),
            utf8("content"),
            utf8_list("owners"),
            int64("owners_rule"),
            utf8("language"),
            utf8("language_group"),
            utf8("language_type"),
            boolean("is_vendored"),
            boolean("is_generated"),
            boolean("is_documentation"),
            boolean("in_language_stats"),
            int64("code_lines"),
            int64("comment_lines"),
            int64("blank_lines"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "files",
    schema,
    args: Args::Revision("revision"),
    pushdown: Pushdown::NONE,
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let repo = location.open_gix()?;
    let name = location.name.as_str();
    let Some(root) = tree::resolve_tree(&repo, name, spec.rev.as_deref())? else {
        return Ok(()); // empty repository
    };
    let want_class = CLASS_COLUMNS.iter().any(|c| part.wants(c));
    let want_counts = COUNT_COLUMNS.iter().any(|c| part.wants(c));
    let read_blob = want_class
        || want_counts
        || ["content", "line_count", "is_binary"]
            .iter()
            .any(|c| part.wants(c));
    let mut attributes = TreeAttributes::new(&repo, name);
    attributes.set_tree(root);
    let want_content = part.wants("content");
    let want_size = part.wants("size");
    let codeowners = if part.wants("owners") || part.wants("owners_rule") {
        CodeOwners::read(&repo, name, root)?
    } else {
        None
    };
    let mut rows = TreeRows::default();
    tree::walk_files(&repo, name, root, &mut |file| {
        rows.len += 1;
        match codeowners.as_ref().and_then(|c| c.rule_for(&file.path)) {
            Some(rule) => {
                for owner in &rule.owners {
                    rows.owners.values().append_value(owner);
                }
                rows.owners.append(true);
                rows.owners_rule.append_value(rule.order as i64);
            }
            None => {
                rows.owners.append(false);
                rows.owners_rule.append_null();
            }
        }
        rows.path.append_value(&file.path);
        rows.mode.append_value(&file.mode);
        rows.blob_sha.append_value(file.id.to_string());
        if file.is_submodule {
            rows.size.append_null();
            rows.is_binary.append_null();
            rows.line_count.append_null();
            rows.content.append_null();
            rows.classification(None);
            rows.counts(None);
        } else if read_blob {
            let blob = repo.find_blob(file.id).map_err(|e| Error::git(name, e))?;
            let class = if want_class || want_counts {
                let attrs = attributes.of(&file.path)?;
                let mut class = linguist::classify(&file.path, &blob.data, &attrs);
                // GitHub's language bar skips symbolic links, whatever their target's name.
                class.in_language_stats &= file.mode != "120000";
                Some(class)
            } else {
                None
            };
            let binary = is_binary(&blob.data);
            // tokei counts regular files only, not a symbolic link's target path.
            let counts = match (&class, want_counts && !binary && file.mode != "120000") {
                (Some(class), true) => code_lines::count(&file.path, class.language, &blob.data),
                _ => None,
            };
            rows.classification(class.as_ref());
            rows.counts(counts);
            rows.size.append_value(blob.data.len() as i64);
            rows.is_binary.append_value(binary);
            if binary {
                rows.line_count.append_null();
                rows.content.append_null();
            } else {
                rows.line_count.append_value(count_lines(&blob.data));
                if want_content {
                    rows.content.append_value(String::from_utf8_lossy(&blob.data));
                } else {
                    rows.content.append_null();
                }
            }
        } else {
            if want_size {
                let header = repo.find_header(file.id).map_err(|e| Error::git(name, e))?;
                rows.size.append_value(header.size() as i64);
            } else {
                rows.size.append_null();
            }
            rows.is_binary.append_null();
            rows.line_count.append_null();
            rows.content.append_null();
            rows.classification(None);
            rows.counts(None);
        }
        if rows.len >= sink.batch_rows() {
            return sink.send(rows.finish(name)?);
        }
        Ok(true)
    })?;
    sink.send(rows.finish(name)?)?;
    Ok(())
}

#[derive(Default)]
struct TreeRows {
    len: usize,
    path: StringBuilder,
    mode: StringBuilder,
    size: Int64Builder,
    blob_sha: StringBuilder,
    is_binary: BooleanBuilder,
    line_count: Int64Builder,
    content: StringBuilder,
    owners: ListBuilder<StringBuilder>,
    owners_rule: Int64Builder,
    language: StringBuilder,
    language_group: StringBuilder,
    language_type: StringBuilder,
    is_vendored: BooleanBuilder,
    is_generated: BooleanBuilder,
    is_documentation: BooleanBuilder,
    in_language_stats: BooleanBuilder,
    code_lines: Int64Builder,
    comment_lines: Int64Builder,
    blank_lines: Int64Builder,
}

/// Columns answered by linguist's classification, and by tokei's line counts.
const CLASS_COLUMNS: [&str; 7] = [
    "language",
    "language_group",
    "language_type",
    "is_vendored",
    "is_generated",
    "is_documentation",
    "in_language_stats",
];
const COUNT_COLUMNS: [&str; 3] = ["code_lines", "comment_lines", "blank_lines"];

impl TreeRows {
    fn classification(&mut self, class: Option<&linguist::Classification>) {
        let language = class.and_then(|c| c.language);
        self.language.append_option(language);
        self.language_group
            .append_option(language.and_then(detect::group_of));
        self.language_type
            .append_option(language.and_then(detect::type_of));
        self.is_vendored.append_option(class.map(|c| c.vendored));
        self.is_generated.append_option(class.map(|c| c.generated));
        self.is_documentation
            .append_option(class.map(|c| c.documentation));
        self.in_language_stats
            .append_option(class.map(|c| c.in_language_stats));
    }

    fn counts(&mut self, counts: Option<code_lines::LineCounts>) {
        self.code_lines.append_option(counts.map(|c| c.code));
        self.comment_lines.append_option(counts.map(|c| c.comments));
        self.blank_lines.append_option(counts.map(|c| c.blanks));
    }

    fn finish(&mut self, repo: &str) -> Result<RecordBatch> {
        let len = std::mem::take(&mut self.len);
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, len),
            Arc::new(self.path.finish()),
            Arc::new(self.mode.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.blob_sha.finish()),
            Arc::new(self.is_binary.finish()),
            Arc::new(self.line_count.finish()),
            Arc::new(self.content.finish()),
            Arc::new(self.owners.finish()),
            Arc::new(self.owners_rule.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.language_group.finish()),
            Arc::new(self.language_type.finish()),
            Arc::new(self.is_vendored.finish()),
            Arc::new(self.is_generated.finish()),
            Arc::new(self.is_documentation.finish()),
            Arc::new(self.in_language_stats.finish()),
            Arc::new(self.code_lines.finish()),
            Arc::new(self.comment_lines.finish()),
            Arc::new(self.blank_lines.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
