//! Data sources: they return plain Rust records and know nothing of Arrow or DataFusion.

pub mod fleet;
pub mod git;
