//! `git blame` of many files in one walk of the history that all of them share.
//!
//! Blaming file by file (gix-blame, `blame.rs`) walks the history once per file, and each walk
//! reads the trees of the commits that may have touched its file: on git.git's HEAD (4,000
//! files) most of the time went to reading the same trees again for other files. Here the
//! history is walked once, newest commit first, with each file's unblamed lines waiting at the
//! (commit, path) they are suspected at. A commit is compared with its first parent once, one
//! tree diff for every file waiting there; the files it did not change move to that parent as a
//! group, and only the changed ones are diffed line by line.
//!
//! The answer is `git blame`'s (`blame.c` without -M/-C, whole-file renames followed). Where a
//! line ends up depends only on the (commit, path, line) it has reached, not on the order in
//! which the walk takes suspects up, so sharing the walk changes nothing for any file. At each
//! suspect, as git's `pass_blame`:
//! 1. a parent with the same blob at the path takes every line (parents in order, git's
//!    `find_origin`; a file becoming or ceasing to be a symlink has no origin there);
//! 2. then the same among renames, for the parents without the path (`find_rename`);
//! 3. otherwise each parent in order takes the lines its version shares with the commit's (the
//!    diff git's blame runs), a parent whose blob an earlier one has taking none;
//! 4. the lines left are blamed on the commit; a root commit takes all that reach it.
//!
//! Two invariants carry this: every origin waiting at a (commit, path) holds that commit's
//! blob there, whichever files' lines it holds; and `Paths` counts a line as waiting under its
//! path from the moment it arrives until it is blamed, so the tree diffs never leave out a
//! directory where lines still wait. A commit is diffed once each time the walk takes it up:
//! once, unless clock skew brings lines to it after it was taken up.
//!
//! Known departures from git, both out of reach of ordinary histories: git's `find_origin`
//! reuses an origin already waiting at (parent, path) without asking whether the path changed
//! type there, so a symlink reached by a rename can lend its lines to a file of the same name;
//! and git stops using the commit-graph when replace refs or grafts exist, which the walk does
//! not check. A parent commit that cannot be read is an error here; git passes over it.
//!
//! `--ignore-rev` is not done here: git's fuzzy matching of an ignored commit's lines looks at
//! them a file at a time, so such blames go file by file (`blame.rs`).

use std::cmp::Reverse;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use gix::bstr::{BStr, ByteSlice};
use gix::diff::tree::visit::Change;
use gix::object::tree::{EntryKind, EntryMode};
use gix::objs::TreeRefIter;
use gix::ObjectId;

use super::blame::{BlamedFile, BlamedLine, LineRun, PathSelection};
use super::blame_renames::BlameRenames;
use super::bloom::{ChangedPaths, PathKey};
use super::diff::ObjectStore;
use super::graph::{node, Node};
use super::tree::TreeFile;
use super::tree_diff;
use crate::error::{Error, Result};

/// With at most this many paths waiting at a commit, the Bloom filters are asked before its
/// trees are diffed (stopping at the first "maybe"); with more, some path nearly always may have
/// changed. On git.git's 107-file blame sample 16 took 3.3 CPU-s, 64 2.5 and 256 2.4.
const BLOOM_PATHS: usize = 256;

/// Blob versions kept between the diff that reads one as a parent's and the later one that
/// reads it as the child's. On git.git's whole HEAD (two workers) 16 MB took 28.5 CPU-s, 64 MB
/// 27.2 and 128 MB 28.1, within the noise, while each MB is resident per worker.
const BLOB_CACHE_BYTES: usize = 16 << 20;

type PathId = u32;

/// Files' blamed lines, by path.
pub type BlamedPaths = Vec<(String, Vec<BlamedLine>)>;

/// The blame of `paths` at `commit` in one walk, by path, and what the walk did (for tests).
pub fn blame_paths(
    repo: &gix::Repository,
    commit: ObjectId,
    paths: &[&str],
) -> Result<(BlamedPaths, WalkStats)> {
    let selection = PathSelection {
        exact: Some(paths.iter().map(|p| p.to_string()).collect()),
        ..Default::default()
    };
    let files = super::blame::files_to_blame(repo, "repo", commit, &selection)?;
    let mut blamed = Vec::new();
    let stats = blame_together(
        repo,
        "repo",
        commit,
        files,
        &AtomicBool::new(false),
        &mut |file| {
            blamed.push((file.path, file.lines));
            Ok(true)
        },
    )?;
    blamed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((blamed, stats))
}

