//! `commit_trailers`: one row per trailer of each commit's message (`Signed-off-by`,
//! `Co-authored-by`, `Reviewed-by`, `Fixes`, ...), as `git log --format='%(trailers:only,unfold)'`
//! finds them (`source/git/trailers.rs`).

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{int64, repeated, schema_of, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::commits::CommitNeeds;
use crate::source::git::parallel::read_commits;
use crate::source::git::trailers;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("sha"),
            utf8("key"),
            utf8("value"),
            int64("position"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "commit_trailers",
    schema,
    args: Args::Revision("revision range"),
    pushdown: Pushdown::NONE,
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (spec, location) = (part.spec, part.location()?);
    let needs = CommitNeeds {
        message: true,
        ..Default::default()
    };
    let counters = sink.counters.clone();
    let plan = spec.read_plan(location, needs, &counters);
    let mut rows = TrailerRows::default();
    read_commits(&plan, &mut |record| {
        let id = record.id.to_string();
        let found = trailers::parse(record.message.as_bytes(), |b| {
            String::from_utf8_lossy(b).into_owned()
        });
        for (i, trailer) in found.into_iter().enumerate() {
            rows.append(&id, &trailer, i as i64 + 1);
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
struct TrailerRows {
    len: usize,
    sha: StringBuilder,
    key: StringBuilder,
    value: StringBuilder,
    position: Int64Builder,
}

impl TrailerRows {
    fn append(&mut self, sha: &str, trailer: &trailers::Trailer, position: i64) {
        self.len += 1;
        self.sha.append_value(sha);
        self.key.append_value(&trailer.key);
        self.value.append_value(&trailer.value);
        self.position.append_value(position);
    }

    fn finish(&mut self, repo: &str) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            repeated(repo, std::mem::take(&mut self.len)),
            Arc::new(self.sha.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.position.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
