use gix_error::Result;
use std::num::NonZeroU32;

use gix_diff::{blob::TokenSource, tree::Visit};
use gix_error::{ErrorExt, OptionExt, ResultExt, message};
use gix_hash::ObjectId;
use gix_object::{
    FindExt,
    bstr::{BStr, BString},
};
use gix_traverse::commit::find as find_commit;
use smallvec::SmallVec;

use super::{Change, UnblamedHunk, process_changes};
use crate::{
    BlameEntry, Options, Outcome, Statistics,
    types::{BlamePathEntry, Start},
};

/// Produce a list of consecutive [`BlameEntry`] instances to indicate in which commits the ranges of the file
/// at `suspect:<file_path>` originated in.
///
/// ## Parameters
///
/// * `odb`
///    - Access to database objects, also for used for diffing.
///    - Should have an object cache for good diff performance.
/// * `start`
///    - Where to start the blame. Can be either a commit or contents of a worktree file that contains
///      untracked changes.
/// * `cache`
///    - Optionally, the commitgraph cache.
/// * `resource_cache`
///    - Used for diffing trees.
/// * `file_path`
///    - A *slash-separated* worktree-relative path to the file to blame.
/// * `options`
///    - An instance of [`Options`].
///
/// ## The algorithm
///
/// *For brevity, `HEAD` denotes the starting point of the blame operation. It could be any commit, or even commits that
/// represent the worktree state.
///
/// We begin with one or more *Unblamed Hunks* and a single suspect, usually the `HEAD` commit as the commit containing the
/// *Blamed File*, so that it contains the entire file, with the first commit being a candidate for the entire *Blamed File*.
/// We traverse the commit graph starting at the first suspect, and see if there have been changes to `file_path`.
/// If so, we have found a *Source File* and a *Suspect* commit, and have hunks that represent these changes.
/// Now the *Unblamed Hunk* is split at the boundaries of each matching change, creating a new *Unblamed Hunk* on each side,
/// along with a [`BlameEntry`] to represent the match.
/// This is repeated until there are no non-empty *Unblamed Hunk*s left.
///
/// At a high level, what we want to do is the following:
///
/// - get the commit
/// - walk through its parents
///   - for each parent, do a diff and mark lines that don’t have a suspect yet (this is the term
///     used in `libgit2`), but that have been changed in this commit
///
/// The algorithm in `libgit2` works by going through parents and keeping a linked list of blame
/// suspects. It can be visualized as follows:
///
/// <---------------------------------------->
/// <---------------><----------------------->
/// <---><----------><----------------------->
/// <---><----------><-------><-----><------->
/// <---><---><-----><-------><-----><------->
/// <---><---><-----><-------><-----><-><-><->
pub fn file(
    odb: impl gix_object::Find + gix_object::FindHeader,
    start: Start,
    cache: Option<gix_commitgraph::Graph>,
    resource_cache: &mut gix_diff::blob::Platform,
    file_path: &BStr,
    options: Options,
) -> Result<Outcome> {
    file_with_changed_paths(
        odb,
        start,
        cache,
        resource_cache,
        file_path,
        options,
        &mut |_, _| None,
        &[],
        None,
    )
}

/// GitFleet: finds where a file that a commit created came from, as `git blame` does
/// (`find_rename` in blame.c): `(parent tree, tree, path)` to the path and blob in the parent
/// tree it was renamed from. git looks for a source of that one file only (`single_follow`);
/// gix's tracker pairs every file the commit created with every file it deleted, which at a
/// merge whose other parent predates a large move costs seconds per blamed file.
pub type FindRename<'a> = dyn FnMut(&gix_hash::oid, &gix_hash::oid, &BStr) -> std::result::Result<Option<(BString, ObjectId)>, String>
    + 'a;

