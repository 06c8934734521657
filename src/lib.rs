//! GitFleet: an embedded SQL analytics engine for fleets of git repositories.
//!
//! Data flows one way:
//!
//! ```text
//! source (git via gix/git2)  ->  table (DataFusion providers)  ->  engine (SessionContext)  ->  front ends
//! src/source/                    src/table/                        src/engine.rs                 src/cli/, src/server/
//! ```
//!
//! - [`source`] returns plain Rust records and knows nothing of Arrow.
//! - [`table`] turns them into Arrow batches, one file per SQL table, and owns pushdown.
//! - [`engine`] builds the session; front ends call only this.
//! - [`report`] is a front end shared by the CLI and Python: SQL through the engine, drawn as
//!   one HTML file.

#![warn(unreachable_pub)]

pub mod analyses;
pub mod engine;
pub mod error;
#[cfg(test)]
mod fuzz;
pub mod report;
pub mod server;
pub(crate) mod source;
pub(crate) mod table;

/// What the integration tests check against git directly (the commit-graph's Bloom filters
/// and the blamer that reads them); not an API.
#[doc(hidden)]
pub mod testing {
    pub use crate::source::git::blame::Blamer;
    pub use crate::source::git::blame_walk::{blame_paths, BlamedPaths, WalkStats};
    pub use crate::source::git::bloom::{ChangedPaths, PathKey};
}

pub use engine::{session, EngineConfig};
pub use error::{Error, Result};
