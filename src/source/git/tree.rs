//! The files of a tree (HEAD or any revision), depth-first in git's order like `git ls-tree -r`.

use gix::object::tree::EntryKind;
use gix::ObjectId;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeFile {
    /// The path as text (a name that is not UTF-8 has replacement characters).
    pub path: String,
    /// The path's bytes as stored in the tree.
    pub raw_path: Vec<u8>,
    /// Octal mode as git prints it, e.g. `100644`.
    pub mode: String,
    pub id: ObjectId,
    /// Submodules (gitlinks) have no blob in this repository.
    pub is_submodule: bool,
}

/// The tree a revision names (None: HEAD); None for an empty repository.
pub(crate) fn resolve_tree(
    repo: &gix::Repository,
    name: &str,
    rev: Option<&str>,
) -> Result<Option<ObjectId>> {
    let rev = rev.map(str::trim).filter(|r| !r.is_empty());
    let id = match rev {
        None => match super::head_commit(repo, name)? {
            Some(id) => id,
            None => return Ok(None),
        },
        Some(rev) => repo
            .rev_parse_single(rev)
            .map_err(|_| Error::UnknownRevision {
                repo: name.to_string(),
                rev: rev.to_string(),
            })?
            .detach(),
    };
    let object = repo.find_object(id).map_err(|e| Error::git(name, e))?;
    let tree = object.peel_to_tree().map_err(|e| Error::git(name, e))?;
    Ok(Some(tree.id))
}

/// Calls `visit` for every non-tree entry below `tree`; stops early when it returns false.
pub(crate) fn walk_files(
    repo: &gix::Repository,
    name: &str,
    tree: ObjectId,
    visit: &mut dyn FnMut(TreeFile) -> Result<bool>,
) -> Result<()> {
    walk_dir(repo, name, tree, b"", visit).map(|_| ())
}

fn walk_dir(
    repo: &gix::Repository,
    name: &str,
    tree: ObjectId,
    prefix: &[u8],
    visit: &mut dyn FnMut(TreeFile) -> Result<bool>,
) -> Result<bool> {
    let tree = repo.find_tree(tree).map_err(|e| Error::git(name, e))?;
    let entries: Vec<(Vec<u8>, gix::object::tree::EntryMode, ObjectId)> = tree
        .decode()
        .map_err(|e| Error::git(name, e))?
        .entries
        .iter()
        .map(|e| ([prefix, e.filename].concat(), e.mode, e.oid.to_owned()))
        .collect();
    for (raw_path, mode, id) in entries {
        let keep_going = match mode.kind() {
            EntryKind::Tree => walk_dir(repo, name, id, &[&raw_path[..], b"/"].concat(), visit)?,
            kind => visit(TreeFile {
                path: String::from_utf8_lossy(&raw_path).into_owned(),
                raw_path,
                mode: format!("{:06o}", mode.value()),
                id,
                is_submodule: kind == EntryKind::Commit,
            })?,
        };
        if !keep_going {
            return Ok(false);
        }
    }
    Ok(true)
}