/// Like [`file()`], with `changed_paths(commit, path)` answering whether `path` may differ between
/// `commit` and its first parent, as the commit-graph's changed-path Bloom filters do:
/// `Some(false)` only if it certainly does not, `Some(true)` or `None` if it may or nobody knows.
/// A certain "no" passes the blame to the first parent without looking `path` up in its tree,
/// which is what git does with the filters (GitFleet addition, see `vendor/README.md` of GitFleet).
/// The lines each of `ignore_revs` (sorted) changed go to the parent lines git's fuzzy matching
/// finds for them, as `git blame --ignore-rev` does. With `find_rename`, renames are found
/// through it instead of gix's tracker (when `options.rewrites` is set).
#[expect(clippy::too_many_arguments)]
pub fn file_with_changed_paths(
    odb: impl gix_object::Find + gix_object::FindHeader,
    start: Start,
    cache: Option<gix_commitgraph::Graph>,
    resource_cache: &mut gix_diff::blob::Platform,
    file_path: &BStr,
    options: Options,
    changed_paths: &mut dyn FnMut(&gix_hash::oid, &BStr) -> Option<bool>,
    ignore_revs: &[ObjectId],
    mut find_rename: Option<&mut FindRename<'_>>,
) -> Result<Outcome> {
    let _span = gix_trace::coarse!("gix_blame::file()", ?file_path, ?start);

    let mut stats = Statistics::default();
    let (mut buf, mut buf2, mut buf3) = (Vec::new(), Vec::new(), Vec::new());

    let InitialState {
        blamed_file_blob,
        mut hunks_to_blame,
        mut out,
        first_suspect,
    } = initial_state(
        &odb,
        start,
        cache.as_ref(),
        file_path,
        &options,
        &mut buf,
        &mut buf2,
        &mut stats,
    )?;

    if hunks_to_blame.is_empty() {
        out.sort_by_key(|entry| entry.start_in_blamed_file);
        return Ok(Outcome {
            entries: coalesce_blame_entries(out),
            blob: blamed_file_blob,
            statistics: stats,
            blame_path: None,
        });
    }

    let mut queue: gix_revwalk::PriorityQueue<gix_date::SecondsSinceUnixEpoch, ObjectId> =
        gix_revwalk::PriorityQueue::new();

    if let Some(first_suspect) = first_suspect {
        let commit = find_commit(cache.as_ref(), &odb, &first_suspect, &mut buf)?;
        queue.insert(commit.commit_time()?, first_suspect);
    }

    let mut diff_state = gix_diff::tree::State::default();
    let mut previous_entry: Option<(ObjectId, ObjectId)> = None;
    let mut blame_path = if options.debug_track_path {
        Some(Vec::new())
    } else {
        None
    };

    'outer: while let Some(suspect) = queue.pop_value() {
        stats.commits_traversed += 1;
        if hunks_to_blame.is_empty() {
            break;
        }

        let first_hunk_for_suspect = hunks_to_blame.iter().find(|hunk| hunk.has_suspect(&suspect));
        let Some(first_hunk_for_suspect) = first_hunk_for_suspect else {
            // There are no `UnblamedHunk`s associated with this `suspect`, so we can continue with
            // the next one.
            continue 'outer;
        };

        let current_file_path = first_hunk_for_suspect
            .source_file_name
            .clone()
            .unwrap_or_else(|| file_path.to_owned());

        let commit = find_commit(cache.as_ref(), &odb, &suspect, &mut buf)?;
        let commit_time = commit.commit_time()?;

        if let Some(since) = options.since
            && commit_time < since.seconds
        {
            if unblamed_to_out_is_done(&mut hunks_to_blame, &mut out, suspect) {
                break 'outer;
            }

            continue;
        }

        let parent_ids: ParentIds = collect_parents(commit, &odb, cache.as_ref(), &mut buf2)?;

        if parent_ids.is_empty() {
            // A root commit takes every line still suspected on it, as git's blame does, whether
            // or not other commits are queued: a merge of unrelated histories or a shallow
            // clone's boundary has several roots, and upstream dropped the lines of all but the
            // last one.
            if unblamed_to_out_is_done(&mut hunks_to_blame, &mut out, suspect) {
                if let Some(ref mut blame_path) = blame_path {
                    let entry = previous_entry
                        .take()
                        .filter(|(id, _)| *id == suspect)
                        .map(|(_, entry)| entry);

                    let blame_path_entry = BlamePathEntry {
                        source_file_path: current_file_path.clone(),
                        previous_source_file_path: None,
                        commit_id: suspect,
                        blob_id: entry.unwrap_or(gix_hash::Kind::shortest().null()),
                        previous_blob_id: gix_hash::Kind::shortest().null(),
                        parent_index: 0,
                    };
                    blame_path.push(blame_path_entry);
                }

                break 'outer;
            }
            // There is more, keep looking.
            continue;
        }

        let mut entry = previous_entry
            .take()
            .filter(|(id, _)| *id == suspect)
            .map(|(_, entry)| entry);
        if entry.is_none() {
            entry = find_path_entry_in_commit(
                &odb,
                &suspect,
                current_file_path.as_ref(),
                cache.as_ref(),
                &mut buf,
                &mut buf2,
                &mut stats,
            )?;
        }

        let Some(entry_id) = entry else {
            continue;
        };

        if let Some(&(first_parent_id, first_parent_time)) = parent_ids.first()
            && changed_paths(&suspect, current_file_path.as_ref()) == Some(false)
        {
            // Unchanged against the first parent: the same as finding the same entry there below.
            stats.commits_skipped_by_changed_paths += 1;
            previous_entry = Some((first_parent_id, entry_id));
            pass_blame_from_to(suspect, first_parent_id, &mut hunks_to_blame);
            queue.insert(first_parent_time, first_parent_id);
            continue 'outer;
        }

        // This block asserts that, for every `UnblamedHunk`, all lines in the *Blamed File* are
        // identical to the corresponding lines in the *Source File*.
        // (GitFleet: not with ignored commits, whose lines go to parent lines that are only
        // similar.)
        #[cfg(debug_assertions)]
        if ignore_revs.is_empty() {
            let source_blob = odb.find_blob(&entry_id, &mut buf)?.data.to_vec();
            let mut source_interner = gix_diff::blob::Interner::new(source_blob.len() / 100);
            let source_lines_as_tokens: Vec<_> = tokens_for_diffing(&source_blob)
                .tokenize()
                .map(|token| source_interner.intern(token))
                .collect();

            let mut blamed_interner = gix_diff::blob::Interner::new(blamed_file_blob.len() / 100);
            let blamed_lines_as_tokens: Vec<_> = tokens_for_diffing(&blamed_file_blob)
                .tokenize()
                .map(|token| blamed_interner.intern(token))
                .collect();

            for hunk in hunks_to_blame.iter() {
                if let Some(range_in_suspect) = hunk.get_range(&suspect) {
                    let range_in_blamed_file = hunk.range_in_blamed_file.clone();

                    let source_lines = range_in_suspect
                        .clone()
                        .map(|i| BString::new(source_interner[source_lines_as_tokens[i as usize]].into()))
                        .collect::<Vec<_>>();
                    let blamed_lines = range_in_blamed_file
                        .clone()
                        .map(|i| BString::new(blamed_interner[blamed_lines_as_tokens[i as usize]].into()))
                        .collect::<Vec<_>>();

                    assert_eq!(source_lines, blamed_lines);
                }
            }
        }

        for (pid, (parent_id, parent_commit_time)) in parent_ids.iter().enumerate() {
            if let Some(parent_entry_id) = find_path_entry_in_commit(
                &odb,
                parent_id,
                current_file_path.as_ref(),
                cache.as_ref(),
                &mut buf,
                &mut buf2,
                &mut stats,
            )? {
                let no_change_in_entry = entry_id == parent_entry_id;
                if pid == 0 {
                    previous_entry = Some((*parent_id, parent_entry_id));
                }
                if no_change_in_entry {
                    pass_blame_from_to(suspect, *parent_id, &mut hunks_to_blame);
                    queue.insert(*parent_commit_time, *parent_id);
                    continue 'outer;
                }
            }
        }

        let more_than_one_parent = parent_ids.len() > 1;
        // GitFleet: the parents' versions of the file, for an ignored commit (`--ignore-rev`).
        let ignored = ignore_revs.binary_search(&suspect).is_ok();
        let mut parent_versions: Vec<(ObjectId, ObjectId, ObjectId, Option<BString>)> = Vec::new();
        for (index, (parent_id, parent_commit_time)) in parent_ids.iter().enumerate() {
            queue.insert(*parent_commit_time, *parent_id);
            let changes_for_file_path = tree_diff_at_file_path(
                &odb,
                current_file_path.as_ref(),
                suspect,
                *parent_id,
                cache.as_ref(),
                &mut stats,
                &mut diff_state,
                resource_cache,
                &mut buf,
                &mut buf2,
                &mut buf3,
                options.rewrites,
                find_rename.as_deref_mut(),
            )?;
            let Some(modification) = changes_for_file_path else {
                if more_than_one_parent {
                    // None of the changes affected the file we’re currently blaming.
                    // Copy blame to parent.
                    for unblamed_hunk in &mut hunks_to_blame {
                        unblamed_hunk.clone_blame(suspect, *parent_id);
                    }
                } else {
                    pass_blame_from_to(suspect, *parent_id, &mut hunks_to_blame);
                }
                continue;
            };

            match modification {
                TreeDiffChange::Addition { id } => {
                    if more_than_one_parent {
                        // Do nothing under the assumption that this always (or almost always)
                        // implies that the file comes from a different parent, compared to which
                        // it was modified, not added.
                    } else if unblamed_to_out_is_done(&mut hunks_to_blame, &mut out, suspect) {
                        if let Some(ref mut blame_path) = blame_path {
                            let blame_path_entry = BlamePathEntry {
                                source_file_path: current_file_path.clone(),
                                previous_source_file_path: None,
                                commit_id: suspect,
                                blob_id: id,
                                previous_blob_id: gix_hash::Kind::shortest().null(),
                                parent_index: index,
                            };
                            blame_path.push(blame_path_entry);
                        }

                        break 'outer;
                    }
                }
                TreeDiffChange::Deletion => {
                    unreachable!("We already found file_path in suspect^{{tree}}, so it can't be deleted")
                }
                TreeDiffChange::Modification { previous_id, id } => {
                    if ignored {
                        parent_versions.push((*parent_id, previous_id, id, None));
                    }
                    let changes = blob_changes(
                        &odb,
                        resource_cache,
                        id,
                        previous_id,
                        file_path,
                        file_path,
                        options.diff_algorithm,
                        &mut stats,
                    )?;
                    hunks_to_blame = process_changes(hunks_to_blame, changes.clone(), suspect, *parent_id);
                    if let Some(ref mut blame_path) = blame_path {
                        let has_blame_been_passed = hunks_to_blame.iter().any(|hunk| hunk.has_suspect(parent_id));

                        if has_blame_been_passed {
                            let blame_path_entry = BlamePathEntry {
                                source_file_path: current_file_path.clone(),
                                previous_source_file_path: Some(current_file_path.clone()),
                                commit_id: suspect,
                                blob_id: id,
                                previous_blob_id: previous_id,
                                parent_index: index,
                            };
                            blame_path.push(blame_path_entry);
                        }
                    }
                }
                TreeDiffChange::Rewrite {
                    source_location,
                    source_id,
                    id,
                } => {
                    if ignored {
                        parent_versions.push((*parent_id, source_id, id, Some(source_location.clone())));
                    }
                    let changes = blob_changes(
                        &odb,
                        resource_cache,
                        id,
                        source_id,
                        file_path,
                        source_location.as_ref(),
                        options.diff_algorithm,
                        &mut stats,
                    )?;
                    hunks_to_blame = process_changes(hunks_to_blame, changes, suspect, *parent_id);

                    let mut has_blame_been_passed = false;

                    for hunk in hunks_to_blame.iter_mut() {
                        if hunk.has_suspect(parent_id) {
                            hunk.source_file_name = Some(source_location.clone());

                            has_blame_been_passed = true;
                        }
                    }

                    if has_blame_been_passed && let Some(ref mut blame_path) = blame_path {
                        let blame_path_entry = BlamePathEntry {
                            source_file_path: current_file_path.clone(),
                            previous_source_file_path: Some(source_location.clone()),
                            commit_id: suspect,
                            blob_id: id,
                            previous_blob_id: source_id,
                            parent_index: index,
                        };
                        blame_path.push(blame_path_entry);
                    }
                }
            }
        }

        // GitFleet: an ignored commit passes the lines it changed to the parent lines most like
        // them (git's second pass in `pass_blame()`, parent by parent).
        for (parent_id, parent_blob, blob, source_file_name) in parent_versions {
            if !hunks_to_blame
                .iter()
                .any(|h| h.suspects.len() == 1 && h.has_suspect(&suspect))
            {
                break;
            }
            let (mut old, mut new) = (Vec::new(), Vec::new());
            let old = odb.find_blob(&parent_blob, &mut old)?.data;
            let new = odb.find_blob(&blob, &mut new)?.data;
            let hunks = diff_hunks(old, new, options.diff_algorithm);
            hunks_to_blame = super::ignore::pass_ignored(
                hunks_to_blame,
                suspect,
                parent_id,
                old,
                new,
                &hunks,
                source_file_name,
            );
        }

        hunks_to_blame.retain_mut(|unblamed_hunk| {
            if unblamed_hunk.suspects.len() == 1
                && let Some(entry) = BlameEntry::from_unblamed_hunk(unblamed_hunk, suspect)
            {
                // At this point, we have copied blame for every hunk to a parent. Hunks
                // that have only `suspect` left in `suspects` have not passed blame to any
                // parent, and so they can be converted to a `BlameEntry` and moved to
                // `out`.
                out.push(entry);
                return false;
            }
            unblamed_hunk.remove_blame(suspect);
            true
        });
    }

    debug_assert_eq!(
        hunks_to_blame,
        vec![],
        "only if there is no portion of the file left we have completed the blame"
    );

    // I don’t know yet whether it would make sense to use a data structure instead that preserves
    // order on insertion.
    out.sort_by_key(|a| a.start_in_blamed_file);
    Ok(Outcome {
        entries: coalesce_blame_entries(out),
        blob: blamed_file_blob,
        statistics: stats,
        blame_path,
    })
}

