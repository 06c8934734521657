//! Line ownership of the files at a revision, as `git blame` computes it with its defaults
//! (whole-file renames followed, no -M/-C, all parents of merges): which files, and blaming
//! them. Every file shares one walk of the history (`blame_walk.rs`), except with
//! `--ignore-rev`, whose fuzzy matching git does a file at a time: then gix-blame blames each
//! file, the files spread over the cores, each worker with its own repository handle. In both,
//! as in git, the commit-graph's changed-path Bloom filters let the walk pass over commits that
//! did not touch the files without reading their trees (`bloom.rs`; gix-blame is patched for
//! that hook).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use gix::bstr::{BStr, ByteSlice};
use gix::object::tree::EntryKind;
use gix::ObjectId;

use super::blame_renames::BlameRenames;
use super::bloom::{ChangedPaths, PathKey};
use super::commits::Person;
use super::odb::DeltaBaseCache;
use super::text::is_binary;
use super::tree::{self, TreeFile};
use super::RepoLocation;
use crate::error::{Error, Result};

/// One line of a file at the blamed revision.
#[derive(Debug, Clone)]
pub struct BlamedLine {
    /// 1-based, in the file at the blamed revision.
    pub line_no: u32,
    pub commit: ObjectId,
    /// The path in `commit` (differs from the file's path after a rename).
    pub orig_path: Option<String>,
    /// 1-based, in `orig_path` at `commit`.
    pub orig_line_no: u32,
    /// The line's bytes without its `\n` (a `\r` stays, as in `git blame --porcelain`).
    pub content: Vec<u8>,
}

#[derive(Debug)]
pub(crate) struct BlamedFile {
    pub path: String,
    pub lines: Vec<BlamedLine>,
}

/// Who and what a commit is, for the blame rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitInfo {
    pub author: Person,
    pub committer: Person,
    pub summary: String,
}

/// Which files of the tree to blame.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PathSelection {
    /// Exactly these paths (None: all).
    pub exact: Option<std::collections::BTreeSet<String>>,
    /// Paths starting with one of these (empty: no restriction).
    pub prefixes: Vec<String>,
    /// One path named by `blame('/repo', 'path')`: it must exist and be a file.
    pub required: Option<String>,
}

impl PathSelection {
    pub(crate) fn admits(&self, path: &str) -> bool {
        let exact = self.exact.as_ref().is_none_or(|e| e.contains(path));
        let prefix = self.prefixes.is_empty() || self.prefixes.iter().any(|p| path.starts_with(p.as_str()));
        let required = self.required.as_ref().is_none_or(|r| r == path);
        exact && prefix && required
    }
}

/// The commit a revision names (None: HEAD); None for an empty repository.
pub(crate) fn resolve_commit(
    repo: &gix::Repository,
    name: &str,
    rev: Option<&str>,
) -> Result<Option<ObjectId>> {
    let unknown = |rev: &str| Error::UnknownRevision {
        repo: name.to_string(),
        rev: rev.to_string(),
    };
    match rev.map(str::trim).filter(|r| !r.is_empty()) {
        None => super::head_commit(repo, name),
        Some(rev) => {
            let id = repo.rev_parse_single(rev).map_err(|_| unknown(rev))?;
            let commit = id
                .object()
                .map_err(|e| Error::git(name, e))?
                .peel_to_commit()
                .map_err(|_| unknown(rev))?;
            Ok(Some(commit.id))
        }
    }
}

/// At most this many paths named by `WHERE path IN (...)` are looked up one by one; more are
/// found by walking the whole tree.
const DIRECT_LOOKUPS: usize = 64;

/// The text files at `commit` that `paths` selects, sorted by path. A required path that is
/// missing or names a directory (or a submodule) is an error.
pub(crate) fn files_to_blame(
    repo: &gix::Repository,
    name: &str,
    commit: ObjectId,
    paths: &PathSelection,
) -> Result<Vec<TreeFile>> {
    let tree_id = tree::resolve_tree(repo, name, Some(&commit.to_string()))?
        .ok_or_else(|| Error::git(name, "no tree"))?;
    let named: Option<Vec<&str>> = match (&paths.required, &paths.exact) {
        (Some(required), _) => Some(vec![required.as_str()]),
        (None, Some(exact)) if exact.len() <= DIRECT_LOOKUPS => {
            Some(exact.iter().map(String::as_str).collect())
        }
        _ => None,
    };
    match named {
        // Single-file blame is a few milliseconds: walking every tree would be a good part.
        Some(named) => named_files(repo, name, tree_id, &named, paths),
        None => all_files(repo, name, tree_id, paths),
    }
}