/// Lines of one blamed file waiting at an origin: `len` lines from `blamed` in the file as
/// blamed, from `source` in the origin's blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lines {
    file: u32,
    blamed: u32,
    source: u32,
    len: u32,
}

/// A path at a commit, with the lines suspected there.
#[derive(Debug)]
struct Origin {
    blob: ObjectId,
    lines: Vec<Lines>,
}

/// The origins waiting at one commit, by path.
type Suspects = HashMap<PathId, Origin>;

/// Lines of a file that are blamed, and the path they had in the commit blamed.
struct Blamed {
    run: LineRun,
    path: PathId,
}

/// How a waiting path differs from the commit's first parent.
#[derive(Debug, Clone, Copy)]
enum Before {
    /// The parent has another blob of the same kind there.
    Blob(ObjectId),
    /// The parent has no file of the same kind there (absent, a directory, a submodule, a
    /// symlink for a file or the reverse): git's `A` and `T`.
    Nothing,
}

/// What a walk did.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkStats {
    /// Commits taken up (a commit reached again after it was taken up counts again).
    pub commits: usize,
    /// Commits whose trees were not read because the Bloom filters ruled out every waiting path.
    pub skipped_by_filters: usize,
    pub tree_diffs: usize,
    pub blob_diffs: usize,
}

/// Blames `files` at `commit` in one walk; `emit` gets each file when its last line is blamed
/// (not in path order) and may return false to stop, as may another thread with `stop`.
pub(crate) fn blame_together(
    repo: &gix::Repository,
    name: &str,
    commit: ObjectId,
    files: Vec<TreeFile>,
    stop: &AtomicBool,
    emit: &mut dyn FnMut(BlamedFile) -> Result<bool>,
) -> Result<WalkStats> {
    let mut walk = Walk::new(repo, name, files)?;
    if !walk.start(commit, emit)? {
        return Ok(walk.stats);
    }
    while let Some((_, _, id)) = walk.queue.pop() {
        if stop.load(Ordering::Relaxed) {
            return Ok(walk.stats);
        }
        walk.step(id)?;
        for file in std::mem::take(&mut walk.done) {
            if !emit(walk.lines_of(file)?)? {
                return Ok(walk.stats);
            }
        }
    }
    // Every line reaches a commit without parents at the latest.
    match walk.left.iter().position(|&n| n > 0) {
        Some(file) => Err(Error::git(
            name,
            format!("blame of {} ended with lines unblamed", walk.files[file].path),
        )),
        None => Ok(walk.stats),
    }
}

struct Walk<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    graph: Option<gix::commitgraph::Graph>,
    shallow: Vec<ObjectId>,
    changed_paths: Option<ChangedPaths>,
    algorithm: gix::diff::blob::Algorithm,
    renames: BlameRenames<'r>,
    trees: ObjectStore,
    paths: Paths,
    /// Commits with suspects, each queued once.
    waiting: HashMap<ObjectId, Suspects>,
    /// The queued commits: newest committer date first, ties in the order queued (git's).
    queue: BinaryHeap<(i64, Reverse<u64>, ObjectId)>,
    queued: u64,
    nodes: HashMap<ObjectId, Node>,
    files: Vec<TreeFile>,
    blamed: Vec<Vec<Blamed>>,
    /// Lines of each file not yet blamed.
    left: Vec<u32>,
    /// Files whose last line was blamed in the last step.
    done: Vec<usize>,
    blobs: ObjectStore,
    stats: WalkStats,
}

/// Paths interned (every line of a file waits under the same few), and where lines wait.
#[derive(Default)]
struct Paths {
    ids: HashMap<Vec<u8>, PathId>,
    names: Vec<Vec<u8>>,
    keys: Vec<Option<PathKey>>,
    /// Lines waiting under each path, at any commit.
    waiting: Vec<u64>,
    /// Directories with lines waiting below them: how many of their paths have some. The tree
    /// diffs enter no other directory.
    dirs: HashMap<Vec<u8>, u32>,
}

