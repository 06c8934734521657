//! Rename detection exactly as `git log` does it: a port of git 2.47's `diffcore-rename.c`
//! and `diffcore-delta.c` for the default, renames without copies.
//!
//! Steps, each on what the previous one left unpaired:
//! 1. exact renames: a deleted and an added file with the same blob id (and, unless both are
//!    regular files, the same mode); an unused source with the same basename first, else the
//!    first unused one;
//! 2. same basename: a basename unique among the remaining sources and among the remaining
//!    destinations pairs when its similarity reaches 75% (git 2.33+);
//! 3. the similarity matrix: every remaining destination against every remaining source, scored
//!    by git's span hashing, the best four per destination kept, sorted by score (then same
//!    basename) with a stable sort, paired greedily from the top down to 50% — unless sources x
//!    destinations exceeds `diff.renameLimit`², when git skips this step and says so.
//!
//! Which file pairs with which follows from the order of the inputs, so callers pass deleted
//! and added files in git's queue order (sorted by path bytes). gix's tracker gives other
//! pairings when many near-identical files move at once, hence this port.

use std::collections::HashMap;
use std::rc::Rc;

use gix::object::tree::EntryKind;
use gix::ObjectId;

use crate::error::Result;
use gitfleet_diffcore::{count_changes, hash_spans, is_binary, Span};

/// git's similarity scale: 60000 is identical.
const MAX_SCORE: u64 = 60000;
/// `-M` default: 50%.
const MINIMUM_SCORE: u64 = 30000;
/// Same-basename pairs need half-way between the minimum and identical: 75%.
const BASENAME_SCORE: u64 = MINIMUM_SCORE + (MAX_SCORE - MINIMUM_SCORE) / 2;
/// Candidates kept per destination in the matrix.
const CANDIDATES_PER_DST: usize = 4;
/// Identical sources looked at per destination in the exact step.
const IDENTICAL_ALTERNATIVES: usize = 100;

/// How `git log` detects renames in this repository (`diff.renames`, `diff.renameLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RenameOptions {
    pub enabled: bool,
    /// Sources x destinations above `limit²` skip inexact detection; 0 is unlimited.
    pub limit: usize,
}

impl Default for RenameOptions {
    fn default() -> Self {
        RenameOptions {
            enabled: true,
            limit: 1000,
        }
    }
}

impl RenameOptions {
    /// Reads `diff.renames` and `diff.renameLimit` as git reads them. `diff.renames=copies`
    /// asks for copy detection, which is not supported: renames are detected as by default.
    pub(crate) fn from_config(config: &gix::config::Snapshot<'_>) -> Self {
        let mut options = RenameOptions::default();
        // A value that is not a boolean ("copies") still means detection on.
        if let Some(enabled) = config.boolean("diff.renames") {
            options.enabled = enabled;
        }
        if let Some(limit) = config.integer("diff.renameLimit") {
            options.limit = usize::try_from(limit).unwrap_or(0);
        }
        options
    }
}

/// One side of a deletion or addition.
#[derive(Debug, Clone)]
pub(crate) struct RenameFile {
    pub path: Vec<u8>,
    pub id: ObjectId,
    pub kind: EntryKind,
}

impl RenameFile {
    /// The file a tree diff's addition or deletion names; None for other changes and subtrees.
    pub(crate) fn of_change(
        change: &gix::diff::tree::visit::Change,
        location: &gix::bstr::BStr,
    ) -> Option<Self> {
        use gix::diff::tree::visit::Change;
        let (Change::Addition { entry_mode, oid, .. } | Change::Deletion { entry_mode, oid, .. }) = change
        else {
            return None;
        };
        (!entry_mode.is_tree()).then(|| RenameFile {
            path: location.to_vec(),
            id: *oid,
            kind: entry_mode.kind(),
        })
    }
}

/// Blob access for similarity scoring.
pub(crate) trait Blobs {
    /// The blob's size in bytes, without reading its content where the store allows.
    fn size(&mut self, id: &ObjectId) -> Result<u64>;
    /// The blob's content.
    fn data(&mut self, id: &ObjectId) -> Result<Vec<u8>>;
    /// The blob's spans as git's similarity estimate hashes them. An implementation may keep
    /// them across detections (blame asks about the same deleted files once per created file).
    fn spans(&mut self, id: &ObjectId) -> Result<Rc<[Span]>> {
        Ok(blob_spans(&self.data(id)?))
    }
}