/// Pass ownership of each unblamed hunk of `from` to `to`.
///
/// This happens when `from` didn't actually change anything in the blamed file.
fn pass_blame_from_to(from: ObjectId, to: ObjectId, hunks_to_blame: &mut Vec<UnblamedHunk>) {
    for unblamed_hunk in hunks_to_blame {
        unblamed_hunk.pass_blame(from, to);
    }
}

/// Convert each of the unblamed hunk in `hunks_to_blame` into a [`BlameEntry`], consuming them in the process.
///
/// Return `true` if we are done because `hunks_to_blame` is empty.
fn unblamed_to_out_is_done(
    hunks_to_blame: &mut Vec<UnblamedHunk>,
    out: &mut Vec<BlameEntry>,
    suspect: ObjectId,
) -> bool {
    let mut without_suspect = Vec::new();
    out.extend(hunks_to_blame.drain(..).filter_map(|hunk| {
        BlameEntry::from_unblamed_hunk(&hunk, suspect).or_else(|| {
            without_suspect.push(hunk);
            None
        })
    }));
    *hunks_to_blame = without_suspect;
    hunks_to_blame.is_empty()
}

/// This function merges adjacent blame entries. It merges entries that are adjacent both in the
/// blamed file and in the source file that introduced them. This follows `git`’s
/// behaviour. `libgit2`, as of 2024-09-19, only checks whether two entries are adjacent in the
/// blamed file which can result in different blames in certain edge cases. See [the commit][1]
/// that introduced the extra check into `git` for context. See [this commit][2] for a way to test
/// for this behaviour in `git`.
///
/// [1]: https://github.com/git/git/commit/c2ebaa27d63bfb7c50cbbdaba90aee4efdd45d0a
/// [2]: https://github.com/git/git/commit/6dbf0c7bebd1c71c44d786ebac0f2b3f226a0131
fn coalesce_blame_entries(lines_blamed: Vec<BlameEntry>) -> Vec<BlameEntry> {
    let len = lines_blamed.len();
    lines_blamed
        .into_iter()
        .fold(Vec::with_capacity(len), |mut acc, entry| {
            let previous_entry = acc.last();

            if let Some(previous_entry) = previous_entry {
                let previous_blamed_range = previous_entry.range_in_blamed_file();
                let current_blamed_range = entry.range_in_blamed_file();
                let previous_source_range = previous_entry.range_in_source_file();
                let current_source_range = entry.range_in_source_file();
                if previous_entry.commit_id == entry.commit_id
                    && previous_blamed_range.end == current_blamed_range.start
                    // As of 2024-09-19, the check below only is in `git`, but not in `libgit2`.
                    && previous_source_range.end == current_source_range.start
                {
                    let coalesced_entry = BlameEntry {
                        start_in_blamed_file: previous_blamed_range.start as u32,
                        start_in_source_file: previous_source_range.start as u32,
                        len: NonZeroU32::new((current_source_range.end - previous_source_range.start) as u32)
                            .expect("BUG: hunks are never zero-sized"),
                        commit_id: previous_entry.commit_id,
                        source_file_name: previous_entry.source_file_name.clone(),
                    };

                    acc.pop();
                    acc.push(coalesced_entry);
                } else {
                    acc.push(entry);
                }

                acc
            } else {
                acc.push(entry);

                acc
            }
        })
}

