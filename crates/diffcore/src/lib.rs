//! The byte-level kernels of GitFleet's history scans: git's line counts and binary
//! detection, the added/removed line counts of a Myers line diff, and git's span hashing for
//! rename similarity (`diffcore-delta.c`).
//!
//! They live in a crate of their own so that the debug build (the README's first command,
//! the tests, the Python package in development) compiles them optimised while the engine
//! around them builds quickly unoptimised: the line diff's generic code is instantiated here,
//! not in the engine (docs/building.md). Nothing here knows about repositories or tables.

mod lines;
mod spans;

pub use lines::{count_changed_lines, count_lines, is_binary};
pub use spans::{count_changes, hash_spans, Span};