/// A blob's spans for git's similarity estimate (binary files hash as binary).
pub(crate) fn blob_spans(data: &[u8]) -> Rc<[Span]> {
    hash_spans(data, !is_binary(data)).into()
}

/// What detection found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Renames {
    /// For each added file (by index), the deleted file (by index) it was renamed from.
    pub source_of: Vec<Option<usize>>,
    /// For each added file paired with a source, git's similarity score (0..=60000): what
    /// `similarity index` shows as a percentage.
    pub score_of: Vec<u64>,
    /// Set when inexact detection was skipped for too many candidates: the `diff.renameLimit`
    /// that would have allowed it, as git reports it.
    pub needed_limit: Option<usize>,
}

/// Pairs `deleted` with `added` files as git does. Both lists must be in git's order.
pub(crate) fn detect(
    deleted: &[RenameFile],
    added: &[RenameFile],
    options: RenameOptions,
    blobs: &mut dyn Blobs,
) -> Result<Renames> {
    let mut state = Detection {
        deleted,
        added,
        source_of: vec![None; added.len()],
        score_of: vec![0; added.len()],
        used: vec![false; deleted.len()],
        sizes: HashMap::new(),
        spans: HashMap::new(),
        blobs,
    };
    let mut needed_limit = None;
    if options.enabled && !deleted.is_empty() && !added.is_empty() {
        state.exact();
        let mut sources = state.unused_sources();
        state.same_basename(&sources)?;
        sources.retain(|&s| !state.used[s]);
        let destinations = state.source_of.iter().filter(|s| s.is_none()).count();
        if destinations > 0 && !sources.is_empty() {
            let limit = options.limit as u128;
            if limit > 0 && (destinations as u128) * (sources.len() as u128) > limit * limit {
                needed_limit = Some(destinations.max(sources.len()));
            } else {
                state.matrix(&sources)?;
            }
        }
    }
    Ok(Renames {
        source_of: state.source_of,
        score_of: state.score_of,
        needed_limit,
    })
}

/// What became of a file of the parent tree, for [`detect_follow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceState {
    Deleted,
    Modified,
    Unmodified,
}

/// `git log --follow`'s detection for one created file (`try_to_follow_renames`): copies
/// harder with the created file as the only destination, whatever `diff.renames` says. Every
/// file of the parent tree (`sources`, in path order) is a candidate; the result is the source
/// and git's score. A deleted source makes a rename, a kept one a copy: unused (deleted)
/// sources are preferred among identical files, and the matrix is read twice, first for
/// deleted sources only (`find_renames` without, then with copies).
pub(crate) fn detect_follow(
    sources: &[RenameFile],
    states: &[SourceState],
    target: &RenameFile,
    options: RenameOptions,
    blobs: &mut dyn Blobs,
) -> Result<Option<(usize, u64)>> {
    let added = std::slice::from_ref(target);
    let mut state = Detection {
        deleted: sources,
        added,
        source_of: vec![None],
        score_of: vec![0],
        // git's `rename_used`: kept files count as used from the start.
        used: states.iter().map(|s| *s != SourceState::Deleted).collect(),
        sizes: HashMap::new(),
        spans: HashMap::new(),
        blobs,
    };
    let identical = (0..sources.len()).filter(|&s| sources[s].id == target.id);
    if let Some(src) = state.identical_source(0, identical, true) {
        return Ok(Some((src, MAX_SCORE)));
    }
    // Too many candidates: git first retries without the unmodified files (`-C -C` degraded
    // to `-C`), then gives up on inexact detection.
    let limit = options.limit as u128;
    let mut skip_unmodified = false;
    if limit > 0 && sources.len() as u128 > limit * limit {
        let modified = states.iter().filter(|s| **s != SourceState::Unmodified).count();
        if modified as u128 > limit * limit {
            return Ok(None);
        }
        skip_unmodified = true;
    }
    let empty = Candidate {
        src: 0,
        dst: None,
        score: 0,
        same_name: false,
    };
    let mut kept = [empty; CANDIDATES_PER_DST];
    for src in 0..sources.len() {
        if skip_unmodified && states[src] == SourceState::Unmodified {
            continue;
        }
        let candidate = Candidate {
            src,
            dst: Some(0),
            score: state.similarity(src, 0, MINIMUM_SCORE)?,
            same_name: basename_same(&sources[src].path, &target.path),
        };
        record_if_better(&mut kept, candidate);
    }
    kept.sort_by(|a, b| score_order(a, b).cmp(&0));
    for copies in [false, true] {
        for candidate in &kept {
            if candidate.dst.is_none() || candidate.score < MINIMUM_SCORE {
                break;
            }
            if copies || !state.used[candidate.src] {
                return Ok(Some((candidate.src, candidate.score)));
            }
        }
    }
    Ok(None)
}