/// The union of [`gix_diff::tree::recorder::Change`] and [`gix_diff::tree_with_rewrites::Change`],
/// keeping only the blame-relevant information.
enum TreeDiffChange {
    Addition {
        id: ObjectId,
    },
    Deletion,
    Modification {
        previous_id: ObjectId,
        id: ObjectId,
    },
    Rewrite {
        source_location: BString,
        source_id: ObjectId,
        id: ObjectId,
    },
}

impl From<gix_diff::tree::recorder::Change> for TreeDiffChange {
    fn from(value: gix_diff::tree::recorder::Change) -> Self {
        use gix_diff::tree::recorder::Change;

        match value {
            Change::Addition { oid, .. } => Self::Addition { id: oid },
            Change::Deletion { .. } => Self::Deletion,
            Change::Modification { previous_oid, oid, .. } => Self::Modification {
                previous_id: previous_oid,
                id: oid,
            },
        }
    }
}

impl From<gix_diff::tree_with_rewrites::Change> for TreeDiffChange {
    fn from(value: gix_diff::tree_with_rewrites::Change) -> Self {
        use gix_diff::tree_with_rewrites::Change;

        match value {
            Change::Addition { id, .. } => Self::Addition { id },
            Change::Deletion { .. } => Self::Deletion,
            Change::Modification { previous_id, id, .. } => Self::Modification { previous_id, id },
            Change::Rewrite {
                source_location,
                source_id,
                id,
                ..
            } => Self::Rewrite {
                source_location,
                source_id,
                id,
            },
        }
    }
}

