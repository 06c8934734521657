//! `repos`: one row per repository of the scan, with its state (usable or why not).

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, schema_of, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::status;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("path"),
            utf8("url"),
            utf8("origin_url"),
            utf8("head_ref"),
            utf8("head_sha"),
            boolean("is_bare"),
            utf8("status"),
            utf8("error"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "repos",
    schema,
    args: Args::Repositories,
    pushdown: Pushdown::NONE,
    lists_unusable_repos: true,
    produce,
};

/// A repository that does not resolve, or whose clone failed, is a row saying why.
fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let (target, clone_error) = (part.target, part.clone_error);
    let state = target
        .location
        .as_ref()
        .map(|l| status::read(l).map_err(|e| e.to_string()));
    let (state, error) = match (state, &target.error) {
        (Some(Ok(s)), _) => (Some(s), clone_error.map(String::from)),
        (Some(Err(e)), _) => (None, Some(clone_error.map_or(e, String::from))),
        (None, e) => (None, e.clone()),
    };
    let failed = state.is_none();
    let one = |v: Option<&str>| -> ArrayRef { Arc::new(StringArray::from(vec![v])) };
    let path = target.location.as_ref().map(|l| l.path.display().to_string());
    let columns: Vec<ArrayRef> = vec![
        one(Some(target.name())),
        one(path.as_deref()),
        one(target.location.as_ref().and_then(|l| l.url.as_deref())),
        one(state.as_ref().and_then(|s| s.origin_url.as_deref())),
        one(state.as_ref().and_then(|s| s.head_ref.as_deref())),
        one(state.as_ref().and_then(|s| s.head_sha.as_deref())),
        Arc::new(BooleanArray::from(vec![state.as_ref().map(|s| s.is_bare)])),
        one(Some(if failed { "failed" } else { "ready" })),
        one(error.as_deref()),
    ];
    sink.send(RecordBatch::try_new(schema(), columns)?)?;
    Ok(())
}