impl Paths {
    fn intern(&mut self, path: &[u8]) -> PathId {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.names.len() as PathId;
        self.ids.insert(path.to_vec(), id);
        self.names.push(path.to_vec());
        self.keys.push(None);
        self.waiting.push(0);
        id
    }

    /// `lines` more lines wait under `path`.
    fn add(&mut self, path: PathId, lines: u64) {
        let waiting = &mut self.waiting[path as usize];
        let was = *waiting;
        *waiting += lines;
        if was == 0 && lines > 0 {
            for dir in tree_diff::parents_of(&self.names[path as usize]) {
                *self.dirs.entry(dir.to_vec()).or_default() += 1;
            }
        }
    }

    /// `lines` fewer lines wait under `path`.
    fn remove(&mut self, path: PathId, lines: u64) {
        let waiting = &mut self.waiting[path as usize];
        debug_assert!(*waiting >= lines, "lines are never lost on the way");
        *waiting = waiting.saturating_sub(lines);
        if *waiting == 0 && lines > 0 {
            for dir in tree_diff::parents_of(&self.names[path as usize]) {
                if let MapEntry::Occupied(mut count) = self.dirs.entry(dir.to_vec()) {
                    *count.get_mut() -= 1;
                    if *count.get() == 0 {
                        count.remove();
                    }
                }
            }
        }
    }

    fn moved(&mut self, from: PathId, to: PathId, lines: &[Lines]) {
        if from != to {
            let count = lines.iter().map(|l| u64::from(l.len)).sum();
            self.add(to, count);
            self.remove(from, count);
        }
    }

    fn name(&self, id: PathId) -> &[u8] {
        &self.names[id as usize]
    }

    fn key(&mut self, id: PathId) -> &PathKey {
        let (names, keys) = (&self.names, &mut self.keys);
        keys[id as usize].get_or_insert_with(|| PathKey::new(&names[id as usize]))
    }
}

impl<'r> Walk<'r> {
    fn new(repo: &'r gix::Repository, name: &'r str, files: Vec<TreeFile>) -> Result<Self> {
        let shallow = super::shallow_boundary(repo, name)?;
        let graph = match shallow.is_empty() {
            true => repo.commit_graph_if_enabled().map_err(|e| Error::git(name, e))?,
            false => None,
        };
        // Where git would read them: with the commit-graph, unless
        // commitGraph.readChangedPaths is off. (They never answer "unchanged" wrongly.)
        let read_changed_paths = repo
            .config_snapshot()
            .boolean("commitGraph.readChangedPaths")
            .unwrap_or(true);
        let changed_paths = (graph.is_some() && read_changed_paths)
            .then(|| ChangedPaths::open(repo.objects.store_ref().path()))
            .flatten();
        Ok(Walk {
            repo,
            name,
            graph,
            shallow,
            changed_paths,
            algorithm: repo.diff_algorithm().map_err(|e| Error::git(name, e))?,
            renames: BlameRenames::new(repo, name),
            trees: ObjectStore::trees(),
            paths: Paths::default(),
            waiting: HashMap::new(),
            queue: BinaryHeap::new(),
            queued: 0,
            nodes: HashMap::new(),
            blamed: files.iter().map(|_| Vec::new()).collect(),
            left: vec![0; files.len()],
            files,
            done: Vec::new(),
            blobs: ObjectStore::blobs(BLOB_CACHE_BYTES),
            stats: WalkStats::default(),
        })
    }

