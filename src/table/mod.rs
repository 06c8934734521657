//! SQL tables over git: one file per table, all served by the generic scan in [`scan`].

pub mod access;
pub mod blame;
pub mod clone_status;
pub mod commit_files;
pub mod commits;
pub mod files;
pub mod functions;
pub mod github;
pub mod pushdown;
pub mod refs;
pub mod repos;
pub mod scan;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use scan::{BatchSink, RepoTarget, ScanSpec};

/// Every git table, by SQL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableKind {
    Repos,
    Commits,
    CommitFiles,
    Refs,
    Files,
    Blame,
}

impl TableKind {
    pub const ALL: [TableKind; 6] = [
        TableKind::Repos,
        TableKind::Commits,
        TableKind::CommitFiles,
        TableKind::Refs,
        TableKind::Files,
        TableKind::Blame,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TableKind::Repos => "repos",
            TableKind::Commits => "commits",
            TableKind::CommitFiles => "commit_files",
            TableKind::Refs => "refs",
            TableKind::Files => "files",
            TableKind::Blame => "blame",
        }
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            TableKind::Repos => repos::schema(),
            TableKind::Commits => commits::schema(),
            TableKind::CommitFiles => commit_files::schema(),
            TableKind::Refs => refs::schema(),
            TableKind::Files => files::schema(),
            TableKind::Blame => blame::schema(),
        }
    }

    /// Tables whose scans can be pruned by author_time / committer_time filters.
    pub fn has_commit_times(self) -> bool {
        self == TableKind::Commits
    }

    /// Produces one repository's rows (runs on a blocking thread).
    /// `clone_error` says why a remote repository could not be cloned or refreshed.
    fn produce(
        self,
        spec: &ScanSpec,
        target: &RepoTarget,
        clone_error: Option<&str>,
        sink: &mut BatchSink,
    ) -> Result<()> {
        if self == TableKind::Repos {
            return repos::produce(target, clone_error, sink);
        }
        let location = target
            .location
            .as_ref()
            .ok_or_else(|| crate::error::Error::InvalidArgument(target.error.clone().unwrap_or_default()))?;
        match self {
            TableKind::Repos => unreachable!("handled above"),
            TableKind::Commits => commits::produce(spec, location, sink),
            TableKind::CommitFiles => commit_files::produce(spec, location, sink),
            TableKind::Refs => refs::produce(location, sink),
            TableKind::Files => files::produce(spec, location, sink),
            TableKind::Blame => blame::produce(spec, location, sink),
        }
    }
}

// Column helpers: every column is nullable so that columns a scan does not compute can be
// left null before projection removes them.
fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}
fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}
fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}
fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}
fn timestamp(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}
fn utf8_list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    )
}
fn schema_of(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

/// The `repo` column of a batch: the same name on every row.
fn repeated(value: &str, len: usize) -> arrow::array::ArrayRef {
    Arc::new(arrow::array::StringArray::from_iter_values(std::iter::repeat_n(
        value, len,
    )))
}
