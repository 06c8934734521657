//! Reading git repositories: locating them, walking history, diffing, refs and trees.
//!
//! git2 (libgit2) serves what it does well enough: repository state and refs. gix serves the
//! hot paths (history walk, tree diffs, blob reads, line diffs), where libgit2 is several times
//! slower than git (`benches/README.md`).

pub mod blame;
pub mod bloom;
pub mod commits;
pub mod diff;
pub mod location;
pub mod odb;
pub mod parallel;
pub mod refs;
pub mod renames;
pub mod stats_cache;
pub mod status;
pub mod text;
pub mod tree;
pub mod tree_diff;

pub use location::RepoLocation;