struct Detection<'a> {
    deleted: &'a [RenameFile],
    added: &'a [RenameFile],
    source_of: Vec<Option<usize>>,
    score_of: Vec<u64>,
    used: Vec<bool>,
    sizes: HashMap<ObjectId, u64>,
    spans: HashMap<ObjectId, Rc<[Span]>>,
    blobs: &'a mut dyn Blobs,
}

/// One entry of the similarity matrix (`struct diff_score`).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    src: usize,
    /// None: an empty slot, sorted last.
    dst: Option<usize>,
    score: u64,
    same_name: bool,
}

impl Detection<'_> {
    fn record(&mut self, dst: usize, src: usize, score: u64) {
        self.source_of[dst] = Some(src);
        self.score_of[dst] = score;
        self.used[src] = true;
    }

    fn unused_sources(&self) -> Vec<usize> {
        (0..self.deleted.len()).filter(|&s| !self.used[s]).collect()
    }

    /// `find_exact_renames`: sources with a destination's blob id, in source order.
    fn exact(&mut self) {
        let mut by_id: HashMap<ObjectId, Vec<usize>> = HashMap::new();
        for (s, file) in self.deleted.iter().enumerate() {
            by_id.entry(file.id).or_default().push(s);
        }
        for dst in 0..self.added.len() {
            let target = &self.added[dst];
            let Some(candidates) = by_id.get(&target.id) else {
                continue;
            };
            if let Some(src) = self.identical_source(dst, candidates.iter().copied(), false) {
                self.record(dst, src, MAX_SCORE);
            }
        }
    }

    /// `find_identical_files`: among `candidates` (sources with `dst`'s blob id, in source
    /// order), the best one: an unused source scores 1, the same basename 1 more, the first of
    /// the best wins, and at most 100 are looked at. Non-regular files need the same mode. A
    /// used source is a candidate only when detecting `copies`.
    fn identical_source(
        &self,
        dst: usize,
        candidates: impl Iterator<Item = usize>,
        copies: bool,
    ) -> Option<usize> {
        let target = &self.added[dst];
        let mut best: Option<(usize, u8)> = None;
        let mut left = IDENTICAL_ALTERNATIVES;
        for src in candidates {
            let source = &self.deleted[src];
            if (!is_regular(source.kind) || !is_regular(target.kind)) && source.kind != target.kind {
                continue;
            }
            if self.used[src] && !copies {
                continue;
            }
            let score = u8::from(!self.used[src]) + u8::from(basename_same(&source.path, &target.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((src, score));
                if score == 2 {
                    break;
                }
            }
            left -= 1;
            if left == 0 {
                break;
            }
        }
        best.map(|(src, _)| src)
    }

    /// `find_basename_matches`: a basename unique among both remaining sources and remaining
    /// destinations is a rename when similar enough.
    fn same_basename(&mut self, sources: &[usize]) -> Result<()> {
        fn unique<'n>(names: &mut HashMap<&'n [u8], Option<usize>>, name: &'n [u8], index: usize) {
            names
                .entry(name)
                .and_modify(|slot| *slot = None)
                .or_insert(Some(index));
        }
        let (deleted, added) = (self.deleted, self.added);
        let mut source_names = HashMap::new();
        for &s in sources {
            unique(&mut source_names, basename(&deleted[s].path), s);
        }
        let mut destination_names = HashMap::new();
        for (d, file) in added.iter().enumerate() {
            if self.source_of[d].is_none() {
                unique(&mut destination_names, basename(&file.path), d);
            }
        }
        for &s in sources {
            let name = basename(&deleted[s].path);
            let (Some(Some(src)), Some(Some(dst))) = (source_names.get(name), destination_names.get(name))
            else {
                continue;
            };
            let (src, dst) = (*src, *dst);
            if self.source_of[dst].is_some() {
                continue;
            }
            let score = self.similarity(src, dst, BASENAME_SCORE)?;
            if score >= BASENAME_SCORE {
                self.record(dst, src, score);
            }
        }
        Ok(())
    }

    /// The similarity matrix (`diffcore_rename_extended`'s inexact step and `find_renames`).
    fn matrix(&mut self, sources: &[usize]) -> Result<()> {
        let mut matrix = Vec::new();
        for dst in 0..self.added.len() {
            if self.source_of[dst].is_some() {
                continue;
            }
            let empty = Candidate {
                src: 0,
                dst: None,
                score: 0,
                same_name: false,
            };
            let mut best = [empty; CANDIDATES_PER_DST];
            for &src in sources {
                let candidate = Candidate {
                    src,
                    dst: Some(dst),
                    score: self.similarity(src, dst, MINIMUM_SCORE)?,
                    same_name: basename_same(&self.deleted[src].path, &self.added[dst].path),
                };
                record_if_better(&mut best, candidate);
            }
            matrix.extend(best);
        }
        // git's STABLE_QSORT: equal candidates keep their place.
        matrix.sort_by(|a, b| score_order(a, b).cmp(&0));
        for candidate in matrix {
            let Some(dst) = candidate.dst else { break };
            if candidate.score < MINIMUM_SCORE {
                break;
            }
            if self.source_of[dst].is_some() || self.used[candidate.src] {
                continue;
            }
            self.record(dst, candidate.src, candidate.score);
        }
        Ok(())
    }

    /// `estimate_similarity`: the share of the larger file's bytes copied from the source, on
    /// git's 0..60000 scale; 0 for non-regular files and for sizes too far apart to reach
    /// `minimum`.
    fn similarity(&mut self, src: usize, dst: usize, minimum: u64) -> Result<u64> {
        let (source, target) = (&self.deleted[src], &self.added[dst]);
        if !is_regular(source.kind) || !is_regular(target.kind) {
            return Ok(0);
        }
        let (source_id, target_id) = (source.id, target.id);
        let source_size = self.size(&source_id)?;
        let target_size = self.size(&target_id)?;
        let max_size = source_size.max(target_size);
        let delta_size = max_size - source_size.min(target_size);
        if max_size * (MAX_SCORE - minimum) < delta_size * MAX_SCORE {
            return Ok(0);
        }
        let source_spans = self.spans(&source_id)?;
        let target_spans = self.spans(&target_id)?;
        let (copied, _added) = count_changes(&source_spans, &target_spans);
        Ok(if target_size == 0 {
            0
        } else {
            copied * MAX_SCORE / max_size
        })
    }

    fn size(&mut self, id: &ObjectId) -> Result<u64> {
        if let Some(size) = self.sizes.get(id) {
            return Ok(*size);
        }
        let size = self.blobs.size(id)?;
        self.sizes.insert(*id, size);
        Ok(size)
    }

    fn spans(&mut self, id: &ObjectId) -> Result<Rc<[Span]>> {
        if let Some(spans) = self.spans.get(id) {
            return Ok(Rc::clone(spans));
        }
        let spans = self.blobs.spans(id)?;
        self.spans.insert(*id, Rc::clone(&spans));
        Ok(spans)
    }
}