    /// Every line of every file waits at `commit`; empty files are emitted at once.
    fn start(&mut self, commit: ObjectId, emit: &mut dyn FnMut(BlamedFile) -> Result<bool>) -> Result<bool> {
        let mut suspects = Suspects::new();
        for index in 0..self.files.len() {
            let file = &self.files[index];
            let lines = self.read_blob(file.id)?;
            let count = u32::try_from(gitfleet_diffcore::count_lines(&lines)).unwrap_or(u32::MAX);
            if count == 0 {
                let empty = BlamedFile {
                    path: file.path.clone(),
                    lines: Vec::new(),
                };
                if !emit(empty)? {
                    return Ok(false);
                }
                continue;
            }
            self.left[index] = count;
            // The name as stored: one that is not UTF-8 is only approximated by `file.path`.
            let path = self.paths.intern(&file.raw_path);
            self.paths.add(path, u64::from(count));
            let lines = Lines {
                file: index as u32,
                blamed: 0,
                source: 0,
                len: count,
            };
            suspects.insert(
                path,
                Origin {
                    blob: file.id,
                    lines: vec![lines],
                },
            );
        }
        if !suspects.is_empty() {
            self.wait_all(commit, suspects)?;
        }
        Ok(true)
    }

    fn node(&mut self, id: ObjectId) -> Result<&Node> {
        if !self.nodes.contains_key(&id) {
            let found = node(self.repo, self.name, self.graph.as_ref(), &self.shallow, id)?;
            self.nodes.insert(id, found);
        }
        Ok(&self.nodes[&id])
    }

    fn enqueue(&mut self, id: ObjectId) -> Result<()> {
        let time = self.node(id)?.time;
        self.queued += 1;
        self.queue.push((time, Reverse(self.queued), id));
        Ok(())
    }

    /// The lines of `origin` wait at `path` in `commit`.
    fn wait(&mut self, commit: ObjectId, path: PathId, origin: Origin) -> Result<()> {
        if !self.waiting.contains_key(&commit) {
            self.enqueue(commit)?;
        }
        join(self.waiting.entry(commit).or_default(), path, origin);
        Ok(())
    }

    /// Every origin of `suspects` waits, unchanged, in `commit`.
    fn wait_all(&mut self, commit: ObjectId, suspects: Suspects) -> Result<()> {
        let Some(waiting) = self.waiting.remove(&commit) else {
            self.enqueue(commit)?;
            self.waiting.insert(commit, suspects);
            return Ok(());
        };
        // The smaller set joins the larger: at a fork point a side branch's few files meet
        // the main line's many.
        let (mut into, from) = match waiting.len() >= suspects.len() {
            true => (waiting, suspects),
            false => (suspects, waiting),
        };
        for (path, origin) in from {
            join(&mut into, path, origin);
        }
        self.waiting.insert(commit, into);
        Ok(())
    }

    /// Takes up the suspects waiting at `id`.
    fn step(&mut self, id: ObjectId) -> Result<()> {
        let Some(mut suspects) = self.waiting.remove(&id) else {
            return Ok(());
        };
        self.stats.commits += 1;
        let commit = match self.nodes.remove(&id) {
            Some(found) => found,
            None => node(self.repo, self.name, self.graph.as_ref(), &self.shallow, id)?,
        };
        let Some(&first) = commit.parents.first() else {
            for (path, origin) in suspects {
                self.assign(id, path, origin.lines)?;
            }
            return Ok(());
        };
        let changed = self.changed_against(&commit, first, &suspects)?;
        let changed: Vec<(PathId, Origin, Before)> = changed
            .into_iter()
            .filter_map(|(path, before)| suspects.remove(&path).map(|o| (path, o, before)))
            .collect();
        if !suspects.is_empty() {
            self.wait_all(first, suspects)?;
        }
        for (path, origin, before) in changed {
            self.pass(&commit, path, origin, before)?;
        }
        // Parents read for their trees but given no lines are not needed again.
        for parent in &commit.parents {
            if !self.waiting.contains_key(parent) {
                self.nodes.remove(parent);
            }
        }
        Ok(())
    }

