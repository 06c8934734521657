//! SQL tables over git, one file per table, all served by one provider and one execution plan.
//!
//! A table is its file (schema, row producer and a [`TableDef`] naming its table-function
//! arguments and the filters it prunes with) plus one line in [`TABLES`]. The rest is shared:
//! `settings` (what a session's scans share), `spec` (a scan as plain data), `provider`
//! (repositories, grants, filter pushdown), `exec` (one partition per repository, a producer
//! thread each), `sink` (projection, limit, metrics), `slots` (git work at once, one per core),
//! `columns` (schema builders), `leaf` (what every leaf plan shares). The GitHub tables and `clone_status` have providers of their own.

pub(crate) mod access;
pub(crate) mod blame;
pub(crate) mod clone_status;
pub(crate) mod codeowners;
pub(crate) mod columns;
pub(crate) mod commit_files;
pub(crate) mod commit_trailers;
pub(crate) mod commits;
pub(crate) mod def;
pub(crate) mod diff_lines;
pub(crate) mod distribute;
pub(crate) mod exec;
pub(crate) mod file_history;
pub(crate) mod files;
pub(crate) mod functions;
pub(crate) mod github;
pub(crate) mod is_bot;
mod leaf;
pub(crate) mod progress;
pub(crate) mod provider;
pub(crate) mod pushdown;
pub(crate) mod refs;
pub(crate) mod repos;
pub(crate) mod settings;
pub(crate) mod sink;
pub(crate) mod slots;
pub(crate) mod spec;

pub(crate) use def::TableDef;

/// Every git table.
pub(crate) static TABLES: [&TableDef; 10] = [
    &repos::TABLE,
    &commits::TABLE,
    &commit_files::TABLE,
    &commit_trailers::TABLE,
    &diff_lines::TABLE,
    &refs::TABLE,
    &files::TABLE,
    &codeowners::TABLE,
    &blame::TABLE,
    &file_history::TABLE,
];

/// The git table named `name`.
pub(crate) fn table_def(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}
