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
use crate::source::git::parallel::map_walk;
use crate::source::git::shallow_boundary;

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
        merges: false,
    },
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let name = location.name.as_str();
    let counters = sink.counters.clone();
    let plan = spec.read_plan(location, CommitNeeds::default(), &counters);
    let batch_rows = sink.batch_rows();
    let admit = |path: &str| spec.paths.admits(path);
    // Each worker diffs its chunks of the walk into finished batches; they reach the sink in
    // walk order. Diffs dominate, and git's own `log -p` runs on one core.
    let worker = |repo: &gix::Repository,
                  next: &mut dyn FnMut() -> Option<(usize, Vec<gix::ObjectId>)>,
                  done: &mut dyn FnMut(usize, Result<Vec<RecordBatch>>) -> bool| {
        let setup = Differ::new(repo, name).and_then(|d| Ok((d, shallow_boundary(repo, name)?)));
        let (mut differ, shallow) = match setup {
            Ok(s) => s,
            Err(e) => {
                if let Some((index, _)) = next() {
                    done(index, Err(e));
                }
                return;
            }
        };
        while let Some((index, chunk)) = next() {
            let mut rows = LineRows::default();
            let mut batches = Vec::new();
            let mut diff = |id: gix::ObjectId| -> Result<()> {
                let commit = repo.find_commit(id).map_err(|e| Error::git(name, e))?;
                let tree = commit.tree_id().map_err(|e| Error::git(name, e))?.detach();
                // A shallow clone's boundary commits read as roots, as git reads them.
                let parent = match shallow.binary_search(&id) {
                    Ok(_) => None,
                    Err(_) => commit.parent_ids().next().map(|p| p.detach()),
                };
                let parent_tree = parent
                    .map(|p| -> Result<gix::ObjectId> {
                        let parent = repo.find_commit(p).map_err(|e| Error::git(name, e))?;
                        Ok(parent.tree_id().map_err(|e| Error::git(name, e))?.detach())
                    })
                    .transpose()?;
                counters.diffs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let sha = id.to_string();
                differ.patch_lines(parent_tree, tree, &admit, &mut |file, line| {
                    rows.append(&sha, file, line);
                    if rows.len >= batch_rows {
                        batches.push(rows.finish(name)?);
                    }
                    Ok(true)
                })?;
                Ok(())
            };
            let result = chunk.into_iter().try_for_each(&mut diff).and_then(|_| {
                if rows.len > 0 {
                    batches.push(rows.finish(name)?);
                }
                Ok(batches)
            });
            if !done(index, result) {
                return;
            }
        }
    };
    map_walk(&plan, &worker, &mut |batches| {
        for batch in batches {
            if !sink.send(batch)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
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