    /// The waiting paths that differ between `commit` and its first parent, and how.
    fn changed_against(
        &mut self,
        commit: &Node,
        first: ObjectId,
        suspects: &Suspects,
    ) -> Result<Vec<(PathId, Before)>> {
        if let Some(filters) = &self.changed_paths {
            if suspects.len() <= BLOOM_PATHS
                && suspects
                    .keys()
                    .all(|&path| filters.maybe_changed(&commit.id, self.paths.key(path)) == Some(false))
            {
                self.stats.skipped_by_filters += 1;
                return Ok(Vec::new());
            }
        }
        let parent_tree = self.node(first)?.tree;
        self.stats.tree_diffs += 1;
        let (repo, name) = (self.repo, self.name);
        let trees = &mut self.trees;
        let mut load = |id: &gix::oid| trees.load(repo, name, id);
        let (old, new) = (load(&parent_tree)?, load(&commit.tree)?);
        let (ids, dirs) = (&self.paths.ids, &self.paths.dirs);
        let mut changed = Vec::new();
        let mut visit = |change: Change, location: &BStr| {
            let Some(&path) = ids.get(location.as_bytes()) else {
                return;
            };
            if !suspects.contains_key(&path) {
                return;
            }
            match change {
                Change::Modification {
                    previous_entry_mode,
                    previous_oid,
                    entry_mode,
                    oid,
                } => {
                    if !same_kind(previous_entry_mode, entry_mode) {
                        changed.push((path, Before::Nothing));
                    } else if previous_oid != oid {
                        changed.push((path, Before::Blob(previous_oid)));
                    }
                }
                Change::Addition { entry_mode, .. } if !entry_mode.is_tree() => {
                    changed.push((path, Before::Nothing));
                }
                _ => {}
            }
        };
        let mut enter = |dir: &BStr| dirs.contains_key(dir.as_bytes());
        tree_diff::diff_below(
            &old,
            &new,
            repo.object_hash(),
            name,
            &mut load,
            &mut visit,
            &mut enter,
        )?;
        Ok(changed)
    }

    /// git's `pass_blame` for one origin that differs from the first parent.
    fn pass(&mut self, commit: &Node, path: PathId, origin: Origin, first_parent: Before) -> Result<()> {
        let parents = &commit.parents;
        let mut found: Vec<Option<(PathId, ObjectId)>> = vec![None; parents.len()];
        // git's find_origin, parent by parent: the first with the same blob takes every line.
        for (index, &parent) in parents.iter().enumerate() {
            let blob = match index {
                0 => match first_parent {
                    Before::Blob(blob) => Some(blob),
                    Before::Nothing => None,
                },
                _ => {
                    let tree = self.node(parent)?.tree;
                    self.file_at(tree, path, commit.tree)?
                }
            };
            if blob == Some(origin.blob) {
                return self.wait(parent, path, origin);
            }
            found[index] = blob.map(|blob| (path, blob));
        }
        // git's find_rename, for the parents without the path.
        for (index, &parent) in parents.iter().enumerate() {
            if found[index].is_some() {
                continue;
            }
            let parent_tree = self.node(parent)?.tree;
            let name = BStr::new(self.paths.name(path)).to_owned();
            let Some((source, blob)) = self.renames.find(&parent_tree, &commit.tree, name.as_ref())? else {
                continue;
            };
            let source = self.paths.intern(&source);
            if blob == origin.blob {
                self.paths.moved(path, source, &origin.lines);
                return self.wait(parent, source, origin);
            }
            found[index] = Some((source, blob));
        }
        // Each parent takes the lines it shares with this version; the rest are this commit's.
        let mut lines = origin.lines;
        for (index, &parent) in parents.iter().enumerate() {
            let Some((source, blob)) = found[index] else {
                continue;
            };
            if lines.is_empty() {
                break;
            }
            if found[..index]
                .iter()
                .flatten()
                .any(|&(_, earlier)| earlier == blob)
            {
                continue;
            }
            let hunks = self.hunks(blob, origin.blob, lines[0].file)?;
            let (passed, kept) = split(lines, &hunks);
            lines = kept;
            if !passed.is_empty() {
                self.paths.moved(path, source, &passed);
                self.wait(parent, source, Origin { blob, lines: passed })?;
            }
        }
        self.assign(commit.id, path, lines)
    }

    /// The blob at `path` in `tree` when it is a file of the same kind as at `path` in
    /// `commit_tree` (git's find_origin: a type change has no origin).
    fn file_at(&mut self, tree: ObjectId, path: PathId, commit_tree: ObjectId) -> Result<Option<ObjectId>> {
        let Some((mode, blob)) = self.lookup(tree, path)? else {
            return Ok(None);
        };
        let Some((own_mode, _)) = self.lookup(commit_tree, path)? else {
            return Ok(None);
        };
        Ok(same_kind(mode, own_mode).then_some(blob))
    }

