//! Per-commit file changes with line statistics, equal to `git log --numstat`.
//!
//! A commit is compared with its first parent (a root commit with the empty tree), with git's
//! rename detection as `git log` runs it (`renames.rs`: renames, no copies, 50% similarity,
//! `diff.renames` and `diff.renameLimit` from the repository's config). Line counts come from a
//! Myers line diff, binary files (a NUL in the first 8000 bytes) count 0/0.
//!
//! The same pairing yields each file's changed lines as `git show --unified=0` prints them
//! ([`Differ::patch_lines`]): git's xdiff with its default indent heuristic and tail trimming.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use gix::bstr::{BStr, ByteSlice};
use gix::diff::tree::visit::Change;
use gix::object::tree::EntryKind;
use gix::ObjectId;

use super::patch;
use super::renames::{self, RenameFile, RenameOptions, SourceState};
use super::text::{count_lines, is_binary};
use super::tree_diff::{self, TreeData};
use crate::error::{Error, Result};
use gitfleet_diffcore::{count_changed_lines, xdiff_hunks, XdiffOptions};

/// One file changed by a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChange {
    pub path: String,
    /// Set for renames and copies.
    pub old_path: Option<String>,
    /// git's status letter: A, M, D, R, C or T.
    pub change_type: char,
    pub additions: i64,
    pub deletions: i64,
    pub is_binary: bool,
    /// The file's patch as `git log -p --full-index` prints it (`patch.rs`); set when asked for.
    pub patch: Option<String>,
}

/// What to compute for each changed file beyond its paths and status.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChangeDetail {
    /// Added and deleted lines, and whether the file is binary.
    pub lines: bool,
    /// The unified diff text.
    pub patch: bool,
}

/// A changed file as its patch names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePatch {
    pub path: String,
    /// Set for renames.
    pub old_path: Option<String>,
    /// git's status letter: A, M, D, R or T.
    pub change_type: char,
}

/// One line a commit removed or added: a `-` or `+` line of `git show --unified=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PatchLine<'a> {
    /// 1-based, in the old file (removed lines).
    pub old_no: Option<u32>,
    /// 1-based, in the new file (added lines).
    pub new_no: Option<u32>,
    pub added: bool,
    /// The line without its newline (a CR of a CRLF line stays).
    pub text: &'a [u8],
}

/// Totals over a commit's file changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DiffStats {
    pub additions: i64,
    pub deletions: i64,
    pub files_changed: i64,
}

impl DiffStats {
    pub(crate) fn of(changes: &[FileChange]) -> Self {
        changes.iter().fold(DiffStats::default(), |acc, c| DiffStats {
            additions: acc.additions + c.additions,
            deletions: acc.deletions + c.deletions,
            files_changed: acc.files_changed + 1,
        })
    }
}

/// Reusable diff machinery for one repository handle (caches and buffers live across commits).
pub(crate) struct Differ<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    renames: RenameOptions,
    /// The largest `diff.renameLimit` a commit so far needed for inexact rename detection.
    needed_rename_limit: Option<usize>,
    trees: ObjectStore,
    /// `followed_change`'s lookups of one path: tree id -> the file there.
    followed: (String, HashMap<ObjectId, Option<(ObjectId, EntryKind)>>),
}

/// Where a followed file came from: its path and blob in the parent, `R` or `C`.
struct FollowSource {
    path: String,
    file: (ObjectId, EntryKind),
    status: char,
}

/// A change as plain data, so blobs can be read after the tree diff's borrow ends.
struct RawChange {
    path: String,
    old_path: Option<String>,
    change_type: char,
    old: Option<(ObjectId, EntryKind)>,
    new: Option<(ObjectId, EntryKind)>,
    /// A rename's similarity score (0..=60000).
    score: u64,
}

