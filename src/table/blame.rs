//! `blame`: one row per line of every text file at HEAD (or a revision), with the commit that
//! last changed it — the same answer as `git blame --porcelain`. `path` filters (`=`, `IN`,
//! `LIKE 'dir/%'`) limit which files are blamed; the line text is kept only when selected.

use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{int64, repeated, schema_of, timestamp, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::blame::{self, BlamedFile, CommitInfo, CommitInfos};
use crate::source::git::ignore_revs;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("path"),
            int64("line_no"),
            utf8("sha"),
            utf8("orig_path"),
            int64("orig_line_no"),
            utf8("author_name"),
            utf8("author_email"),
            timestamp("author_time"),
            utf8("committer_name"),
            utf8("committer_email"),
            timestamp("committer_time"),
            utf8("summary"),
            utf8("line"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "blame",
    schema,
    args: Args::PathAndRevision,
    pushdown: Pushdown {
        commit_times: false,
        paths: true,
        merges: false,
    },
    lists_unusable_repos: false,
    produce,
};

/// The columns that come from the blamed commits' objects.
const INFO_COLUMNS: [&str; 7] = [
    "author_name",
    "author_email",
    "author_time",
    "committer_name",
    "committer_email",
    "committer_time",
    "summary",
];

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let repo = location.open_gix()?;
    let name = location.name.as_str();
    let Some(commit) = blame::resolve_commit(&repo, name, spec.rev.as_deref())? else {
        return Ok(()); // empty repository
    };
    let files = blame::files_to_blame(&repo, name, commit, &spec.paths)?;
    let ignore_revs = ignore_revs::resolve(&repo, name, spec.ignore_revs.as_deref(), commit)?;
    let counters = sink.counters.clone();
    counters.total.store(files.len() as u64, Ordering::Relaxed);
    let workers = super::spec::workers_per_scan();
    let want_line = part.wants("line");
    // Reading the commits is a good part of a single-file blame; skipped when no column needs them.
    let want_info = INFO_COLUMNS.iter().any(|c| part.wants(c));
    let unread = CommitInfo::default();
    let mut infos = CommitInfos::new(&repo, name);
    let mut rows = Rows::default();
    blame::blame_files(
        location,
        &repo,
        commit,
        files,
        &ignore_revs,
        workers,
        &mut |file: BlamedFile| {
            counters.files.fetch_add(1, Ordering::Relaxed);
            for line in &file.lines {
                let info = if want_info {
                    infos.get(line.commit)?
                } else {
                    &unread
                };
                rows.path.append_value(&file.path);
                rows.line_no.append_value(i64::from(line.line_no));
                rows.sha.append_value(line.commit.to_string());
                rows.orig_path
                    .append_value(line.orig_path.as_deref().unwrap_or(&file.path));
                rows.orig_line_no.append_value(i64::from(line.orig_line_no));
                rows.author_name.append_value(&info.author.name);
                rows.author_email.append_value(&info.author.email);
                rows.author_time.append_value(info.author.time * 1_000_000);
                rows.committer_name.append_value(&info.committer.name);
                rows.committer_email.append_value(&info.committer.email);
                rows.committer_time.append_value(info.committer.time * 1_000_000);
                rows.summary.append_value(&info.summary);
                if want_line {
                    rows.line.append_value(String::from_utf8_lossy(&line.content));
                } else {
                    rows.line.append_null();
                }
                rows.len += 1;
            }
            if rows.len >= sink.batch_rows() {
                return sink.send(rows.finish(name, &schema())?);
            }
            Ok(true)
        },
    )?;
    if rows.len > 0 {
        sink.send(rows.finish(name, &schema())?)?;
    }
    Ok(())
}

#[derive(Default)]
struct Rows {
    len: usize,
    path: StringBuilder,
    line_no: Int64Builder,
    sha: StringBuilder,
    orig_path: StringBuilder,
    orig_line_no: Int64Builder,
    author_name: StringBuilder,
    author_email: StringBuilder,
    author_time: TimestampMicrosecondBuilder,
    committer_name: StringBuilder,
    committer_email: StringBuilder,
    committer_time: TimestampMicrosecondBuilder,
    summary: StringBuilder,
    line: StringBuilder,
}

impl Rows {
    fn finish(&mut self, repo: &str, schema: &SchemaRef) -> Result<RecordBatch> {
        let len = std::mem::take(&mut self.len);
        let utc = || Some(Arc::<str>::from("UTC"));
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, len),
            Arc::new(self.path.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.sha.finish()),
            Arc::new(self.orig_path.finish()),
            Arc::new(self.orig_line_no.finish()),
            Arc::new(self.author_name.finish()),
            Arc::new(self.author_email.finish()),
            Arc::new(self.author_time.finish().with_timezone_opt(utc())),
            Arc::new(self.committer_name.finish()),
            Arc::new(self.committer_email.finish()),
            Arc::new(self.committer_time.finish().with_timezone_opt(utc())),
            Arc::new(self.summary.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}