fn text_file(repo: &gix::Repository, name: &str, file: &TreeFile) -> Result<bool> {
    let blob = repo.find_blob(file.id).map_err(|e| Error::git(name, e))?;
    Ok(!is_binary(&blob.data))
}

fn named_files(
    repo: &gix::Repository,
    name: &str,
    tree_id: ObjectId,
    named: &[&str],
    paths: &PathSelection,
) -> Result<Vec<TreeFile>> {
    let tree = repo.find_tree(tree_id).map_err(|e| Error::git(name, e))?;
    let lookup = |path: &str| -> Result<Option<(gix::object::tree::EntryMode, ObjectId)>> {
        let entry = tree
            .lookup_entry(path.split('/').map(str::as_bytes))
            .map_err(|e| Error::git(name, e))?;
        Ok(entry.map(|e| (e.mode(), e.object_id())))
    };
    let is_tree = |found: Option<(gix::object::tree::EntryMode, ObjectId)>| {
        found.is_some_and(|(mode, _)| mode.kind() == EntryKind::Tree)
    };
    let mut files = Vec::new();
    for path in named {
        match lookup(path)? {
            Some((mode, id)) if !matches!(mode.kind(), EntryKind::Tree | EntryKind::Commit) => {
                let file = TreeFile {
                    path: path.to_string(),
                    raw_path: path.as_bytes().to_vec(),
                    mode: format!("{:06o}", mode.value()),
                    id,
                    is_submodule: false,
                };
                if paths.admits(path) && text_file(repo, name, &file)? {
                    files.push(file);
                }
            }
            found if paths.required.as_deref() == Some(*path) => {
                let is_dir = is_tree(found) || is_tree(lookup(path.trim_end_matches('/'))?);
                return Err(blame_target_error(name, path, is_dir));
            }
            _ => {}
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn all_files(
    repo: &gix::Repository,
    name: &str,
    tree_id: ObjectId,
    paths: &PathSelection,
) -> Result<Vec<TreeFile>> {
    let mut files = Vec::new();
    tree::walk_files(repo, name, tree_id, &mut |file| {
        if !file.is_submodule && paths.admits(&file.path) && text_file(repo, name, &file)? {
            files.push(file);
        }
        Ok(true)
    })?;
    Ok(files)
}

/// The error for `blame('/repo', 'path')` when `path` is not a file at the blamed revision.
fn blame_target_error(name: &str, path: &str, is_dir: bool) -> Error {
    Error::InvalidArgument(if is_dir {
        format!(
            "{name}: '{path}' is a directory; blame a file, or use WHERE path LIKE '{}/%'",
            path.trim_end_matches('/')
        )
    } else {
        format!("{name}: no file '{path}' at the blamed revision")
    })
}

/// What blaming files in one repository reuses from file to file: the diff resource cache
/// (building it reads attributes and configuration), the diff algorithm, the commit-graph and
/// its Bloom filters.
pub struct Blamer<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    resources: gix::diff::blob::Platform,
    algorithm: gix::diff::blob::Algorithm,
    changed_paths: Option<ChangedPaths>,
    /// Commits passed over thanks to the Bloom filters, over all files blamed so far.
    skipped_by_filters: usize,
    /// A shallow clone's boundary commits (sorted), which blame reads as roots, as git does.
    shallow: Vec<ObjectId>,
    /// Commits whose changes are passed over (sorted; `git blame --ignore-rev`).
    ignore_revs: Vec<ObjectId>,
    /// Where created files came from, found as git blame finds it.
    renames: BlameRenames<'r>,
}

impl<'r> Blamer<'r> {
    pub fn new(repo: &'r gix::Repository, name: &'r str) -> Result<Self> {
        let shallow = super::shallow_boundary(repo, name)?;
        // git does not use the commit-graph in a shallow repository.
        let graph_in_use = shallow.is_empty()
            && repo
                .commit_graph_if_enabled()
                .map_err(|e| Error::git(name, e))?
                .is_some();
        // Only where git would use them: with the commit-graph in use and
        // commitGraph.readChangedPaths not turned off.
        let read_changed_paths = repo
            .config_snapshot()
            .boolean("commitGraph.readChangedPaths")
            .unwrap_or(true);
        let changed_paths = (graph_in_use && read_changed_paths)
            .then(|| ChangedPaths::open(repo.objects.store_ref().path()))
            .flatten();
        Ok(Blamer {
            repo,
            name,
            resources: resource_cache(repo).map_err(|e| Error::git(name, e))?,
            algorithm: repo.diff_algorithm().map_err(|e| Error::git(name, e))?,
            changed_paths,
            skipped_by_filters: 0,
            shallow,
            ignore_revs: Vec::new(),
            renames: BlameRenames::new(repo, name),
        })
    }

    /// Blames as `git blame --ignore-rev` each of `revs` does.
    pub fn ignoring(mut self, mut revs: Vec<ObjectId>) -> Self {
        revs.sort_unstable();
        self.ignore_revs = revs;
        self
    }

    /// Whether the commit-graph's Bloom filters are in use.
    pub fn uses_changed_paths(&self) -> bool {
        self.changed_paths.is_some()
    }

    /// How many commits the Bloom filters let the walks pass over without reading trees.
    pub fn commits_skipped_by_filters(&self) -> usize {
        self.skipped_by_filters
    }

    /// Blames one file at `commit`.
    pub fn blame(&mut self, commit: ObjectId, path: &str) -> Result<Vec<BlamedLine>> {
        let name = self.name;
        // gix-blame takes the graph by value (it is not Clone): opened per file, a few mmaps.
        let graph = if self.shallow.is_empty() {
            self.repo
                .commit_graph_if_enabled()
                .map_err(|e| Error::git(name, e))?
        } else {
            None
        };
        let options = gix::blame::Options {
            diff_algorithm: self.algorithm,
            ranges: Default::default(),
            since: None,
            // git blame follows whole-file renames by default.
            rewrites: Some(gix::diff::Rewrites::default()),
            debug_track_path: false,
        };
        let changed_paths = self.changed_paths.as_ref();
        // The path changes only at renames: hash it once per path, not per commit.
        let mut key: Option<(gix::bstr::BString, PathKey)> = None;
        let mut maybe_changed = |commit: &gix::oid, path: &BStr| {
            let filters = changed_paths?;
            if key.as_ref().is_none_or(|(p, _)| p.as_bstr() != path) {
                key = Some((path.to_owned(), PathKey::new(path)));
            }
            filters.maybe_changed(commit, &key.as_ref()?.1)
        };
        let renames = &mut self.renames;
        let mut find_rename = |parent_tree: &gix::oid, tree: &gix::oid, path: &BStr| {
            renames.find(parent_tree, tree, path).map_err(|e| e.to_string())
        };
        let objects = ShallowObjects {
            inner: &self.repo.objects,
            shallow: &self.shallow,
        };
        let outcome = gix::blame::file_with_changed_paths(
            objects,
            gix::blame::Start::Commit(commit),
            graph,
            &mut self.resources,
            BStr::new(path.as_bytes()),
            options,
            &mut maybe_changed,
            &self.ignore_revs,
            Some(&mut find_rename),
        )
        .map_err(|e| Error::git(name, format!("blame {path}: {e}")))?;
        self.resources.clear_resource_cache();
        self.skipped_by_filters += outcome.statistics.commits_skipped_by_changed_paths;
        let lines: Vec<&[u8]> = outcome.blob.lines_with_terminator().collect();
        let mut out = Vec::with_capacity(lines.len());
        for entry in &outcome.entries {
            let orig_path = entry
                .source_file_name
                .as_ref()
                .map(|p| p.to_str_lossy().into_owned());
            let run = LineRun {
                blamed: entry.start_in_blamed_file,
                len: entry.len.get(),
                commit: entry.commit_id,
                source: entry.start_in_source_file,
            };
            run.push_lines(&lines, orig_path, &mut out);
        }
        out.sort_by_key(|l| l.line_no);
        Ok(out)
    }
}

/// Consecutive lines of a file blamed on one commit: `len` lines from `blamed` (0-based) in the
/// file, from `source` (0-based) in the commit's version.
pub(crate) struct LineRun {
    pub(crate) blamed: u32,
    pub(crate) len: u32,
    pub(crate) commit: ObjectId,
    pub(crate) source: u32,
}

impl LineRun {
    /// Appends the run's lines to `out`; `contents` are the file's lines, with terminators.
    pub(crate) fn push_lines(
        &self,
        contents: &[&[u8]],
        orig_path: Option<String>,
        out: &mut Vec<BlamedLine>,
    ) {
        for i in 0..self.len {
            let line_no = self.blamed + i;
            let content = contents.get(line_no as usize).copied().unwrap_or_default();
            out.push(BlamedLine {
                line_no: line_no + 1,
                commit: self.commit,
                orig_path: orig_path.clone(),
                orig_line_no: self.source + i + 1,
                content: content.strip_suffix(b"\n").unwrap_or(content).to_vec(),
            });
        }
    }
}

/// The object database as blame reads it: a shallow clone's boundary commits come without
/// their `parent` lines (those commits are not in the repository; git grafts them away too).
struct ShallowObjects<'a> {
    inner: &'a gix::OdbHandle,
    shallow: &'a [ObjectId],
}

impl gix::objs::Find for ShallowObjects<'_> {
    fn try_find<'b>(
        &self,
        id: &gix::oid,
        buffer: &'b mut Vec<u8>,
    ) -> gix::Result<Option<gix::objs::Data<'b>>> {
        if self.shallow.binary_search_by(|s| s.as_ref().cmp(id)).is_err() {
            return self.inner.try_find(id, buffer);
        }
        let Some((kind, object_hash, bytes)) = self
            .inner
            .try_find(id, buffer)?
            .map(|d| (d.kind, d.object_hash, drop_parent_lines(d.data)))
        else {
            return Ok(None);
        };
        *buffer = bytes;
        Ok(Some(gix::objs::Data {
            kind,
            object_hash,
            data: buffer,
        }))
    }
}

