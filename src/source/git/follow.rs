//! One file's history across its renames, as `git log --follow -- <file>` gives it (git 2.47).
//!
//! What git does, and so what this does:
//! - `--follow` turns history pruning off (`revision.c`: "the paths change"), so every commit
//!   reachable from the start is walked, newest committer date first; commits of equal date
//!   leave the queue in the order they entered it (`commit_list_insert_by_date`).
//! - A commit is shown when its diff against its parent, limited to the current path, is not
//!   empty (`log-tree.c`). Merges have no diff in a plain `git log` and are never shown; a root
//!   commit is diffed against the empty tree.
//! - When that diff creates the path, git runs rename detection over the whole commit with
//!   the path as its only destination (`tree-diff.c: try_to_follow_renames`, `single_follow`);
//!   a source found becomes the path for every commit walked after it, whichever branch.
//!
//! The path is followed as a file: where it names a directory in some commit, that commit
//! reads as not having it (git would show changes of the files below it).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use gix::ObjectId;

use super::commits::{CommitNeeds, CommitReader, CommitRecord, ScanCounters, TimeBounds};
use super::diff::{Differ, FileChange};
use super::graph::{node, Node};
use crate::error::{Error, Result};

/// Calls `emit` with each commit that changed the file at `path` (as of `start`) and how, in
/// `git log --follow` order, until `emit` returns false. `lines`: count added and deleted lines.
pub(crate) fn follow(
    repo: &gix::Repository,
    name: &str,
    start: ObjectId,
    path: &str,
    lines: bool,
    counters: &ScanCounters,
    emit: &mut dyn FnMut(&CommitRecord, FileChange) -> Result<bool>,
) -> Result<()> {
    // People and messages are decoded only for the commits shown; the walk reads dates,
    // parents and trees.
    let needs = CommitNeeds {
        people: true,
        message: true,
        ..Default::default()
    };
    let mut reader = CommitReader::new(repo, name, needs, None, None, counters)?;
    let mut differ = Differ::new(repo, name)?;
    let shallow = super::shallow_boundary(repo, name)?;
    // Dates, parents and trees come from the commit-graph where it has them, as git reads them
    // (git does not use it in a shallow repository).
    let graph = match shallow.is_empty() {
        true => repo.commit_graph_if_enabled().map_err(|e| Error::git(name, e))?,
        false => None,
    };
    let mut queue = DateQueue::default();
    let mut seen = HashSet::from([start]);
    // Each commit's tree, read once: a commit's parent is walked again as the next commit.
    let mut trees: HashMap<ObjectId, ObjectId> = HashMap::new();
    let visit =
        |id: ObjectId, queue: &mut DateQueue, trees: &mut HashMap<ObjectId, ObjectId>| -> Result<()> {
            let node = node(repo, name, graph.as_ref(), &shallow, id)?;
            trees.insert(id, node.tree);
            queue.push(node);
            Ok(())
        };
    visit(start, &mut queue, &mut trees)?;
    let mut path = path.to_string();
    while let Some(commit) = queue.pop() {
        for parent in &commit.parents {
            if seen.insert(*parent) {
                visit(*parent, &mut queue, &mut trees)?;
            }
        }
        if commit.parents.len() > 1 {
            continue;
        }
        let parent_tree = commit.parents.first().and_then(|p| trees.get(p)).copied();
        let Some(change) = differ.followed_change(parent_tree, commit.tree, &path, lines)? else {
            continue;
        };
        if let Some(old) = &change.old_path {
            path.clone_from(old);
        }
        let record = reader
            .read(commit.id, &TimeBounds::default())?
            .expect("no time bounds exclude a commit");
        if !emit(&record, change)? {
            break;
        }
    }
    Ok(())
}

/// git's walk queue: the newest committer date first, ties in the order they were added.
#[derive(Default)]
struct DateQueue {
    heap: BinaryHeap<(i64, Reverse<u64>, ObjectId)>,
    nodes: HashMap<ObjectId, Node>,
    added: u64,
}

impl DateQueue {
    fn push(&mut self, node: Node) {
        self.added += 1;
        self.heap.push((node.time, Reverse(self.added), node.id));
        self.nodes.insert(node.id, node);
    }

    fn pop(&mut self) -> Option<Node> {
        let (_, _, id) = self.heap.pop()?;
        self.nodes.remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u8, time: i64) -> Node {
        let id = ObjectId::from_bytes_or_panic(&[n; 20]);
        Node {
            id,
            time,
            parents: Vec::new(),
            tree: id,
        }
    }

    #[test]
    fn the_queue_pops_newest_first_and_equal_dates_in_arrival_order() {
        let mut queue = DateQueue::default();
        for (n, time) in [(1, 10), (2, 20), (3, 10), (4, 20), (5, 5)] {
            queue.push(record(n, time));
        }
        let order: Vec<u8> = std::iter::from_fn(|| queue.pop())
            .map(|c| c.id.as_bytes()[0])
            .collect();
        assert_eq!(order, [2, 4, 1, 3, 5]);
    }
}
