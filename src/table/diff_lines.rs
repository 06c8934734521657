//! `diff_lines`: every line each commit removed or added against its first parent (the `-` and
//! `+` lines of `git show --unified=0`), streamed, for the commits of the scan's revision and
//! the files its `path` filters keep. `WHERE line LIKE ...` answers what `git log -G` answers.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{int64, repeated, schema_of, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::{Error, Result};
use crate::source::git::commits::CommitNeeds;
use crate::source::git::diff::{Differ, FilePatch, PatchLine};
use crate::source::git::parallel::read_commits;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("sha"),
            utf8("path"),
            utf8("old_path"),
            int64("old_line_no"),
            int64("new_line_no"),
            utf8("kind"),
            utf8("line"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "diff_lines",
    schema,
    args: Args::Revision("revision range"),
    pushdown: Pushdown {
        commit_times: false,
        paths: true,
    },
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let name = location.name.as_str();
    let repo = location.open_gix()?;
    let mut differ = Differ::new(&repo, name)?;
    let counters = sink.counters.clone();
    let plan = spec.read_plan(location, CommitNeeds::default(), &counters);
    let mut rows = LineRows::default();
    let admit = |path: &str| spec.paths.admits(path);
    let tree_of = |id| -> Result<gix::ObjectId> {
        let commit = repo.find_commit(id).map_err(|e| Error::git(name, e))?;
        Ok(commit.tree_id().map_err(|e| Error::git(name, e))?.detach())
    };
    read_commits(&plan, &mut |record| {
        let parent_tree = record.parents.first().map(|p| tree_of(*p)).transpose()?;
        let sha = record.id.to_string();
        counters.diffs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        differ.patch_lines(parent_tree, tree_of(record.id)?, &admit, &mut |file, line| {
            rows.append(&sha, file, line);
            if rows.len >= sink.batch_rows() {
                return sink.send(rows.finish(name)?);
            }
            Ok(true)
        })
    })?;
    sink.send(rows.finish(name)?)?;
    Ok(())
}

#[derive(Default)]
struct LineRows {
    len: usize,
    sha: StringBuilder,
    path: StringBuilder,
    old_path: StringBuilder,
    old_line_no: Int64Builder,
    new_line_no: Int64Builder,
    kind: StringBuilder,
    line: StringBuilder,
}

impl LineRows {
    fn append(&mut self, sha: &str, file: &FilePatch, line: PatchLine<'_>) {
        self.len += 1;
        self.sha.append_value(sha);
        self.path.append_value(&file.path);
        self.old_path.append_option(file.old_path.as_deref());
        self.old_line_no.append_option(line.old_no.map(i64::from));
        self.new_line_no.append_option(line.new_no.map(i64::from));
        self.kind.append_value(if line.added { "+" } else { "-" });
        self.line.append_value(String::from_utf8_lossy(line.text));
    }

    fn finish(&mut self, repo: &str) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, std::mem::take(&mut self.len)),
            Arc::new(self.sha.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.old_path.finish()),
            Arc::new(self.old_line_no.finish()),
            Arc::new(self.new_line_no.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.line.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
