//! Reading git repositories: locating them, walking history, diffing, refs and trees.
//!
//! git2 (libgit2) serves what it does well enough: repository state and refs. gix serves the
//! hot paths (history walk, tree diffs, blob reads, line diffs), where libgit2 is several times
//! slower than git (`benches/README.md`).

pub(crate) mod attributes;
pub(crate) mod blame;
pub(crate) mod blame_renames;
pub(crate) mod blame_walk;
pub(crate) mod bloom;
pub(crate) mod bots;
pub(crate) mod code_lines;
pub(crate) mod codeowners;
pub(crate) mod commits;
pub(crate) mod diff;
pub(crate) mod follow;
pub(crate) mod graph;
pub(crate) mod ignore_revs;
pub(crate) mod linguist;
pub(crate) mod location;
pub(crate) mod odb;
pub(crate) mod parallel;
pub(crate) mod patch;
pub(crate) mod refs;
pub(crate) mod renames;
pub(crate) mod stats_cache;
pub(crate) mod status;
pub(crate) mod text;
pub(crate) mod trailers;
pub(crate) mod tree;
pub(crate) mod tree_diff;

pub(crate) use location::RepoLocation;

/// A shallow clone's boundary, sorted: the commits whose parents are not in the repository,
/// which git reads as having none (empty when the repository is not shallow).
pub(crate) fn shallow_boundary(
    repo: &gix::Repository,
    name: &str,
) -> crate::error::Result<Vec<gix::ObjectId>> {
    let mut shallow: Vec<gix::ObjectId> = repo
        .shallow_commits()
        .map_err(|e| crate::error::Error::git(name, e))?
        .map(|commits| commits.iter().copied().collect())
        .unwrap_or_default();
    shallow.sort_unstable();
    Ok(shallow)
}

/// The commit HEAD points at; None for an unborn HEAD (an empty repository). A HEAD whose
/// commit cannot be read (a clone with its pack gone) is an error, never an empty history.
pub(crate) fn head_commit(repo: &gix::Repository, name: &str) -> crate::error::Result<Option<gix::ObjectId>> {
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
