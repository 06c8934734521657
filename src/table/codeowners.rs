//! `codeowners`: the rules of a repository's CODEOWNERS file at HEAD (or a revision given to
//! `codeowners('/repo', 'rev')`), as GitHub finds and reads it (`source/git/codeowners.rs`).
//! `files.owners` applies them to every file.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::SchemaRef;

use super::columns::{int64, repeated, schema_of, utf8, utf8_list};
use super::def::{Args, Pushdown, TableDef};
use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;
use crate::source::git::codeowners::CodeOwners;
use crate::source::git::tree;

pub(crate) fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        schema_of(vec![
            utf8("repo"),
            int64("rule_order"),
            utf8("pattern"),
            utf8_list("owners"),
            utf8("source_file"),
        ])
    });
    SCHEMA.clone()
}

pub(crate) static TABLE: TableDef = TableDef {
    name: "codeowners",
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
    let Some(file) = CodeOwners::read(&repo, name, root)? else {
        return Ok(());
    };
    let mut owners = ListBuilder::new(StringBuilder::new());
    for rule in &file.rules {
        for owner in &rule.owners {
            owners.values().append_value(owner);
        }
        owners.append(true);
    }
    let n = file.rules.len();
    let columns: Vec<ArrayRef> = vec![
        repeated(name, n),
        Arc::new(Int64Array::from_iter_values(
            file.rules.iter().map(|r| r.order as i64),
        )),
        Arc::new(StringArray::from_iter_values(
            file.rules.iter().map(|r| r.pattern.as_str()),
        )),
        Arc::new(owners.finish()),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            file.source.as_str(),
            n,
        ))),
    ];
    sink.send(RecordBatch::try_new(schema(), columns)?)?;
    Ok(())
}
