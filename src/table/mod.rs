//! SQL tables over git, one file per table, all served by one provider and one execution plan.
//!
//! A table is its file (schema, row producer and a [`TableDef`] naming its table-function
//! arguments and the filters it prunes with) plus one line in [`TABLES`]. The rest is shared:
//! `settings` (what a session's scans share), `spec` (a scan as plain data), `provider`
//! (repositories, grants, filter pushdown), `exec` (one partition per repository, a producer
//! thread each), `sink` (projection, limit, metrics), `slots` (git work at once, one per core),
//! `columns` (schema builders). The GitHub tables and `clone_status` have providers of their own.

pub mod access;
pub mod blame;
pub mod clone_status;
pub mod columns;
pub mod commit_files;
pub mod commits;
pub mod def;
pub mod exec;
pub mod files;
pub mod functions;
pub mod github;
pub mod provider;
pub mod pushdown;
pub mod refs;
pub mod repos;
pub mod settings;
pub mod sink;
pub mod slots;
pub mod spec;

pub use def::TableDef;

/// Every git table.
pub static TABLES: [&TableDef; 6] = [
    &repos::TABLE,
    &commits::TABLE,
    &commit_files::TABLE,
    &refs::TABLE,
    &files::TABLE,
    &blame::TABLE,
];

/// The git table named `name`.
pub fn table_def(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}