impl gix::objs::FindHeader for ShallowObjects<'_> {
    fn try_header(&self, id: &gix::oid) -> gix::Result<Option<gix::objs::Header>> {
        self.inner.try_header(id)
    }
}

/// A commit object's bytes without its `parent` header lines.
fn drop_parent_lines(commit: &[u8]) -> Vec<u8> {
    let header_end = commit
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or(commit.len(), |i| i + 1);
    let mut out = Vec::with_capacity(commit.len());
    for line in commit[..header_end].split_inclusive(|&c| c == b'\n') {
        if !line.starts_with(b"parent ") {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&commit[header_end..]);
    out
}

/// The diff resource cache gix-blame wants, which it uses only to find renames (its line diffs
/// read the blobs as they are, like git's). gix's own constructor loads an index of HEAD just
/// to find `.gitattributes` files: most of a single-file blame's setup time.
fn resource_cache(repo: &gix::Repository) -> std::result::Result<gix::diff::blob::Platform, gix::Error> {
    use gix::worktree::stack::state::attributes::Source;
    let no_index = gix::index::State::new(repo.object_hash());
    let attributes = repo.attributes_only(&no_index, Source::IdMapping)?.detach();
    gix::diff::resource_cache(
        repo,
        gix::diff::blob::pipeline::Mode::ToGit,
        attributes,
        gix::diff::blob::pipeline::WorktreeRoots::default(),
    )
}

/// A repository handle set up for blame. Blame reads the same blobs and trees over and over.
/// - The shared walk keeps the trees and blobs it reads again itself, so gix's object cache
///   would only hold copies: without it, whole HEAD of git.git took 27.2 CPU-s against 28.7,
///   with 55 MB less memory.
/// - gix-blame (`--ignore-rev`) gets a 16 MB object cache per worker: on git.git's `builtin/`
///   64 MB saved 4% of the CPU time and 1 GB 25%, while each worker's cache is resident memory
///   for the whole scan (benches/README.md).
fn for_blame(mut repo: gix::Repository, bases: &DeltaBaseCache, ignore_revs: &[ObjectId]) -> gix::Repository {
    if !ignore_revs.is_empty() {
        repo.object_cache_size_if_unset(16 << 20);
    }
    bases.attach(&mut repo);
    repo
}

/// Blames `files` on `workers` threads; `emit` gets each file as it is done (not in order)
/// and may return false to stop.
/// The files are dealt out to the threads in turn, each thread blaming its share with its own
/// repository handle (one shared walk, or gix-blame file by file with `ignore_revs`). Dealt in
/// path order, each share has some of every directory and of every size.
/// `repo` is the caller's handle, used as is on one thread (a single-file blame takes a few
/// milliseconds: another handle and a thread would be a good part of them).
pub(crate) fn blame_files(
    location: &RepoLocation,
    repo: &gix::Repository,
    commit: ObjectId,
    files: Vec<TreeFile>,
    ignore_revs: &[ObjectId],
    workers: usize,
    emit: &mut dyn FnMut(BlamedFile) -> Result<bool>,
) -> Result<()> {
    let name = location.name.as_str();
    let workers = workers.clamp(1, files.len().max(1));
    let stop = AtomicBool::new(false);
    let bases = DeltaBaseCache::for_history(repo);
    if workers == 1 {
        let repo = for_blame(repo.clone(), &bases, ignore_revs);
        return blame_share(&repo, name, commit, files, ignore_revs, &stop, emit);
    }
    let mut shares: Vec<Vec<TreeFile>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, file) in files.into_iter().enumerate() {
        shares[i % workers].push(file);
    }
    // Bounded: a slow consumer holds the workers back instead of buffering whole repositories.
    let (tx, rx) = mpsc::sync_channel::<Result<BlamedFile>>(workers * 2);
    // One object store for all workers: each handle of its own would map the packs again, and
    // the pages each reads count once per mapping.
    let shared = repo.clone().into_sync();
    std::thread::scope(|scope| {
        for share in shares {
            let (tx, stop, shared, bases) = (tx.clone(), &stop, &shared, &bases);
            scope.spawn(move || {
                let mut send = |file: BlamedFile| Ok(tx.send(Ok(file)).is_ok());
                let repo = for_blame(shared.to_thread_local(), bases, ignore_revs);
                let outcome = blame_share(&repo, name, commit, share, ignore_revs, stop, &mut send);
                if let Err(e) = outcome {
                    let _ = tx.send(Err(e));
                }
            });
        }
        drop(tx);
        let rx = rx;
        let mut consume = || -> Result<()> {
            for result in rx.iter() {
                if !emit(result?)? {
                    break;
                }
            }
            Ok(())
        };
        let outcome = consume();
        // On an early stop or an error, the workers stop at their next step, and those
        // waiting to hand over a file are released by the closed channel (the scope waits for
        // every worker before it returns).
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        outcome
    })
}