    /// The entry at `path` in `tree`.
    fn lookup(&mut self, tree: ObjectId, path: PathId) -> Result<Option<(EntryMode, ObjectId)>> {
        let (repo, name) = (self.repo, self.name);
        let mut tree = tree;
        let full = self.paths.name(path);
        let mut components = full.split(|&b| b == b'/').peekable();
        while let Some(component) = components.next() {
            let data = self.trees.load(repo, name, &tree)?;
            let mut found = None;
            for entry in TreeRefIter::from_bytes(&data, repo.object_hash()) {
                let entry = entry.map_err(|e| Error::git(name, e))?;
                if entry.filename == component {
                    found = Some((entry.mode, entry.oid.to_owned()));
                    break;
                }
            }
            match found {
                Some(found) if components.peek().is_none() => return Ok(Some(found)),
                Some((mode, id)) if mode.is_tree() => tree = id,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The diff git's blame runs from `old` to `new`: (before, after) line ranges. Errors name
    /// `file`, one of the files blamed.
    fn hunks(&mut self, old: ObjectId, new: ObjectId, file: u32) -> Result<Vec<(Range<u32>, Range<u32>)>> {
        let (repo, name) = (self.repo, self.name);
        let mut read = |id: ObjectId| {
            self.blobs.load(repo, name, &id).map_err(|e| match e {
                Error::Git { message, .. } => Error::git(
                    name,
                    format!("blame {}: {message}", self.files[file as usize].path),
                ),
                other => other,
            })
        };
        let (old, new) = (read(old)?, read(new)?);
        self.stats.blob_diffs += 1;
        Ok(gix::blame::diff_hunks(&old, &new, self.algorithm))
    }

    fn read_blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        let blob = self.repo.find_blob(id).map_err(|e| Error::git(self.name, e))?;
        Ok(blob.detach().data)
    }

    /// `lines` of `path` are blamed on `commit`.
    fn assign(&mut self, commit: ObjectId, path: PathId, lines: Vec<Lines>) -> Result<()> {
        self.paths
            .remove(path, lines.iter().map(|l| u64::from(l.len)).sum());
        for lines in lines {
            let file = lines.file as usize;
            let run = LineRun {
                blamed: lines.blamed,
                len: lines.len,
                commit,
                source: lines.source,
            };
            self.blamed[file].push(Blamed { run, path });
            // Lines are never made up or lost on the way; if they were, say so, not wrap.
            self.left[file] = self.left[file].checked_sub(lines.len).ok_or_else(|| {
                Error::git(
                    self.name,
                    format!(
                        "blame {}: more lines blamed than the file has",
                        self.files[file].path
                    ),
                )
            })?;
            if self.left[file] == 0 {
                self.done.push(file);
            }
        }
        Ok(())
    }

    /// A finished file's lines, in order.
    fn lines_of(&mut self, file: usize) -> Result<BlamedFile> {
        let mut blamed = std::mem::take(&mut self.blamed[file]);
        blamed.sort_unstable_by_key(|b| b.run.blamed);
        let tree_file = &self.files[file];
        let data = self.read_blob(tree_file.id)?;
        let contents: Vec<&[u8]> = data.lines_with_terminator().collect();
        let mut lines = Vec::with_capacity(contents.len());
        for piece in blamed {
            let name = self.paths.name(piece.path);
            let orig_path = (name != tree_file.raw_path).then(|| name.to_str_lossy().into_owned());
            piece.run.push_lines(&contents, orig_path, &mut lines);
        }
        Ok(BlamedFile {
            path: tree_file.path.clone(),
            lines,
        })
    }
}

/// Adds `origin`'s lines to those waiting at `path` among `suspects` (the same commit, so the
/// same blob).
fn join(suspects: &mut Suspects, path: PathId, origin: Origin) {
    match suspects.entry(path) {
        MapEntry::Occupied(mut waiting) => {
            debug_assert_eq!(waiting.get().blob, origin.blob, "one blob per (commit, path)");
            waiting.get_mut().lines.extend(origin.lines);
        }
        MapEntry::Vacant(slot) => {
            slot.insert(origin);
        }
    }
}

/// Both regular files (executable or not), or both symlinks: a change between them is git's
/// `M`; anything else is `T` (or a directory), which blame does not follow.
fn same_kind(a: EntryMode, b: EntryMode) -> bool {
    let class = |mode: EntryMode| match mode.kind() {
        EntryKind::Blob | EntryKind::BlobExecutable => Some(false),
        EntryKind::Link => Some(true),
        EntryKind::Tree | EntryKind::Commit => None,
    };
    class(a).is_some() && class(a) == class(b)
}

/// Splits waiting `lines` of a version by the diff `hunks` from a parent's version to it
/// (sorted (before, after) line ranges): lines outside every hunk's after-range are the
/// parent's too and go to it at their line there; lines inside one stay. (passed, kept).
fn split(lines: Vec<Lines>, hunks: &[(Range<u32>, Range<u32>)]) -> (Vec<Lines>, Vec<Lines>) {
    let (mut passed, mut kept) = (Vec::new(), Vec::new());
    for piece in lines {
        let end = piece.source + piece.len;
        let mut at = piece.source;
        // The first hunk not wholly before `at` (a pure deletion at `at` counts as before).
        let mut next = hunks.partition_point(|(_, after)| after.end <= at);
        while at < end {
            let to = |line: u32| Lines {
                file: piece.file,
                blamed: piece.blamed + (at - piece.source),
                source: line,
                len: 0,
            };
            match hunks.get(next) {
                Some((_, after)) if after.start <= at => {
                    let stop = end.min(after.end);
                    kept.push(Lines {
                        len: stop - at,
                        ..to(at)
                    });
                    at = stop;
                }
                following => {
                    let stop = following.map_or(end, |(_, after)| end.min(after.start));
                    // Lines after hunk `next - 1` are shifted by its end on both sides.
                    let parent_line = match next.checked_sub(1).and_then(|i| hunks.get(i)) {
                        Some((before, after)) => at - after.end + before.end,
                        None => at,
                    };
                    passed.push(Lines {
                        len: stop - at,
                        ..to(parent_line)
                    });
                    at = stop;
                }
            }
            while hunks.get(next).is_some_and(|(_, after)| after.end <= at) {
                next += 1;
            }
        }
    }
    (passed, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(file: u32, blamed: u32, source: u32, len: u32) -> Lines {
        Lines {
            file,
            blamed,
            source,
            len,
        }
    }

    #[test]
    fn split_passes_shared_lines_at_their_parent_positions() {
        // Parent: a b c d e f g; child: a X c d e Y Z g (b replaced by X, f by Y Z).
        let hunks = vec![(1..2, 1..2), (5..6, 5..7)];
        let (passed, kept) = split(vec![lines(0, 10, 0, 8)], &hunks);
        assert_eq!(
            passed,
            vec![lines(0, 10, 0, 1), lines(0, 12, 2, 3), lines(0, 17, 6, 1)]
        );
        assert_eq!(kept, vec![lines(0, 11, 1, 1), lines(0, 15, 5, 2)]);
    }

    #[test]
    fn split_handles_pure_deletions_and_insertions() {
        // Parent: a b c d; child: a d X (b c deleted, X appended).
        let hunks = vec![(1..3, 1..1), (4..4, 2..3)];
        let (passed, kept) = split(vec![lines(3, 0, 0, 3)], &hunks);
        assert_eq!(passed, vec![lines(3, 0, 0, 1), lines(3, 1, 3, 1)]);
        assert_eq!(kept, vec![lines(3, 2, 2, 1)]);
        // A piece starting after the deletion, and one inside the insertion only.
        let (passed, kept) = split(vec![lines(1, 7, 1, 1), lines(2, 9, 2, 1)], &hunks);
        assert_eq!(passed, vec![lines(1, 7, 3, 1)]);
        assert_eq!(kept, vec![lines(2, 9, 2, 1)]);
    }

    #[test]
    fn split_without_hunks_passes_everything_unmoved() {
        let (passed, kept) = split(vec![lines(0, 4, 2, 5)], &[]);
        assert_eq!(passed, vec![lines(0, 4, 2, 5)]);
        assert!(kept.is_empty());
    }
}
