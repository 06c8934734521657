//! What a git table is: its name, schema, table-function arguments, the filters it uses to
//! prune work, and its row producer. Each table file defines one [`TableDef`]; the registry in
//! `table/mod.rs` lists them, and the one provider and execution plan serve them all.

use arrow::datatypes::SchemaRef;

use super::sink::BatchSink;
use super::spec::Partition;
use crate::error::Result;

/// Produces one repository's rows (runs on a blocking thread of its own).
pub(crate) type Producer = fn(&Partition<'_>, &mut BatchSink) -> Result<()>;

/// What the table function takes after the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Args {
    /// `repos('/a', '/b', ...)`: any number of repositories.
    Repositories,
    /// `refs('/repo')`.
    RepositoryOnly,
    /// `commits('/repo' [, 'revision range'])`.
    Revision(&'static str),
    /// `blame('/repo' [, 'path' [, 'revision' [, 'ignore-revs file']]])`.
    PathAndRevision,
    /// `file_history('/repo', 'path' [, 'revision'])`: the path is required.
    FileAndRevision,
}

/// Filters a table uses to do less work (DataFusion still applies the inexact ones); every
/// table prunes by `repo =` / `IN`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pushdown {
    /// `author_time` / `committer_time` bounds prune the commit walk.
    pub commit_times: bool,
    /// `path =`, `IN` (exact) and `LIKE 'dir/%'` (inexact) choose the files read.
    pub paths: bool,
    /// `NOT is_merge` / `is_merge` skip the other commits before they are read or diffed.
    pub merges: bool,
}

impl Pushdown {
    /// Only the repository filters.
    pub(crate) const NONE: Pushdown = Pushdown {
        commit_times: false,
        paths: false,
        merges: false,
    };
}

/// One git table.
#[derive(Debug)]
pub(crate) struct TableDef {
    /// The SQL name of the table and of its table function.
    pub name: &'static str,
    /// The full schema (built once by the table file).
    pub schema: fn() -> SchemaRef,
    pub args: Args,
    pub pushdown: Pushdown,
    /// A repository that cannot be read is a row (`repos`) rather than an error.
    pub lists_unusable_repos: bool,
    pub produce: Producer,
}

impl TableDef {
    /// How to call the table function, for error messages.
    pub(crate) fn usage(&self) -> String {
        let rest = match self.args {
            Args::Repositories => ", ...".to_string(),
            Args::RepositoryOnly => String::new(),
            Args::Revision(what) => format!(" [, '{what}']"),
            Args::PathAndRevision => " [, 'path' [, 'revision' [, 'ignore-revs file']]]".to_string(),
            Args::FileAndRevision => ", 'path' [, 'revision']".to_string(),
        };
        format!("{}('/path/or/url'{rest})", self.name)
    }
}