/// One thread's share of the files, until done, `emit` says stop, or `stop` is set.
fn blame_share(
    repo: &gix::Repository,
    name: &str,
    commit: ObjectId,
    files: Vec<TreeFile>,
    ignore_revs: &[ObjectId],
    stop: &AtomicBool,
    emit: &mut dyn FnMut(BlamedFile) -> Result<bool>,
) -> Result<()> {
    if ignore_revs.is_empty() {
        super::blame_walk::blame_together(repo, name, commit, files, stop, emit)?;
        return Ok(());
    }
    let mut blamer = Blamer::new(repo, name)?.ignoring(ignore_revs.to_vec());
    for file in files {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let lines = blamer.blame(commit, &file.path)?;
        if !emit(BlamedFile {
            path: file.path,
            lines,
        })? {
            break;
        }
    }
    Ok(())
}

/// Author, committer and summary of commits, read once each.
pub(crate) struct CommitInfos<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    known: HashMap<ObjectId, CommitInfo>,
}

impl<'r> CommitInfos<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, name: &'r str) -> Self {
        CommitInfos {
            repo,
            name,
            known: HashMap::new(),
        }
    }

    pub(crate) fn get(&mut self, id: ObjectId) -> Result<&CommitInfo> {
        if !self.known.contains_key(&id) {
            let info = self.read(id)?;
            self.known.insert(id, info);
        }
        Ok(&self.known[&id])
    }

    fn read(&self, id: ObjectId) -> Result<CommitInfo> {
        let commit = self.repo.find_commit(id).map_err(|e| Error::git(self.name, e))?;
        let decoded = commit.decode().map_err(|e| Error::git(self.name, e))?;
        let sig = |bytes| gix::actor::SignatureRef::from_bytes(bytes).map_err(|e| Error::git(self.name, e));
        let encoding = decoded.encoding.map(|e| e.as_ref());
        let author = super::commits::person(&sig(decoded.author)?, encoding);
        let committer = super::commits::person(&sig(decoded.committer)?, encoding);
        let message = super::text::decode(decoded.message, encoding);
        Ok(CommitInfo {
            author,
            committer,
            summary: super::text::first_line(&message, &id.to_string()),
        })
    }
}
