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

pub mod analyses;
pub mod engine;
pub mod error;
pub mod server;
pub mod source;
pub mod table;

pub use engine::{session, EngineConfig};
pub use error::{Error, Result};
