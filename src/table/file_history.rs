//! `file_history('/repo', 'path' [, 'revision'])`: the commits that changed one file, following
//! its renames, in the order and with the answer of `git log --follow -- path`
//! (`source/git/follow.rs` says how git decides). `path` and `old_path` are the file's names in
//! each commit; the line counts are `--numstat`'s for that file.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, int64, repeated, schema_of, timestamp, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::{Error, Result};
use crate::source::git::blame::resolve_commit;
use crate::source::git::commits::CommitRecord;
use crate::source::git::diff::FileChange;
use crate::source::git::follow::follow;
use crate::source::git::odb::DeltaBaseCache;

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
            utf8("author_name"),
            utf8("author_email"),
            timestamp("author_time"),
            timestamp("committer_time"),
            utf8("summary"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "file_history",
    schema,
    args: Args::FileAndRevision,
    // `path` changes along the history: a filter on it must not change which file is followed.
    pushdown: Pushdown::NONE,
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let name = location.name.as_str();
    let path = spec
        .paths
        .required
        .as_deref()
        .ok_or_else(|| Error::InvalidArgument(format!("file_history needs a file: {}", TABLE.usage())))?;
    let mut repo = location.open_gix()?;
    // Every commit's trees are read: keep delta bases across commits, as the history scans do.
    DeltaBaseCache::for_history(&repo).attach(&mut repo);
    let Some(start) = resolve_commit(&repo, name, spec.rev.as_deref())? else {
        return Ok(()); // empty repository
    };
    let lines = ["additions", "deletions", "is_binary"]
        .iter()
        .any(|c| part.wants(c));
    let mut rows = Rows::default();
    let counters = sink.counters.clone();
    follow(
        &repo,
        name,
        start,
        path,
        lines,
        &counters,
        &mut |commit, change| {
            rows.append(commit, &change);
            if rows.len >= sink.batch_rows() {
                return sink.send(rows.finish(name)?);
            }
            Ok(true)
        },
    )?;
    if rows.len > 0 {
        sink.send(rows.finish(name)?)?;
    }
    Ok(())
}

#[derive(Default)]
struct Rows {
    len: usize,
    sha: StringBuilder,
    path: StringBuilder,
    old_path: StringBuilder,
    change_type: StringBuilder,
    additions: Int64Builder,
    deletions: Int64Builder,
    is_binary: BooleanBuilder,
    author_name: StringBuilder,
    author_email: StringBuilder,
    author_time: TimestampMicrosecondBuilder,
    committer_time: TimestampMicrosecondBuilder,
    summary: StringBuilder,
}

impl Rows {
    fn append(&mut self, commit: &CommitRecord, change: &FileChange) {
        self.len += 1;
        self.sha.append_value(commit.id.to_string());
        self.path.append_value(&change.path);
        self.old_path.append_option(change.old_path.as_deref());
        self.change_type.append_value(change.change_type.to_string());
        self.additions.append_value(change.additions);
        self.deletions.append_value(change.deletions);
        self.is_binary.append_value(change.is_binary);
        self.author_name.append_value(&commit.author.name);
        self.author_email.append_value(&commit.author.email);
        self.author_time.append_value(commit.author.time * 1_000_000);
        self.committer_time
            .append_value(commit.committer.time * 1_000_000);
        self.summary.append_value(&commit.summary);
    }

    fn finish(&mut self, repo: &str) -> Result<RecordBatch> {
        let len = std::mem::take(&mut self.len);
        let utc = || Some(Arc::<str>::from("UTC"));
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, len),
            Arc::new(self.sha.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.old_path.finish()),
            Arc::new(self.change_type.finish()),
            Arc::new(self.additions.finish()),
            Arc::new(self.deletions.finish()),
            Arc::new(self.is_binary.finish()),
            Arc::new(self.author_name.finish()),
            Arc::new(self.author_email.finish()),
            Arc::new(self.author_time.finish().with_timezone_opt(utc())),
            Arc::new(self.committer_time.finish().with_timezone_opt(utc())),
            Arc::new(self.summary.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