fn is_regular(kind: EntryKind) -> bool {
    matches!(kind, EntryKind::Blob | EntryKind::BlobExecutable)
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// git's `basename_same`: the last path components are equal.
fn basename_same(src: &[u8], dst: &[u8]) -> bool {
    let (mut i, mut j) = (src.len(), dst.len());
    while i > 0 && j > 0 {
        i -= 1;
        j -= 1;
        if src[i] != dst[j] {
            return false;
        }
        if src[i] == b'/' {
            return true;
        }
    }
    (i == 0 || src[i - 1] == b'/') && (j == 0 || dst[j - 1] == b'/')
}

/// git's `score_compare`: positive when `a` sorts after `b` (empty slots last, then higher
/// scores first, then same-basename first).
fn score_order(a: &Candidate, b: &Candidate) -> i64 {
    match (a.dst, b.dst) {
        (None, other) => i64::from(other.is_some()),
        (_, None) => -1,
        _ if a.score == b.score => i64::from(b.same_name) - i64::from(a.same_name),
        _ => b.score as i64 - a.score as i64,
    }
}

/// git's `record_if_better`: replaces the worst of the kept candidates (the first worst) when
/// `candidate` is strictly better.
fn record_if_better(kept: &mut [Candidate; CANDIDATES_PER_DST], candidate: Candidate) {
    let mut worst = 0;
    for i in 1..CANDIDATES_PER_DST {
        if score_order(&kept[i], &kept[worst]) > 0 {
            worst = i;
        }
    }
    if score_order(&kept[worst], &candidate) > 0 {
        kept[worst] = candidate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blobs by id, for tests.
    #[derive(Default)]
    struct Store(HashMap<ObjectId, Vec<u8>>);

    impl Store {
        fn file(&mut self, path: &str, content: &str) -> RenameFile {
            let id =
                gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, content.as_bytes())
                    .expect("hash");
            self.0.insert(id, content.as_bytes().to_vec());
            RenameFile {
                path: path.as_bytes().to_vec(),
                id,
                kind: EntryKind::Blob,
            }
        }
    }

    impl Blobs for Store {
        fn size(&mut self, id: &ObjectId) -> Result<u64> {
            Ok(self.0[id].len() as u64)
        }
        fn data(&mut self, id: &ObjectId) -> Result<Vec<u8>> {
            Ok(self.0[id].clone())
        }
    }

    #[test]
    fn basename_same_compares_last_components() {
        assert!(basename_same(b"a/b/c.txt", b"x/c.txt"));
        assert!(basename_same(b"c.txt", b"x/c.txt"));
        assert!(basename_same(b"c.txt", b"c.txt"));
        assert!(!basename_same(b"a/bc.txt", b"x/c.txt"));
        assert!(!basename_same(b"a/c.txt", b"x/d.txt"));
        assert!(!basename_same(b"ac.txt", b"c.txt"));
    }

    #[test]
    fn exact_renames_prefer_unused_sources_with_the_same_basename() {
        let mut store = Store::default();
        let deleted = vec![store.file("a/x.txt", "same\n"), store.file("b/y.txt", "same\n")];
        let added = vec![store.file("c/y.txt", "same\n"), store.file("d/z.txt", "same\n")];
        let found = detect(&deleted, &added, RenameOptions::default(), &mut store).unwrap();
        assert_eq!(found.source_of, vec![Some(1), Some(0)]);
    }

    #[test]
    fn similar_files_pair_above_half_and_not_below() {
        let mut store = Store::default();
        let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let edited = body.replace("line 3\n", "changed\n");
        let other: String = (0..20).map(|i| format!("other {i}\n")).collect();
        let deleted = vec![store.file("old.txt", &body), store.file("gone.txt", &other)];
        let added = vec![store.file("new.txt", &edited)];
        let found = detect(&deleted, &added, RenameOptions::default(), &mut store).unwrap();
        assert_eq!(found.source_of, vec![Some(0)]);
    }

    #[test]
    fn disabled_or_over_the_limit_finds_no_inexact_renames() {
        let mut store = Store::default();
        let deleted = vec![store.file("a", "1\n2\n3\n4\n"), store.file("b", "x\n")];
        let added = vec![store.file("c", "1\n2\n3\n5\n"), store.file("d", "x\n")];
        let off = RenameOptions {
            enabled: false,
            limit: 1000,
        };
        assert_eq!(
            detect(&deleted, &added, off, &mut store).unwrap().source_of,
            vec![None, None]
        );
        let tight = RenameOptions {
            enabled: true,
            limit: 0,
        };
        // 0 is unlimited.
        assert_eq!(
            detect(&deleted, &added, tight, &mut store).unwrap().source_of,
            vec![Some(0), Some(1)]
        );
        let none_left = RenameOptions {
            enabled: true,
            limit: 1,
        };
        // The exact pair is found; one source x one destination fits a limit of 1.
        let found = detect(&deleted, &added, none_left, &mut store).unwrap();
        assert_eq!(found.source_of, vec![Some(0), Some(1)]);
    }

    #[test]
    fn the_limit_counts_what_exact_renames_leave() {
        let mut store = Store::default();
        let deleted = vec![store.file("a", "1\n2\n3\n4\n"), store.file("b", "p\nq\nr\ns\n")];
        let added = vec![store.file("c", "1\n2\n3\n5\n"), store.file("d", "p\nq\nr\nt\n")];
        let limit = RenameOptions {
            enabled: true,
            limit: 1,
        };
        let found = detect(&deleted, &added, limit, &mut store).unwrap();
        assert_eq!(found.source_of, vec![None, None]);
        assert_eq!(found.needed_limit, Some(2));
    }
}