#[expect(clippy::too_many_arguments)]
fn tree_diff_at_file_path(
    odb: impl gix_object::Find + gix_object::FindHeader,
    file_path: &BStr,
    id: ObjectId,
    parent_id: ObjectId,
    cache: Option<&gix_commitgraph::Graph>,
    stats: &mut Statistics,
    state: &mut gix_diff::tree::State,
    resource_cache: &mut gix_diff::blob::Platform,
    commit_buf: &mut Vec<u8>,
    lhs_tree_buf: &mut Vec<u8>,
    rhs_tree_buf: &mut Vec<u8>,
    rewrites: Option<gix_diff::Rewrites>,
    find_rename: Option<&mut FindRename<'_>>,
) -> Result<Option<TreeDiffChange>> {
    let parent_tree_id = find_commit(cache, &odb, &parent_id, commit_buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?
        .tree_id()
        .or_raise(|| message("Failure to decode commit during traversal"))?;

    let parent_tree_iter = odb
        .find_tree_iter(&parent_tree_id, lhs_tree_buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?;
    stats.trees_decoded += 1;

    let tree_id = find_commit(cache, &odb, &id, commit_buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?
        .tree_id()
        .or_raise(|| message("Failure to decode commit during traversal"))?;

    let tree_iter = odb
        .find_tree_iter(&tree_id, rhs_tree_buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?;
    stats.trees_decoded += 1;

    let result = tree_diff_without_rewrites_at_file_path(&odb, file_path, stats, state, parent_tree_iter, tree_iter)?;

    // Here, we follow git’s behaviour. We return when we’ve found a `Modification`. We try a
    // second time with rename tracking when the change is either an `Addition` or a `Deletion`
    // because those can turn out to have been a `Rewrite`.
    // TODO(perf): renames are usually rare enough to not care about the work duplication done here.
    //             But in theory, a rename tracker could be used by us, on demand, and we could stuff the
    //             changes in there and have it find renames, without repeating the diff.
    if matches!(result, Some(TreeDiffChange::Modification { .. })) {
        return Ok(result);
    }
    let Some(rewrites) = rewrites else {
        return Ok(result);
    };
    // GitFleet: only a file the commit created can have been renamed (copies are not looked
    // for), and the caller finds its source as git does.
    if let Some(find_rename) = find_rename {
        let Some(TreeDiffChange::Addition { id: added }) = result else {
            return Ok(result);
        };
        return match find_rename(&parent_tree_id, &tree_id, file_path) {
            Ok(Some((source_location, source_id))) => Ok(Some(TreeDiffChange::Rewrite {
                source_location,
                source_id,
                id: added,
            })),
            Ok(None) => Ok(result),
            Err(error) => Err(message!("finding where {file_path} came from: {error}").raise()),
        };
    }

    let result = tree_diff_with_rewrites_at_file_path(
        &odb,
        file_path,
        stats,
        state,
        resource_cache,
        parent_tree_iter,
        tree_iter,
        rewrites,
    )?;

    Ok(result)
}

fn tree_diff_without_rewrites_at_file_path(
    odb: impl gix_object::Find + gix_object::FindHeader,
    file_path: &BStr,
    stats: &mut Statistics,
    state: &mut gix_diff::tree::State,
    parent_tree_iter: gix_object::TreeRefIter<'_>,
    tree_iter: gix_object::TreeRefIter<'_>,
) -> Result<Option<TreeDiffChange>> {
    struct FindChangeToPath {
        inner: gix_diff::tree::Recorder,
        interesting_path: BString,
        change: Option<gix_diff::tree::recorder::Change>,
    }

    impl FindChangeToPath {
        fn new(interesting_path: BString) -> Self {
            let inner =
                gix_diff::tree::Recorder::default().track_location(Some(gix_diff::tree::recorder::Location::Path));

            FindChangeToPath {
                inner,
                interesting_path,
                change: None,
            }
        }
    }

    impl Visit for FindChangeToPath {
        fn pop_front_tracked_path_and_set_current(&mut self) {
            self.inner.pop_front_tracked_path_and_set_current();
        }

        fn push_back_tracked_path_component(&mut self, component: &BStr) {
            self.inner.push_back_tracked_path_component(component);
        }

        fn push_path_component(&mut self, component: &BStr) {
            self.inner.push_path_component(component);
        }

        fn pop_path_component(&mut self) {
            self.inner.pop_path_component();
        }

        fn visit(&mut self, change: gix_diff::tree::visit::Change) -> gix_diff::tree::visit::Action {
            use gix_diff::tree::visit::Change::*;

            if self.inner.path() == self.interesting_path {
                self.change = Some(match change {
                    Deletion {
                        entry_mode,
                        oid,
                        relation,
                    } => gix_diff::tree::recorder::Change::Deletion {
                        entry_mode,
                        oid,
                        path: self.inner.path_clone(),
                        relation,
                    },
                    Addition {
                        entry_mode,
                        oid,
                        relation,
                    } => gix_diff::tree::recorder::Change::Addition {
                        entry_mode,
                        oid,
                        path: self.inner.path_clone(),
                        relation,
                    },
                    // GitFleet: a file that was a symlink or a submodule, or the reverse, has no
                    // origin in the parent (git's `T`): the same as created there.
                    Modification {
                        previous_entry_mode,
                        entry_mode,
                        oid,
                        ..
                    } if previous_entry_mode.is_link() != entry_mode.is_link()
                        || previous_entry_mode.is_commit() != entry_mode.is_commit() =>
                    {
                        gix_diff::tree::recorder::Change::Addition {
                            entry_mode,
                            oid,
                            path: self.inner.path_clone(),
                            relation: None,
                        }
                    }
                    Modification {
                        previous_entry_mode,
                        previous_oid,
                        entry_mode,
                        oid,
                    } => gix_diff::tree::recorder::Change::Modification {
                        previous_entry_mode,
                        previous_oid,
                        entry_mode,
                        oid,
                        path: self.inner.path_clone(),
                    },
                });

                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        }
    }

    let mut recorder = FindChangeToPath::new(file_path.into());
    let result = gix_diff::tree(parent_tree_iter, tree_iter, state, &odb, &mut recorder);
    stats.trees_diffed += 1;

    match result {
        Ok(_) | Err(gix_diff::tree::Error::Cancelled) => Ok(recorder.change.map(Into::into)),
        Err(error) => Err(error.raise()),
    }
}

#[expect(clippy::too_many_arguments)]
fn tree_diff_with_rewrites_at_file_path(
    odb: impl gix_object::Find + gix_object::FindHeader,
    file_path: &BStr,
    stats: &mut Statistics,
    state: &mut gix_diff::tree::State,
    resource_cache: &mut gix_diff::blob::Platform,
    parent_tree_iter: gix_object::TreeRefIter<'_>,
    tree_iter: gix_object::TreeRefIter<'_>,
    rewrites: gix_diff::Rewrites,
) -> Result<Option<TreeDiffChange>> {
    let mut change: Option<gix_diff::tree_with_rewrites::Change> = None;

    let options: gix_diff::tree_with_rewrites::Options = gix_diff::tree_with_rewrites::Options {
        location: Some(gix_diff::tree::recorder::Location::Path),
        rewrites: Some(rewrites),
    };
    let result = gix_diff::tree_with_rewrites(
        parent_tree_iter,
        tree_iter,
        resource_cache,
        state,
        &odb,
        |change_ref| {
            if change_ref.location() == file_path {
                change = Some(change_ref.into_owned());
                Ok(std::ops::ControlFlow::Break(()))
            } else {
                Ok(std::ops::ControlFlow::Continue(()))
            }
        },
        options,
    );
    stats.trees_diffed_with_rewrites += 1;

    match result {
        Ok(_) | Err(gix_diff::tree::Error::Cancelled) => Ok(change.map(Into::into)),
        Err(error) => Err(error.raise()),
    }
}

#[expect(clippy::too_many_arguments)]
fn blob_changes(
    odb: impl gix_object::Find + gix_object::FindHeader,
    _resource_cache: &mut gix_diff::blob::Platform,
    oid: ObjectId,
    previous_oid: ObjectId,
    _file_path: &BStr,
    _previous_file_path: &BStr,
    diff_algorithm: gix_diff::blob::Algorithm,
    stats: &mut Statistics,
) -> Result<Vec<Change>> {
    // GitFleet: the blobs' bytes as they are, as `git blame` diffs them. The resource cache
    // would apply `diff` attributes and content-based binary detection, and a version taken as
    // binary diffs as empty, which hands its lines to the wrong commit.
    let (mut old, mut new) = (Vec::new(), Vec::new());
    let old = odb.find_blob(&previous_oid, &mut old)?.data;
    let new = odb.find_blob(&oid, &mut new)?.data;
    Ok(blob_changes_from_data(old, new, diff_algorithm, stats))
}

/// GitFleet: the diff's hunks (before and after line ranges). git's own diff (a port of xdiff's
/// Myers with git's heuristics) wherever git would use Myers: lines that occur several times
/// can be matched in many equally short ways, and which copy matches decides which commit a
/// line is blamed on. Histogram keeps imara-diff's.
pub fn diff_hunks(
    old_data: &[u8],
    new_data: &[u8],
    diff_algorithm: gix_diff::blob::Algorithm,
) -> Vec<(std::ops::Range<u32>, std::ops::Range<u32>)> {
    let minimal = match diff_algorithm {
        gix_diff::blob::Algorithm::Myers => false,
        gix_diff::blob::Algorithm::MyersMinimal => true,
        gix_diff::blob::Algorithm::Histogram => {
            let input = gix_diff::blob::InternedInput::new(old_data, new_data);
            let mut diff = gix_diff::blob::Diff::compute(diff_algorithm, &input);
            diff.postprocess_lines(&input);
            return diff.hunks().map(|h| (h.before, h.after)).collect();
        }
    };
    let options = gitfleet_diffcore::XdiffOptions {
        minimal,
        ..Default::default()
    };
    gitfleet_diffcore::xdiff_hunks(old_data, new_data, options)
        .into_iter()
        .map(|h| (h.before, h.after))
        .collect()
}

fn blob_changes_from_data(
    old_data: &[u8],
    new_data: &[u8],
    diff_algorithm: gix_diff::blob::Algorithm,
    stats: &mut Statistics,
) -> Vec<Change> {
    let hunks = diff_hunks(old_data, new_data, diff_algorithm);
    stats.blobs_diffed += 1;
    changes_from_hunks(hunks.into_iter(), gitfleet_diffcore::count_lines(new_data) as u32)
}

/// GitFleet: the blame's change list from a diff's hunks (before and after line ranges).
fn changes_from_hunks(
    hunks: impl Iterator<Item = (std::ops::Range<u32>, std::ops::Range<u32>)>,
    after_lines: u32,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut last_seen_after_end = 0;
    for (before, after) in hunks {
        if after.start > last_seen_after_end {
            changes.push(Change::Unchanged(last_seen_after_end..after.start));
        }
        if after.is_empty() {
            changes.push(Change::Deleted(after.start, before.end - before.start));
        } else {
            changes.push(Change::AddedOrReplaced(after.clone(), before.end - before.start));
        }
        last_seen_after_end = after.end;
    }
    if after_lines > last_seen_after_end {
        changes.push(Change::Unchanged(last_seen_after_end..after_lines));
    }
    changes
}

fn find_path_entry_in_commit(
    odb: &impl gix_object::Find,
    commit: &gix_hash::oid,
    file_path: &BStr,
    cache: Option<&gix_commitgraph::Graph>,
    buf: &mut Vec<u8>,
    buf2: &mut Vec<u8>,
    stats: &mut Statistics,
) -> Result<Option<ObjectId>> {
    let tree_id = find_commit(cache, odb, commit, buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?
        .tree_id()
        .or_raise(|| message("Failure to decode commit during traversal"))?;
    let tree_iter = odb
        .find_tree_iter(&tree_id, buf)
        .or_raise(|| message("Could not find existing iterator over a tree"))?;
    stats.trees_decoded += 1;

    let res = tree_iter
        .lookup_entry(
            odb,
            buf2,
            file_path.split(|b| *b == b'/').inspect(|_| stats.trees_decoded += 1),
        )
        .or_raise(|| message("Couldn't find commit or tree in the object database"))?;
    stats.trees_decoded -= 1;
    Ok(res.map(|e| e.oid))
}

type ParentIds = SmallVec<[(gix_hash::ObjectId, i64); 2]>;

fn collect_parents(
    commit: gix_traverse::commit::Either<'_, '_>,
    odb: &impl gix_object::Find,
    cache: Option<&gix_commitgraph::Graph>,
    buf: &mut Vec<u8>,
) -> Result<ParentIds> {
    let mut parent_ids: ParentIds = Default::default();
    match commit {
        gix_traverse::commit::Either::CachedCommit(commit) => {
            let cache = cache
                .as_ref()
                .expect("find returned a cached commit, so we expect cache to be present");
            for parent_pos in commit.iter_parents() {
                let parent = cache.commit_at(
                    parent_pos.or_raise(|| message("Failed to get parent from commitgraph during traversal"))?,
                );
                parent_ids.push((parent.id().to_owned(), parent.committer_timestamp() as i64));
            }
        }
        gix_traverse::commit::Either::CommitRefIter(commit_ref_iter) => {
            for id in commit_ref_iter.parent_ids() {
                let parent = odb.find_commit_iter(id.as_ref(), buf).ok();
                let parent_commit_time = parent
                    .and_then(|parent| parent.committer().ok().map(|committer| committer.seconds()))
                    .unwrap_or_default();
                parent_ids.push((id, parent_commit_time));
            }
        }
    }
    Ok(parent_ids)
}

/// Return an iterator over tokens for use in diffing. These are usually lines, but it's important
/// to unify them so the later access shows the right thing.
pub(crate) fn tokens_for_diffing(data: &[u8]) -> impl TokenSource<Token = &[u8]> {
    gix_diff::blob::sources::byte_lines(data)
}

/// The blame input after resolving [`Start`] and before traversing commit history.
struct InitialState {
    /// The final file contents whose lines are being attributed.
    blamed_file_blob: Vec<u8>,
    /// Requested ranges that still need attribution through commit traversal.
    hunks_to_blame: Vec<UnblamedHunk>,
    /// Entries already resolved while comparing worktree contents to the first suspect.
    out: Vec<BlameEntry>,
    /// The first commit to traverse, or `None` if no history traversal is needed.
    first_suspect: Option<ObjectId>,
}

#[expect(clippy::too_many_arguments)]
fn initial_state(
    odb: &impl gix_object::Find,
    start: Start<'_>,
    cache: Option<&gix_commitgraph::Graph>,
    file_path: &BStr,
    options: &Options,
    buf: &mut Vec<u8>,
    buf2: &mut Vec<u8>,
    stats: &mut Statistics,
) -> Result<InitialState> {
    match start {
        Start::Commit(suspect) => {
            let blamed_file_entry_id = find_path_entry_in_commit(&odb, &suspect, file_path, cache, buf, buf2, stats)?
                .ok_or_raise(|| {
                message!("The file to blame at \"{file_path}\" wasn't found in the first commit at {suspect}")
                    .not_found()
            })?;
            let blamed_file_blob = odb
                .find_blob(&blamed_file_entry_id, buf)
                .or_raise(|| message("Could not find existing blob or commit"))?
                .data
                .to_vec();
            let num_lines_in_blamed = tokens_for_diffing(&blamed_file_blob).tokenize().count() as u32;

            // Binary or otherwise empty?
            if num_lines_in_blamed == 0 {
                return Ok(InitialState {
                    blamed_file_blob,
                    hunks_to_blame: Vec::new(),
                    out: Vec::new(),
                    first_suspect: None,
                });
            }

            let ranges_to_blame = options.ranges.to_zero_based_exclusive_ranges(num_lines_in_blamed);
            let hunks_to_blame = ranges_to_blame
                .into_iter()
                .map(|range| UnblamedHunk::new(range, suspect))
                .collect::<Vec<_>>();

            Ok(InitialState {
                blamed_file_blob,
                hunks_to_blame,
                out: Vec::new(),
                first_suspect: Some(suspect),
            })
        }
        Start::Contents {
            first_suspect,
            contents,
        } => {
            let null_id = first_suspect.kind().null();
            let blamed_file_blob = contents.into_owned();
            let num_lines_in_blamed = tokens_for_diffing(&blamed_file_blob).tokenize().count() as u32;

            if num_lines_in_blamed == 0 {
                return Ok(InitialState {
                    blamed_file_blob,
                    hunks_to_blame: Vec::new(),
                    out: Vec::new(),
                    first_suspect: None,
                });
            }

            let ranges_to_blame = options.ranges.to_zero_based_exclusive_ranges(num_lines_in_blamed);
            let mut hunks_to_blame = ranges_to_blame
                .into_iter()
                .map(|range| UnblamedHunk::new(range, null_id))
                .collect::<Vec<_>>();

            let mut out = Vec::new();

            let Some(first_suspect_entry_id) =
                find_path_entry_in_commit(odb, &first_suspect, file_path, cache, buf, buf2, stats)?
            else {
                // File does not exist in the starting commit. Treat the requested
                // ranges as entirely "not committed yet".
                out.extend(
                    hunks_to_blame
                        .iter()
                        .filter_map(|hunk| BlameEntry::from_unblamed_hunk(hunk, null_id)),
                );

                return Ok(InitialState {
                    blamed_file_blob,
                    hunks_to_blame: Vec::new(),
                    out,
                    first_suspect: None,
                });
            };

            let first_suspect_blob = odb
                .find_blob(&first_suspect_entry_id, buf)
                .or_raise(|| message("Could not find existing blob or commit"))?
                .data
                .to_vec();

            let changes = blob_changes_from_data(&first_suspect_blob, &blamed_file_blob, options.diff_algorithm, stats);
            hunks_to_blame = process_changes(hunks_to_blame, changes, null_id, first_suspect);

            unblamed_to_out_is_done(&mut hunks_to_blame, &mut out, null_id);

            let first_suspect = hunks_to_blame
                .iter()
                .any(|hunk| hunk.has_suspect(&first_suspect))
                .then_some(first_suspect);

            Ok(InitialState {
                blamed_file_blob,
                hunks_to_blame,
                out,
                first_suspect,
            })
        }
    }
}
