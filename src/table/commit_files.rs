//! `commit_files`: one row per file a commit changed (against its first parent), with its
//! `--numstat` counts and, only when selected, its patch (`git log -p --full-index`'s text) and
//! GitHub linguist's classification of the file (read from the commit's tree, a deleted file
//! from its parent's).

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, int64, repeated, schema_of, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::{BatchSink, BATCH_BYTES};
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::commits::CommitNeeds;
use crate::source::git::linguist::{Classification, RevisionClassifier};
use crate::source::git::parallel::{delta_base_cache, read_commits};

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("sha"),
            utf8("path"),
            utf8("old_path"),
            utf8("change_type"),
            int64("additions"),
            int64("deletions"),
            boolean("is_binary"),
            utf8("patch"),
            utf8("language"),
            boolean("is_vendored"),
            boolean("is_generated"),
            boolean("is_documentation"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "commit_files",
    schema,
    args: Args::Revision("revision range"),
    pushdown: Pushdown::NONE,
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let needs = CommitNeeds {
        files: true,
        file_lines: ["additions", "deletions", "is_binary"]
            .iter()
            .any(|c| part.wants(c)),
        file_patches: part.wants("patch"),
        ..Default::default()
    };
    let mut rows = FileRows::default();
    let classify = ["language", "is_vendored", "is_generated", "is_documentation"]
        .iter()
        .any(|c| part.wants(c));
    let (repo, bases) = if classify {
        let mut repo = location.open_gix()?;
        let bases = delta_base_cache(&repo, needs);
        bases.attach(&mut repo);
        (Some(repo), Some(bases))
    } else {
        (None, None)
    };
    let mut classifier = repo
        .as_ref()
        .map(|repo| RevisionClassifier::new(repo, &location.name));
    let counters = sink.counters.clone();
    // The classifier reads the blobs the scan has just read: one object store and one
    // delta-base cache for both, so it finds them decoded.
    let shared = repo.as_ref().map(|r| r.clone().into_sync());
    let plan = spec
        .read_plan(location, needs, &counters)
        .through(shared.as_ref().zip(bases.as_ref()));
    read_commits(&plan, &mut |commit| {
        let sha = commit.id.to_string();
        for f in &commit.files {
            // A batch is cut before a patch that would take it past BATCH_BYTES, not after:
            // its text buffer then never doubles past that (or past one patch's own size).
            let patch_len = f.patch.as_ref().map_or(0, String::len);
            if rows.len > 0
                && rows.patch.values_slice().len() + patch_len > BATCH_BYTES
                && !sink.send(rows.finish(&location.name)?)?
            {
                return Ok(false);
            }
            rows.len += 1;
            rows.sha.append_value(&sha);
            rows.path.append_value(&f.path);
            rows.old_path.append_option(f.old_path.as_deref());
            rows.change_type.append_value(f.change_type.to_string());
            rows.additions.append_value(f.additions);
            rows.deletions.append_value(f.deletions);
            rows.is_binary.append_value(f.is_binary);
            rows.patch.append_option(f.patch.as_deref());
            let class = match classifier.as_mut() {
                // A deleted file is what it was in the first parent.
                Some(classifier) => match (f.change_type == 'D', commit.trees) {
                    (true, Some((_, Some(parent_tree)))) => classifier.classify_in(parent_tree, &f.path)?,
                    (false, Some((tree, _))) => classifier.classify_in(tree, &f.path)?,
                    _ => None,
                },
                None => None,
            };
            rows.classification(class.as_ref());
        }
        if rows.len >= sink.batch_rows() {
            return sink.send(rows.finish(&location.name)?);
        }
        Ok(true)
    })?;
    sink.send(rows.finish(&location.name)?)?;
    Ok(())
}

#[derive(Default)]
struct FileRows {
    len: usize,
    sha: StringBuilder,
    path: StringBuilder,
    old_path: StringBuilder,
    change_type: StringBuilder,
    additions: Int64Builder,
    deletions: Int64Builder,
    is_binary: BooleanBuilder,
    patch: StringBuilder,
    language: StringBuilder,
    is_vendored: BooleanBuilder,
    is_generated: BooleanBuilder,
    is_documentation: BooleanBuilder,
}

impl FileRows {
    fn classification(&mut self, class: Option<&Classification>) {
        self.language.append_option(class.and_then(|c| c.language));
        self.is_vendored.append_option(class.map(|c| c.vendored));
        self.is_generated.append_option(class.map(|c| c.generated));
        self.is_documentation
            .append_option(class.map(|c| c.documentation));
    }

    fn finish(&mut self, repo: &str) -> Result<RecordBatch> {
        let len = std::mem::take(&mut self.len);
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, len),
            Arc::new(self.sha.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.old_path.finish()),
            Arc::new(self.change_type.finish()),
            Arc::new(self.additions.finish()),
            Arc::new(self.deletions.finish()),
            Arc::new(self.is_binary.finish()),
            Arc::new(self.patch.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.is_vendored.finish()),
            Arc::new(self.is_generated.finish()),
            Arc::new(self.is_documentation.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
