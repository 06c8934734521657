//! Where a file that a commit created came from, as `git blame` finds it (`find_rename` in
//! blame.c): git's rename detection (`renames::detect`, the port `git log` uses) with the
//! created file as the only destination (git's `single_follow`) and every file the commit
//! deleted as a source.
//!
//! gix's rename tracker, which gix-blame used, pairs every created file with every deleted one.
//! At a merge whose second parent predates a large move (git.git's `builtin-*.c` to
//! `builtin/*.c`: 1,284 files created and 232 deleted against that parent) that took seconds
//! for each blamed file, 70% of blaming `builtin/`. Here each file is scored against the
//! deleted files only, and what the files of one commit share is kept: the tree diff's deleted
//! files per tree pair, and the deleted files' span hashes.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use gix::bstr::{BStr, BString};
use gix::diff::tree::visit::Change;
use gix::ObjectId;

use super::diff::{ObjectStore, RepoBlobs};
use super::renames::{self, Blobs, RenameFile, RenameOptions};
use super::tree_diff;
use crate::error::Result;
use gitfleet_diffcore::Span;

/// Tree pairs whose deleted and created files are kept.
const KEPT_PAIRS: usize = 16;
/// Bytes of span hashes kept (a span is 8 bytes; a 100 KB file has a few thousand).
const KEPT_SPAN_BYTES: usize = 32 << 20;

/// The files one commit deleted and created against one parent, in git's queue order.
struct PairChanges {
    deleted: Vec<RenameFile>,
    created: HashMap<BString, RenameFile>,
}

/// Finds renames for one repository's blame, file after file.
pub(crate) struct BlameRenames<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    options: RenameOptions,
    trees: ObjectStore,
    pairs: HashMap<(ObjectId, ObjectId), Rc<PairChanges>>,
    pair_order: VecDeque<(ObjectId, ObjectId)>,
    blobs: CachedBlobs<'r>,
}

impl<'r> BlameRenames<'r> {
    pub(crate) fn new(repo: &'r gix::Repository, name: &'r str) -> Self {
        BlameRenames {
            repo,
            name,
            // git blame reads diff.renameLimit as git log does (`diff.renames` does not turn
            // blame's whole-file rename following off).
            options: RenameOptions {
                enabled: true,
                ..RenameOptions::from_config(&repo.config_snapshot())
            },
            trees: ObjectStore::trees(),
            pairs: HashMap::new(),
            pair_order: VecDeque::new(),
            blobs: CachedBlobs {
                inner: RepoBlobs { repo, name },
                spans: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            },
        }
    }

    /// The path and blob in `parent_tree` that `path`, created between `parent_tree` and
    /// `tree`, was renamed from; None when git would say it was created there.
    pub(crate) fn find(
        &mut self,
        parent_tree: &gix::oid,
        tree: &gix::oid,
        path: &BStr,
    ) -> Result<Option<(BString, ObjectId)>> {
        let changes = self.changes(parent_tree.to_owned(), tree.to_owned())?;
        let Some(target) = changes.created.get(path) else {
            return Ok(None);
        };
        if changes.deleted.is_empty() {
            return Ok(None);
        }
        let found = renames::detect(
            &changes.deleted,
            std::slice::from_ref(target),
            self.options,
            &mut self.blobs,
        )?;
        Ok(found.source_of[0].map(|s| {
            let source = &changes.deleted[s];
            (BString::from(source.path.clone()), source.id)
        }))
    }

