//! The byte-level kernels of GitFleet's history scans: git's line counts and binary
//! detection, git's own line diff (`xdiff`, a port of its Myers with its heuristics) for the
//! numstat counts and for blame, git's span hashing for rename similarity
//! (`diffcore-delta.c`), and git's fuzzy line matching for blame's ignored commits.
//!
//! They live in a crate of their own so that the debug build (the README's first command,
//! the tests, the Python package in development) compiles them optimised while the engine
//! around them builds quickly unoptimised (docs/building.md). Nothing here knows about repositories or tables.

mod ignore;
mod lines;
mod spans;
mod xdiff;

pub use ignore::guess_line_blames;
pub use lines::{count_changed_lines, count_lines, is_binary};
pub use spans::{count_changes, hash_spans, Span};
pub use xdiff::{xdiff_counts, xdiff_hunks, Hunk, XdiffOptions};
