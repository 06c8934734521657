//! `refs`: branches, remote-tracking branches, tags and other refs, as `git for-each-ref`.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;

use super::columns::{boolean, repeated, schema_of, utf8};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::refs;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            utf8("name"),
            utf8("shorthand"),
            utf8("kind"),
            utf8("target"),
            utf8("peeled"),
            boolean("is_head"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "refs",
    schema,
    args: Args::RepositoryOnly,
    pushdown: Pushdown::NONE,
    lists_unusable_repos: false,
    produce,
};

fn produce(part: &Partition<'_>, sink: &mut BatchSink) -> Result<()> {
    let location = part.location()?;
    // A repository has few refs compared with commits: one batch is enough.
    let refs = refs::list(location)?;
    let text = |f: &dyn Fn(&refs::RefRecord) -> Option<&str>| -> ArrayRef {
        Arc::new(refs.iter().map(f).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        repeated(&location.name, refs.len()),
        text(&|r| Some(&r.name)),
        text(&|r| Some(&r.shorthand)),
        text(&|r| Some(r.kind)),
        text(&|r| r.target.as_deref()),
        text(&|r| r.peeled.as_deref()),
        Arc::new(refs.iter().map(|r| Some(r.is_head)).collect::<BooleanArray>()),
    ];
    sink.send(RecordBatch::try_new(schema(), columns)?)?;
    Ok(())
}