    fn changes(&mut self, parent_tree: ObjectId, tree: ObjectId) -> Result<Rc<PairChanges>> {
        if let Some(found) = self.pairs.get(&(parent_tree, tree)) {
            return Ok(Rc::clone(found));
        }
        let (repo, name) = (self.repo, self.name);
        let trees = &mut self.trees;
        let mut load = |id: &gix::oid| trees.load(repo, name, id);
        let (old, new) = (load(&parent_tree)?, load(&tree)?);
        let (mut deleted, mut created) = (Vec::new(), HashMap::new());
        let mut visit =
            |change: Change, location: &BStr| match (&change, RenameFile::of_change(&change, location)) {
                (Change::Deletion { .. }, Some(file)) => deleted.push(file),
                (Change::Addition { .. }, Some(file)) => {
                    created.insert(location.to_owned(), file);
                }
                _ => {}
            };
        tree_diff::diff(&old, &new, repo.object_hash(), name, &mut load, &mut visit)?;
        // Pairing depends on order: git's queue is sorted by path.
        deleted.sort_by(|a, b| a.path.cmp(&b.path));
        let found = Rc::new(PairChanges { deleted, created });
        if self.pair_order.len() >= KEPT_PAIRS {
            if let Some(oldest) = self.pair_order.pop_front() {
                self.pairs.remove(&oldest);
            }
        }
        self.pairs.insert((parent_tree, tree), Rc::clone(&found));
        self.pair_order.push_back((parent_tree, tree));
        Ok(found)
    }
}

/// Blob access for scoring, keeping span hashes up to [`KEPT_SPAN_BYTES`].
struct CachedBlobs<'r> {
    inner: RepoBlobs<'r>,
    spans: HashMap<ObjectId, Rc<[Span]>>,
    order: VecDeque<ObjectId>,
    bytes: usize,
}

impl Blobs for CachedBlobs<'_> {
    fn size(&mut self, id: &ObjectId) -> Result<u64> {
        self.inner.size(id)
    }

    fn data(&mut self, id: &ObjectId) -> Result<Vec<u8>> {
        self.inner.data(id)
    }

    fn spans(&mut self, id: &ObjectId) -> Result<Rc<[Span]>> {
        if let Some(spans) = self.spans.get(id) {
            return Ok(Rc::clone(spans));
        }
        let spans = renames::blob_spans(&self.data(id)?);
        let size = std::mem::size_of_val(&*spans);
        while self.bytes + size > KEPT_SPAN_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(evicted) = self.spans.remove(&oldest) {
                self.bytes -= std::mem::size_of_val(&*evicted);
            }
        }
        if size <= KEPT_SPAN_BYTES {
            self.bytes += size;
            self.spans.insert(*id, Rc::clone(&spans));
            self.order.push_back(*id);
        }
        Ok(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gix::bstr::ByteSlice;

    fn repo_with_move() -> (tempfile::TempDir, ObjectId, ObjectId) {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .current_dir(dir.path())
                .args(["-c", "user.name=A", "-c", "user.email=a@x"])
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["init", "-q"]);
        let text = |n: usize| (0..40).map(|i| format!("line {i} of {n}\n")).collect::<String>();
        for n in 0..5 {
            std::fs::write(dir.path().join(format!("a{n}.txt")), text(n)).unwrap();
        }
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "one"]);
        let before = git(&["rev-parse", "HEAD^{tree}"]);
        std::fs::create_dir(dir.path().join("d")).unwrap();
        for n in 0..5 {
            std::fs::remove_file(dir.path().join(format!("a{n}.txt"))).unwrap();
            // Each moved file gets an edit, so only the similarity estimate pairs them.
            std::fs::write(dir.path().join(format!("d/b{n}.txt")), text(n) + "edited\n").unwrap();
        }
        std::fs::write(dir.path().join("new.txt"), "unrelated\n").unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "two"]);
        let after = git(&["rev-parse", "HEAD^{tree}"]);
        let id = |s: String| ObjectId::from_hex(s.trim().as_bytes()).unwrap();
        (dir, id(before), id(after))
    }

    #[test]
    fn each_created_file_finds_its_own_source_and_pairs_are_kept() {
        let (dir, before, after) = repo_with_move();
        let repo = gix::open(dir.path()).unwrap();
        let mut renames = BlameRenames::new(&repo, "r");
        for n in 0..5 {
            let path = format!("d/b{n}.txt");
            let (source, _) = renames
                .find(&before, &after, path.as_bytes().as_bstr())
                .unwrap()
                .expect("a rename");
            assert_eq!(source, format!("a{n}.txt"));
        }
        assert_eq!(renames.find(&before, &after, b"new.txt".as_bstr()).unwrap(), None);
        assert_eq!(renames.pairs.len(), 1, "one tree diff for the commit");
        assert_eq!(renames.blobs.spans.len(), 10, "each blob hashed once");
    }
}