impl<'r> Differ<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, name: &'r str) -> Result<Self> {
        Ok(Differ {
            repo,
            name,
            renames: RenameOptions::from_config(&repo.config_snapshot()),
            needed_rename_limit: None,
            trees: ObjectStore::trees(),
            followed: Default::default(),
        })
    }

    /// Set when some commit had too many rename candidates for `diff.renameLimit` (git skips
    /// inexact detection there and warns): the limit that would have been needed.
    pub(crate) fn needed_rename_limit(&self) -> Option<usize> {
        self.needed_rename_limit
    }

    /// The changes from `parent_tree` (None: the empty tree) to `tree`, appended to `out`.
    /// Blobs are read only for what `detail` asks; additions, deletions and is_binary are
    /// otherwise left 0/false.
    pub(crate) fn changes(
        &mut self,
        parent_tree: Option<ObjectId>,
        tree: ObjectId,
        detail: ChangeDetail,
        out: &mut Vec<FileChange>,
    ) -> Result<()> {
        self.each_change(parent_tree, tree, detail, &mut |file| {
            out.push(file);
            Ok(true)
        })?;
        Ok(())
    }

    /// [`Differ::changes`], handing each file to `emit` as soon as it is done, so a caller
    /// need not hold a whole commit's patches; stops early (false) when `emit` does.
    pub(crate) fn each_change(
        &mut self,
        parent_tree: Option<ObjectId>,
        tree: ObjectId,
        detail: ChangeDetail,
        emit: &mut dyn FnMut(FileChange) -> Result<bool>,
    ) -> Result<bool> {
        let raw = self.tree_changes(parent_tree, tree)?;
        for change in raw {
            let (additions, deletions, binary) = if detail.lines {
                self.line_stats(change.old, change.new)?
            } else {
                (0, 0, false)
            };
            let patch = if detail.patch {
                Some(self.patch(&change)?)
            } else {
                None
            };
            let file = FileChange {
                patch,
                path: change.path,
                old_path: change.old_path,
                change_type: change.change_type,
                additions,
                deletions,
                is_binary: binary,
            };
            if !emit(file)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The lines each changed file gained and lost from `parent_tree` (None: the empty tree) to
    /// `tree`, as `git show --unified=0` shows them, for the files whose path `admit` accepts;
    /// stops early (false) when `emit` does. Binary files have no lines; a type change is a
    /// deletion and an addition, and a submodule's lines are `Subproject commit <id>`, as in git.
    pub(crate) fn patch_lines(
        &mut self,
        parent_tree: Option<ObjectId>,
        tree: ObjectId,
        admit: &dyn Fn(&str) -> bool,
        emit: &mut dyn FnMut(&FilePatch, PatchLine<'_>) -> Result<bool>,
    ) -> Result<bool> {
        for change in self.tree_changes(parent_tree, tree)? {
            if !admit(&change.path) {
                continue;
            }
            let file = FilePatch {
                path: change.path,
                old_path: change.old_path,
                change_type: change.change_type,
            };
            let halves = if file.change_type == 'T' {
                vec![(change.old, None), (None, change.new)]
            } else {
                vec![(change.old, change.new)]
            };
            for (old, new) in halves {
                if !self.file_lines(&file, old, new, emit)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn file_lines(
        &mut self,
        file: &FilePatch,
        old: Option<(ObjectId, EntryKind)>,
        new: Option<(ObjectId, EntryKind)>,
        emit: &mut dyn FnMut(&FilePatch, PatchLine<'_>) -> Result<bool>,
    ) -> Result<bool> {
        let (old_data, new_data) = (self.content(old)?, self.content(new)?);
        if is_binary(&old_data) || is_binary(&new_data) {
            return Ok(true);
        }
        let (old_lines, new_lines) = (line_starts(&old_data), line_starts(&new_data));
        for hunk in xdiff_hunks(&old_data, &new_data, XdiffOptions::default()) {
            for i in hunk.before {
                let line = PatchLine {
                    old_no: Some(i + 1),
                    new_no: None,
                    added: false,
                    text: nth_line(&old_data, &old_lines, i),
                };
                if !emit(file, line)? {
                    return Ok(false);
                }
            }
            for i in hunk.after {
                let line = PatchLine {
                    old_no: None,
                    new_no: Some(i + 1),
                    added: true,
                    text: nth_line(&new_data, &new_lines, i),
                };
                if !emit(file, line)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// How the file at `path` changed from `parent_tree` (None: the empty tree) to `tree`, as
    /// `git log --follow` sees it (`follow.rs`): None when it did not; a creation that git's
    /// detection traces to a file of the parent is a rename (`R`, that file was deleted) or a
    /// copy (`C`, it stayed), with `old_path` set. Without `lines`, no blob is read.
    pub(crate) fn followed_change(
        &mut self,
        parent_tree: Option<ObjectId>,
        tree: ObjectId,
        path: &str,
        lines: bool,
    ) -> Result<Option<FileChange>> {
        let new = self.file_at(tree, path)?;
        let old = match parent_tree {
            Some(parent) => self.file_at(parent, path)?,
            None => None,
        };
        let (old_path, old, change_type) = match (old, new) {
            (None, None) => return Ok(None),
            (Some(o), Some(n)) if o == n => return Ok(None),
            (Some(o), Some(n)) => (None, Some(o), if type_changed(o.1, n.1) { 'T' } else { 'M' }),
            (Some(o), None) => (None, Some(o), 'D'),
            (None, Some(n)) => match parent_tree {
                Some(parent) => match self.follow_source(parent, tree, path, n)? {
                    Some(source) => (Some(source.path), Some(source.file), source.status),
                    None => (None, None, 'A'),
                },
                None => (None, None, 'A'),
            },
        };
        let (additions, deletions, is_binary) = if lines {
            self.line_stats(old, new)?
        } else {
            (0, 0, false)
        };
        Ok(Some(FileChange {
            patch: None,
            path: path.to_string(),
            old_path,
            change_type,
            additions,
            deletions,
            is_binary,
        }))
    }

    /// The file (not directory) at `path` in `tree`. Each tree is looked into once per path:
    /// the walk asks for a commit's tree again as the next commit's parent tree.
    fn file_at(&mut self, tree: ObjectId, path: &str) -> Result<Option<(ObjectId, EntryKind)>> {
        if self.followed.0 != path || self.followed.1.len() > 4096 {
            self.followed = (path.to_string(), HashMap::new());
        }
        if let Some(found) = self.followed.1.get(&tree) {
            return Ok(*found);
        }
        let found = self.lookup_file(tree, path)?;
        self.followed.1.insert(tree, found);
        Ok(found)
    }

    fn lookup_file(&self, tree: ObjectId, path: &str) -> Result<Option<(ObjectId, EntryKind)>> {
        let name = self.name;
        let tree = self.repo.find_tree(tree).map_err(|e| Error::git(name, e))?;
        let entry = tree
            .lookup_entry(path.as_bytes().split(|&b| b == b'/'))
            .map_err(|e| Error::git(name, e))?;
        Ok(entry
            .filter(|e| !e.mode().is_tree())
            .map(|e| (e.object_id(), e.mode().kind())))
    }

    /// The file of `parent_tree` that `git log --follow`'s detection (`renames::detect_follow`:
    /// copies harder, `path` the only destination) finds `path` came from when `tree` created
    /// it; `'R'` when that file was deleted, `'C'` when it stayed.
    fn follow_source(
        &mut self,
        parent_tree: ObjectId,
        tree: ObjectId,
        path: &str,
        new: (ObjectId, EntryKind),
    ) -> Result<Option<FollowSource>> {
        let (repo, name) = (self.repo, self.name);
        let mut files = gix::traverse::tree::Recorder::default();
        repo.find_tree(parent_tree)
            .map_err(|e| Error::git(name, e))?
            .traverse()
            .breadthfirst(&mut files)
            .map_err(|e| Error::git(name, e))?;
        let mut sources: Vec<RenameFile> = files
            .records
            .into_iter()
            .filter(|e| !e.mode.is_tree())
            .map(|e| RenameFile {
                path: e.filepath.into(),
                id: e.oid,
                kind: e.mode.kind(),
            })
            .collect();
        // git's queue order: by path bytes, as a tree diff walks.
        sources.sort_by(|a, b| a.path.cmp(&b.path));
        let mut changed: HashMap<Vec<u8>, SourceState> = HashMap::new();
        let trees = &mut self.trees;
        let mut load = |id: &gix::oid| trees.load(repo, name, id);
        let (old_data, new_data) = (load(&parent_tree)?, load(&tree)?);
        let mut visit = |change: Change, location: &BStr| match change {
            Change::Deletion { entry_mode, .. } if !entry_mode.is_tree() => {
                changed.insert(location.to_vec(), SourceState::Deleted);
            }
            Change::Modification {
                previous_entry_mode,
                entry_mode,
                ..
            } if !previous_entry_mode.is_tree() => {
                // A file that became a directory is deleted, as git's tree diff sees it.
                let state = if entry_mode.is_tree() {
                    SourceState::Deleted
                } else {
                    SourceState::Modified
                };
                changed.insert(location.to_vec(), state);
            }
            _ => {}
        };
        tree_diff::diff(
            &old_data,
            &new_data,
            repo.object_hash(),
            name,
            &mut load,
            &mut visit,
        )?;
        let states: Vec<SourceState> = sources
            .iter()
            .map(|s| changed.get(&s.path).copied().unwrap_or(SourceState::Unmodified))
            .collect();
        let target = RenameFile {
            path: path.as_bytes().to_vec(),
            id: new.0,
            kind: new.1,
        };
        let found = renames::detect_follow(
            &sources,
            &states,
            &target,
            self.renames,
            &mut RepoBlobs { repo, name },
        )?;
        Ok(found.map(|(s, _)| {
            let source = &sources[s];
            FollowSource {
                path: location(source.path.as_bstr()),
                file: (source.id, source.kind),
                status: if states[s] == SourceState::Deleted {
                    'R'
                } else {
                    'C'
                },
            }
        }))
    }

    /// One side of a change as its patch shows it: nothing when absent, a submodule as its
    /// `Subproject commit` line, else the blob.
    fn content(&self, side: Option<(ObjectId, EntryKind)>) -> Result<Vec<u8>> {
        Ok(match side {
            None => Vec::new(),
            Some((id, EntryKind::Commit)) => format!("Subproject commit {id}\n").into_bytes(),
            Some((id, _)) => {
                self.repo
                    .find_blob(id)
                    .map_err(|e| Error::git(self.name, e))?
                    .detach()
                    .data
            }
        })
    }

    /// The change's patch as `git log -p --full-index` prints it.
    fn patch(&mut self, change: &RawChange) -> Result<String> {
        let (old_data, new_data) = (self.content(change.old)?, self.content(change.new)?);
        let old_path = change.old_path.as_deref().unwrap_or(&change.path);
        let side = |path, (id, kind): (ObjectId, EntryKind), data| patch::Side {
            path,
            id,
            kind,
            data,
            binary: is_binary(data),
        };
        let old = change.old.map(|o| side(old_path, o, &old_data));
        let new = change.new.map(|n| side(&change.path, n, &new_data));
        // git's `similarity_index`: the score as a whole percentage, rounded down.
        let similarity = (change.change_type == 'R').then(|| change.score * 100 / 60000);
        let mut text = String::new();
        patch::write_patch(&mut text, old, new, similarity);
        // The text grew by doubling; a commit's patches wait in memory until its rows are
        // built, so each keeps only its own length (git.git's largest commits carry tens of MB).
        text.shrink_to_fit();
        Ok(text)
    }

    /// The tree diff, then git's rename detection over its additions and deletions.
    fn tree_changes(&mut self, parent_tree: Option<ObjectId>, tree: ObjectId) -> Result<Vec<RawChange>> {
        let (repo, name) = (self.repo, self.name);
        let trees = &mut self.trees;
        let mut load = |id: &gix::oid| trees.load(repo, name, id);
        let old = parent_tree.map(|id| load(&id)).transpose()?;
        let new = load(&tree)?;
        let mut raw = Vec::new();
        let (mut deleted, mut added) = (Vec::new(), Vec::new());
        let mut visit =
            |change: Change, location: &BStr| match (&change, RenameFile::of_change(&change, location)) {
                (Change::Addition { .. }, Some(file)) => added.push(file),
                (Change::Deletion { .. }, Some(file)) => deleted.push(file),
                _ => raw.extend(modification(&change, location)),
            };
        let old_data = old.as_deref().unwrap_or_default();
        tree_diff::diff(old_data, &new, repo.object_hash(), name, &mut load, &mut visit)?;
        // Pairing depends on order: git's queue is sorted by path.
        deleted.sort_by(|a, b| a.path.cmp(&b.path));
        added.sort_by(|a, b| a.path.cmp(&b.path));
        let found = renames::detect(&deleted, &added, self.renames, &mut RepoBlobs { repo, name })?;
        if let Some(needed) = found.needed_limit {
            self.needed_rename_limit = self.needed_rename_limit.max(Some(needed));
        }
        let mut source_used = vec![false; deleted.len()];
        for ((file, source), &score) in added.iter().zip(&found.source_of).zip(&found.score_of) {
            let old = source.map(|s| {
                source_used[s] = true;
                &deleted[s]
            });
            raw.push(RawChange {
                path: location(file.path.as_bstr()),
                old_path: old.map(|o| location(o.path.as_bstr())),
                change_type: if old.is_some() { 'R' } else { 'A' },
                old: old.map(|o| (o.id, o.kind)),
                new: Some((file.id, file.kind)),
                score,
            });
        }
        for (file, _) in deleted.iter().zip(&source_used).filter(|(_, used)| !**used) {
            raw.push(RawChange {
                path: location(file.path.as_bstr()),
                old_path: None,
                change_type: 'D',
                old: Some((file.id, file.kind)),
                new: None,
                score: 0,
            });
        }
        // git lists changes sorted by path.
        raw.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(raw)
    }

    fn line_stats(
        &mut self,
        old: Option<(ObjectId, EntryKind)>,
        new: Option<(ObjectId, EntryKind)>,
    ) -> Result<(i64, i64, bool)> {
        // Submodules are shown by git as a one-line "Subproject commit" change.
        let is_commit = |side: &Option<(ObjectId, EntryKind)>| matches!(side, Some((_, EntryKind::Commit)));
        if is_commit(&old) || is_commit(&new) {
            return Ok((i64::from(new.is_some()), i64::from(old.is_some()), false));
        }
        let name = self.name;
        // Blobs are used where gix put them: no copy into buffers of our own.
        let read = |side: Option<(ObjectId, EntryKind)>| -> Result<Option<gix::Blob<'r>>> {
            side.map(|(id, _)| self.repo.find_blob(id).map_err(|e| Error::git(name, e)))
                .transpose()
        };
        let (mut old_blob, mut new_blob) = (read(old)?, read(new)?);
        let old_data: &[u8] = old_blob.as_ref().map_or(&[], |b| &b.data);
        let new_data: &[u8] = new_blob.as_ref().map_or(&[], |b| &b.data);
        let stats = if is_binary(old_data) || is_binary(new_data) {
            (0, 0, true)
        } else if old.is_none() {
            (count_lines(new_data), 0, false)
        } else if new.is_none() {
            (0, count_lines(old_data), false)
        } else {
            let (a, d) = count_changed_lines(old_data, new_data);
            (a, d, false)
        };
        for blob in [&mut old_blob, &mut new_blob].into_iter().flatten() {
            unpool_if_large(blob);
        }
        Ok(stats)
    }
}

/// The largest buffer a blob may hand back to gix's per-handle buffer pool.
const POOLED_BUFFER_BYTES: usize = 1 << 20;

/// Frees the blob's buffer instead of returning it to gix's pool when it is large. The pool
/// keeps each buffer at the largest size it ever reached, and a buffer that resolved the delta
/// chain of a history's largest file holds several times that file: without this, a repository
/// with one 200 MB file would keep that much per worker for the rest of the scan. (On git.git,
/// whose largest file is 3.6 MB, it changed the stats scan's heap peak by 5 MB, from 113 MB.)
fn unpool_if_large(blob: &mut gix::Blob<'_>) {
    if blob.data.capacity() > POOLED_BUFFER_BYTES {
        drop(blob.take_data());
    }
}

/// Where each line of `data` starts.
fn line_starts(data: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        data.iter()
            .enumerate()
            .filter(|(_, &c)| c == b'\n')
            .map(|(i, _)| i + 1),
    );
    if starts.last() == Some(&data.len()) {
        starts.pop();
    }
    starts
}

/// Line `i` of `data` without its newline.
fn nth_line<'a>(data: &'a [u8], starts: &[usize], i: u32) -> &'a [u8] {
    let start = starts[i as usize];
    let end = starts.get(i as usize + 1).copied().unwrap_or(data.len());
    data[start..end].strip_suffix(b"\n").unwrap_or(&data[start..end])
}

fn location(path: &BStr) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// A modified file as a change (M, or T when it became or stopped being a symlink or
/// submodule); None for directories and for additions and deletions.
fn modification(change: &Change, path: &BStr) -> Option<RawChange> {
    let file = |mode: gix::object::tree::EntryMode| (!mode.is_tree()).then(|| mode.kind());
    let Change::Modification {
        previous_entry_mode,
        previous_oid,
        entry_mode,
        oid,
    } = *change
    else {
        return None;
    };
    let (old_kind, new_kind) = (file(previous_entry_mode)?, file(entry_mode)?);
    Some(RawChange {
        path: location(path),
        old_path: None,
        change_type: if type_changed(old_kind, new_kind) {
            'T'
        } else {
            'M'
        },
        old: Some((previous_oid, old_kind)),
        new: Some((oid, new_kind)),
        score: 0,
    })
}

/// Blob sizes and contents for rename scoring, from the repository's object database.
pub(super) struct RepoBlobs<'r> {
    pub(super) repo: &'r gix::Repository,
    pub(super) name: &'r str,
}

impl renames::Blobs for RepoBlobs<'_> {
    fn size(&mut self, id: &ObjectId) -> Result<u64> {
        let header = self.repo.find_header(*id).map_err(|e| Error::git(self.name, e))?;
        Ok(header.size())
    }

    fn data(&mut self, id: &ObjectId) -> Result<Vec<u8>> {
        let blob = self.repo.find_blob(*id).map_err(|e| Error::git(self.name, e))?;
        Ok(blob.detach().data)
    }
}

/// A file became or stopped being a symlink or a submodule: git's `T`.
fn type_changed(old: EntryKind, new: EntryKind) -> bool {
    let is_link = |kind| kind == EntryKind::Link;
    let is_submodule = |kind| kind == EntryKind::Commit;
    is_link(old) != is_link(new) || is_submodule(old) != is_submodule(new)
}

/// Decoded objects of one kind kept across commits, capped by bytes, shared (not copied) with
/// the caller.
/// - Trees (`trees()`): a commit's parent tree is read again as the next commit's own tree
///   (newest-first walk), and large directories change in most commits. Older versions are the
///   pack cache's job: on git.git's stats scan 4 MB per worker took 14.5–14.7 CPU-s and 8 MB
///   15.0–15.1, with 102–105 against 111–113 MB of anonymous memory (2 and 1 MB: no faster).
/// - Blobs (`blobs()`): blame reads a file's version once as the parent's side of a diff and
///   again, commits later, as the child's side of the next one.
pub(super) struct ObjectStore {
    kind: gix::objs::Kind,
    cap: usize,
    objects: HashMap<ObjectId, TreeData>,
    order: VecDeque<ObjectId>,
    bytes: usize,
    scratch: Vec<u8>,
}

const TREE_STORE_BYTES: usize = 4 * 1024 * 1024;

impl ObjectStore {
    pub(super) fn trees() -> Self {
        Self::new(gix::objs::Kind::Tree, TREE_STORE_BYTES)
    }

    pub(super) fn blobs(cap: usize) -> Self {
        Self::new(gix::objs::Kind::Blob, cap)
    }

    fn new(kind: gix::objs::Kind, cap: usize) -> Self {
        ObjectStore {
            kind,
            cap,
            objects: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            scratch: Vec::new(),
        }
    }

    pub(super) fn load(&mut self, repo: &gix::Repository, name: &str, id: &gix::oid) -> Result<TreeData> {
        if let Some(found) = self.objects.get(id) {
            return Ok(Rc::clone(found));
        }
        use gix::objs::Find;
        // gix resolves delta chains in a buffer several times the object's size: one scratch
        // buffer is reused for that, and the object is copied out at its exact size.
        let expected = self.kind;
        let kind = repo
            .objects
            .try_find(id, &mut self.scratch)
            .map_err(|e| Error::git(name, e))?
            .ok_or_else(|| Error::git(name, format!("{expected} {id} not found")))?
            .kind;
        if kind != expected {
            return Err(Error::git(
                name,
                format!("object {id} is a {kind}, expected a {expected}"),
            ));
        }
        let object: TreeData = Rc::from(self.scratch.as_slice());
        self.put(id.to_owned(), &object);
        Ok(object)
    }

    fn put(&mut self, id: ObjectId, object: &TreeData) {
        if object.len() > self.cap / 8 || self.objects.contains_key(&id) {
            return;
        }
        self.bytes += object.len();
        self.objects.insert(id, Rc::clone(object));
        self.order.push_back(id);
        while self.bytes > self.cap {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(evicted) = self.objects.remove(&old) {
                self.bytes -= evicted.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_store_stays_under_its_byte_cap() {
        let mut store = ObjectStore::trees();
        let id = |n: u32| {
            let mut bytes = [0u8; 20];
            bytes[..4].copy_from_slice(&n.to_be_bytes());
            ObjectId::try_from(bytes.as_slice()).unwrap()
        };
        let tree: TreeData = Rc::from(vec![7u8; TREE_STORE_BYTES / 16]);
        for n in 0..40 {
            store.put(id(n), &tree);
            assert!(store.bytes <= TREE_STORE_BYTES);
        }
        assert!(store.objects.contains_key(&id(39)), "newest kept");
        assert!(!store.objects.contains_key(&id(0)), "oldest evicted");
        store.put(id(100), &Rc::from(vec![0u8; TREE_STORE_BYTES / 4]));
        assert!(!store.objects.contains_key(&id(100)), "huge trees are not stored");
        assert_eq!(
            store.bytes,
            store.objects.values().map(|t| t.len()).sum::<usize>()
        );
    }
}
