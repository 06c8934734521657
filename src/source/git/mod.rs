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

/// The commit HEAD points at; None for an unborn HEAD (an empty repository). A HEAD whose
/// commit cannot be read (a clone with its pack gone) is an error, never an empty history.
pub fn head_commit(repo: &gix::Repository, name: &str) -> crate::error::Result<Option<gix::ObjectId>> {
    let head = repo.head().map_err(|e| crate::error::Error::git(name, e))?;
    if head.is_unborn() {
        return Ok(None);
    }
    let id = head
        .into_peeled_id()
        .map_err(|e| crate::error::Error::git(name, format!("HEAD cannot be read: {e}")))?
        .detach();
    // Peeling a ref that names a commit directly reads nothing: check the commit is there.
    repo.find_commit(id)
        .map_err(|e| crate::error::Error::git(name, format!("HEAD's commit {id} cannot be read: {e}")))?;
    Ok(Some(id))
}
