//! What a history walk reads of a commit: its date, parents and tree, from the commit-graph
//! where it has them, as git reads them (git does not use the commit-graph in a shallow
//! repository, and reads a shallow clone's boundary commits as roots).

use gix::ObjectId;

use crate::error::{Error, Result};

/// What the walk needs of a commit.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) id: ObjectId,
    /// Committer time: git's walk order.
    pub(super) time: i64,
    pub(super) parents: Vec<ObjectId>,
    pub(super) tree: ObjectId,
}

/// `graph`: None when the repository is shallow (`shallow`: its boundary, sorted).
pub(super) fn node(
    repo: &gix::Repository,
    name: &str,
    graph: Option<&gix::commitgraph::Graph>,
    shallow: &[ObjectId],
    id: ObjectId,
) -> Result<Node> {
    if let Some(commit) = graph.and_then(|g| g.commit_by_id(id)) {
        let graph = graph.expect("the commit came from it");
        let parents = commit
            .iter_parents()
            .map(|p| p.map(|position| graph.id_at(position).to_owned()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::git(name, e))?;
        return Ok(Node {
            id,
            time: i64::try_from(commit.committer_timestamp()).unwrap_or(i64::MAX),
            parents,
            tree: commit.root_tree_id().to_owned(),
        });
    }
    let commit = repo.find_commit(id).map_err(|e| Error::git(name, e))?;
    let decoded = commit.decode().map_err(|e| Error::git(name, e))?;
    let committer =
        gix::actor::SignatureRef::from_bytes(decoded.committer).map_err(|e| Error::git(name, e))?;
    // A shallow clone's boundary commits read as roots, as git reads them.
    let parents = if shallow.binary_search(&id).is_ok() {
        Vec::new()
    } else {
        decoded.parents().collect()
    };
    Ok(Node {
        id,
        time: committer.trim().time().map(|t| t.seconds).unwrap_or_default(),
        parents,
        tree: decoded.tree(),
    })
}

/// A commit's tree: from the commit-graph where it has the commit (a tree is the same in the
/// graph and in the object, shallow or not).
pub(super) fn tree_of(
    repo: &gix::Repository,
    name: &str,
    graph: Option<&gix::commitgraph::Graph>,
    id: ObjectId,
) -> Result<ObjectId> {
    if let Some(commit) = graph.and_then(|g| g.commit_by_id(id)) {
        return Ok(commit.root_tree_id().to_owned());
    }
    let commit = repo.find_commit(id).map_err(|e| Error::git(name, e))?;
    Ok(commit.tree_id().map_err(|e| Error::git(name, e))?.detach())
}
