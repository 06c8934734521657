//! Walking history: which commits a revision spec selects, and each commit's fields.

use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;
use gix::ObjectId;

use std::sync::atomic::{AtomicU64, Ordering};

use super::diff::{ChangeDetail, DiffStats, Differ, FileChange};
use super::stats_cache::StatsCache;
use super::text;
use super::trailers;
use crate::error::{Error, Result};

/// A person as recorded in a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Person {
    pub name: String,
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

/// What a scan needs from each commit; everything else is not computed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CommitNeeds {
    pub people: bool,
    pub message: bool,
    pub mailmap: bool,
    /// With `message`: the `Co-authored-by` people of the message's trailers.
    pub co_authors: bool,
    /// With `co_authors` and `mailmap`: those people after `.mailmap` too.
    pub co_authors_mailmap: bool,
    pub stats: bool,
    pub files: bool,
    /// With `files`: also count lines and detect binaries (reads both blobs of every change).
    pub file_lines: bool,
    /// With `files`: also each file's patch text.
    pub file_patches: bool,
    /// Only merges (Some(true)) or only the other commits (Some(false)): the rest are skipped
    /// before their messages are decoded or their trees diffed (git's `--merges` and
    /// `--no-merges`).
    pub merges: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct CommitRecord {
    pub id: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Person,
    pub committer: Person,
    /// The author after `.mailmap` (name, email); set when asked for.
    pub mailmap_author: Option<(String, String)>,
    /// The `Co-authored-by` people after `.mailmap` ("Name <email>"); set when asked for.
    pub mailmap_co_authors: Vec<String>,
    /// The `Co-authored-by` people as written ("Name <email>"); set when asked for.
    pub co_authors: Vec<String>,
    pub summary: String,
    pub message: String,
    pub stats: Option<DiffStats>,
    /// True when `stats` came from the on-disk cache rather than a diff.
    pub stats_cached: bool,
    pub files: Vec<FileChange>,
    /// The commit's tree and its first parent's (None: a root commit), which `files` come
    /// from; set when the files were diffed.
    pub trees: Option<(ObjectId, Option<ObjectId>)>,
}

/// What a scan did, for `EXPLAIN ANALYZE` (shared by the threads of one scan).
#[derive(Debug, Default)]
pub(crate) struct ScanCounters {
    pub commits: AtomicU64,
    pub diffs: AtomicU64,
    pub cache_hits: AtomicU64,
    /// The `diff.renameLimit` some commit needed for inexact rename detection (0: none).
    pub needed_rename_limit: AtomicU64,
    /// Files done (blame).
    pub files: AtomicU64,
    /// What the scan will count to, for progress (0: unknown).
    pub total: AtomicU64,
}

impl ScanCounters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl CommitRecord {
    /// A record with only the id set; the other fields are filled as needed.
    pub(crate) fn new(id: ObjectId) -> Self {
        CommitRecord {
            id,
            parents: Vec::new(),
            author: Person::default(),
            committer: Person::default(),
            mailmap_author: None,
            mailmap_co_authors: Vec::new(),
            co_authors: Vec::new(),
            summary: String::new(),
            message: String::new(),
            stats: None,
            stats_cached: false,
            files: Vec::new(),
            trees: None,
        }
    }
}

/// Time bounds (seconds, inclusive) that prune work; rows outside them may still be returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TimeBounds {
    pub author_min: Option<i64>,
    pub author_max: Option<i64>,
    pub committer_min: Option<i64>,
    pub committer_max: Option<i64>,
}

impl TimeBounds {
    fn excludes(&self, author: i64, committer: i64) -> bool {
        self.author_min.is_some_and(|m| author < m)
            || self.author_max.is_some_and(|m| author > m)
            || self.excludes_committer(committer)
    }

    /// Whether a bound is on author time, which only the commit object records.
    fn on_author(&self) -> bool {
        self.author_min.is_some() || self.author_max.is_some()
    }

    /// The committer-time half of `excludes`: all of it when no bound is on author time.
    fn excludes_committer(&self, committer: i64) -> bool {
        self.committer_min.is_some_and(|m| committer < m) || self.committer_max.is_some_and(|m| committer > m)
    }
}

/// The commits selected by a revision spec, newest first by committer time (as `git log`).
///
/// `rev` is None for HEAD, or whitespace-separated git revisions: `main`, `v1.0..main`,
/// `a...b`, `^v1.0`, `X^!`, `X^@`, and `--all` for every ref plus HEAD.
pub(crate) fn walk<'r>(
    repo: &'r gix::Repository,
    name: &str,
    rev: Option<&str>,
    committer_since: Option<i64>,
) -> Result<Box<dyn Iterator<Item = Result<ObjectId>> + 'r>> {
    let (tips, hidden) = resolve_revisions(repo, name, rev)?;
    if tips.is_empty() {
        return Ok(Box::new(std::iter::empty()));
    }
    let sorting = match committer_since {
        Some(seconds) => Sorting::ByCommitTimeCutoff {
            order: CommitTimeOrder::NewestFirst,
            seconds,
        },
        None => Sorting::ByCommitTime(CommitTimeOrder::NewestFirst),
    };
    walk_sorted(repo, name, tips, hidden, sorting)
}

/// How many commits `rev` selects: the same commits as [`walk`], in no particular order, so
/// no time-ordered queue is kept (what `count(*)` needs).
pub(crate) fn count(repo: &gix::Repository, name: &str, rev: Option<&str>) -> Result<u64> {
    let (tips, hidden) = resolve_revisions(repo, name, rev)?;
    if tips.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for id in walk_sorted(repo, name, tips, hidden, Sorting::BreadthFirst)? {
        id?;
        n += 1;
    }
    Ok(n)
}

fn walk_sorted<'r>(
    repo: &'r gix::Repository,
    name: &str,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    sorting: Sorting,
) -> Result<Box<dyn Iterator<Item = Result<ObjectId>> + 'r>> {
    let name = name.to_string();
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .sorting(sorting)
        .all()
        .map_err(|e| Error::git(&name, e))?;
    Ok(Box::new(walk.map(move |info| {
        info.map(|i| i.id).map_err(|e| Error::git(&name, e))
    })))
}

fn peel_to_commit(repo: &gix::Repository, name: &str, id: ObjectId) -> Result<ObjectId> {
    let object = repo.find_object(id).map_err(|e| Error::git(name, e))?;
    let commit = object.peel_to_commit().map_err(|e| Error::git(name, e))?;
    Ok(commit.id)
}

fn resolve_revisions(
    repo: &gix::Repository,
    name: &str,
    rev: Option<&str>,
) -> Result<(Vec<ObjectId>, Vec<ObjectId>)> {
    let mut tips = Vec::new();
    let mut hidden = Vec::new();
    let Some(rev) = rev.map(str::trim).filter(|r| !r.is_empty()) else {
        // An unborn HEAD (empty repository) selects no commits.
        tips.extend(super::head_commit(repo, name)?);
        return Ok((tips, hidden));
    };
    let unknown = || Error::UnknownRevision {
        repo: name.to_string(),
        rev: rev.to_string(),
    };
    for token in rev.split_whitespace() {
        if token == "--all" {
            tips.extend(super::head_commit(repo, name)?);
            let refs = repo.references().map_err(|e| Error::git(name, e))?;
            for r in refs.all().map_err(|e| Error::git(name, e))? {
                let mut r = r.map_err(|e| Error::git(name, e))?;
                // Refs to trees or blobs (rare) are not history; git log --all skips them too.
                if let Ok(id) = r.peel_to_id() {
                    if let Ok(c) = peel_to_commit(repo, name, id.detach()) {
                        tips.push(c);
                    }
                }
            }
            continue;
        }
        if let Some(excluded) = token.strip_prefix('^') {
            let id = repo.rev_parse_single(excluded).map_err(|_| unknown())?;
            hidden.push(peel_to_commit(repo, name, id.detach())?);
            continue;
        }
        let spec = repo.rev_parse(token).map_err(|_| unknown())?.detach();
        use gix::revision::plumbing::Spec;
        match spec {
            Spec::Include(id) => tips.push(peel_to_commit(repo, name, id)?),
            Spec::Exclude(id) => hidden.push(peel_to_commit(repo, name, id)?),
            Spec::Range { from, to } => {
                hidden.push(peel_to_commit(repo, name, from)?);
                tips.push(peel_to_commit(repo, name, to)?);
            }
            Spec::Merge { theirs, ours } => {
                let (a, b) = (
                    peel_to_commit(repo, name, theirs)?,
                    peel_to_commit(repo, name, ours)?,
                );
                tips.extend([a, b]);
                if let Ok(Some(base)) = repo.merge_base(a, b) {
                    hidden.push(base.detach());
                }
            }
            Spec::IncludeOnlyParents(id) => {
                let commit = repo
                    .find_commit(peel_to_commit(repo, name, id)?)
                    .map_err(|e| Error::git(name, e))?;
                tips.extend(commit.parent_ids().map(|p| p.detach()));
            }
            Spec::ExcludeParents(id) => {
                let id = peel_to_commit(repo, name, id)?;
                let commit = repo.find_commit(id).map_err(|e| Error::git(name, e))?;
                hidden.extend(commit.parent_ids().map(|p| p.detach()));
                tips.push(id);
            }
        }
    }
    Ok((tips, hidden))
}

/// Reads commits and, when asked, their diffs, reusing caches across commits.
pub(crate) struct CommitReader<'r> {
    repo: &'r gix::Repository,
    name: &'r str,
    needs: CommitNeeds,
    mailmap: Option<gix::mailmap::Snapshot>,
    differ: Option<Differ<'r>>,
    cache: Option<&'r StatsCache>,
    counters: &'r ScanCounters,
    /// A shallow clone's boundary (sorted): commits whose parents are not in the repository,
    /// which git reads as having none.
    shallow: Vec<ObjectId>,
    /// The commit-graph, when the needs want nothing of a commit but its parents, tree and
    /// committer time (None in a shallow repository, where git does not use it either).
    graph: Option<&'r gix::commitgraph::Graph>,
}

impl<'r> CommitReader<'r> {
    /// `cache` serves stats (not per-file changes) computed by earlier scans; `graph` is
    /// [`CommitReader::graph`]'s answer for these needs, opened once for a scan's readers.
    pub(crate) fn new(
        repo: &'r gix::Repository,
        name: &'r str,
        needs: CommitNeeds,
        graph: Option<&'r gix::commitgraph::Graph>,
        cache: Option<&'r StatsCache>,
        counters: &'r ScanCounters,
    ) -> Result<Self> {
        let differ = if needs.stats || needs.files {
            Some(Differ::new(repo, name)?)
        } else {
            None
        };
        let shallow = super::shallow_boundary(repo, name)?;
        Ok(CommitReader {
            graph,
            shallow,
            repo,
            name,
            needs,
            mailmap: needs.mailmap.then(|| repo.open_mailmap()),
            differ,
            cache: cache.filter(|_| !needs.files),
            counters,
        })
    }

    /// The commit-graph, when `needs` want nothing of a commit but its parents, tree and
    /// committer time. None in a shallow repository, where git does not use it either, and
    /// when the graph cannot be read: it is only a shortcut past the commit objects.
    pub(crate) fn graph(
        repo: &gix::Repository,
        name: &str,
        needs: CommitNeeds,
    ) -> Result<Option<gix::commitgraph::Graph>> {
        let body = needs.people || needs.message || needs.mailmap || needs.co_authors;
        if body || !super::shallow_boundary(repo, name)?.is_empty() {
            return Ok(None);
        }
        Ok(repo.commit_graph_if_enabled().ok().flatten())
    }

    /// Reads one commit; None when `bounds` or the merge filter of its needs exclude it (so
    /// no diff work is spent on it).
    pub(crate) fn read(&mut self, id: ObjectId, bounds: &TimeBounds) -> Result<Option<CommitRecord>> {
        let Some((mut record, tree)) = self.head(id, bounds)? else {
            return Ok(None);
        };
        if let Some(stats) = self.cache.and_then(|c| c.get(&id)) {
            ScanCounters::add(&self.counters.cache_hits);
            record.stats = Some(stats);
            record.stats_cached = true;
        } else if let Some(differ) = &mut self.differ {
            let parent_tree = first_parent_tree(self.repo, self.name, self.graph, &record)?;
            record.trees = Some((tree, parent_tree));
            let (detail, counters) = (detail(self.needs), self.counters);
            ScanCounters::add(&counters.diffs);
            differ.changes(parent_tree, tree, detail, &mut record.files)?;
            note_rename_limit(differ, counters);
            record.stats = Some(DiffStats::of(&record.files));
        }
        Ok(Some(record))
    }

    /// Reads one commit as [`CommitReader::read`] does, handed to `emit` in pieces as its
    /// files are diffed: each piece is the commit with its next files, about `piece_bytes` of
    /// patch text, so a commit of tens of MB of patches is never held whole. Pieces carry no
    /// `stats`: this is for reads that want files, not totals. False when `emit` stopped.
    pub(crate) fn read_in_pieces(
        &mut self,
        id: ObjectId,
        bounds: &TimeBounds,
        piece_bytes: usize,
        emit: &mut dyn FnMut(CommitRecord) -> Result<bool>,
    ) -> Result<bool> {
        debug_assert!(!self.needs.stats, "pieces carry no totals");
        let Some((mut head, tree)) = self.head(id, bounds)? else {
            return Ok(true);
        };
        let Some(differ) = &mut self.differ else {
            return emit(head);
        };
        let parent_tree = first_parent_tree(self.repo, self.name, self.graph, &head)?;
        head.trees = Some((tree, parent_tree));
        let (detail, counters) = (detail(self.needs), self.counters);
        ScanCounters::add(&counters.diffs);
        let (mut piece, mut bytes, mut emitted) = (head.clone(), 0, false);
        let go_on = differ.each_change(parent_tree, tree, detail, &mut |file| {
            bytes += file.patch.as_ref().map_or(0, String::len);
            piece.files.push(file);
            if bytes < piece_bytes {
                return Ok(true);
            }
            bytes = 0;
            emitted = true;
            emit(std::mem::replace(&mut piece, head.clone()))
        })?;
        note_rename_limit(differ, counters);
        if !go_on {
            return Ok(false);
        }
        if piece.files.is_empty() && emitted {
            return Ok(true);
        }
        emit(piece)
    }

    /// The commit's head (all but its files and stats) and its tree; None when `bounds` or
    /// the merge filter exclude it.
    fn head(&self, id: ObjectId, bounds: &TimeBounds) -> Result<Option<(CommitRecord, ObjectId)>> {
        ScanCounters::add(&self.counters.commits);
        match self.graph {
            Some(graph) if !bounds.on_author() => self.head_from_graph(graph, id, bounds),
            _ => self.head_from_object(id, bounds),
        }
    }

    /// A commit's parents and tree from the commit-graph, for reads that want nothing else of
    /// the commit: `git log --format=%H` reads no commit object either, and the commit objects
    /// of git.git are 33 MB of its pack. A commit the graph does not have yet is decoded.
    fn head_from_graph(
        &self,
        graph: &gix::commitgraph::Graph,
        id: ObjectId,
        bounds: &TimeBounds,
    ) -> Result<Option<(CommitRecord, ObjectId)>> {
        let node = super::graph::node(self.repo, self.name, Some(graph), &self.shallow, id)?;
        if bounds.excludes_committer(node.time) || !self.merge_filter_keeps(node.parents.len()) {
            return Ok(None);
        }
        let record = CommitRecord {
            parents: node.parents,
            ..CommitRecord::new(id)
        };
        Ok(Some((record, node.tree)))
    }

    /// A commit with every field its needs ask for, decoded from its object.
    fn head_from_object(
        &self,
        id: ObjectId,
        bounds: &TimeBounds,
    ) -> Result<Option<(CommitRecord, ObjectId)>> {
        let name = self.name;
        let commit = self.repo.find_commit(id).map_err(|e| Error::git(name, e))?;
        let decoded = commit.decode().map_err(|e| Error::git(name, e))?;
        let author_sig =
            gix::actor::SignatureRef::from_bytes(decoded.author).map_err(|e| Error::git(name, e))?;
        let committer_sig =
            gix::actor::SignatureRef::from_bytes(decoded.committer).map_err(|e| Error::git(name, e))?;
        let encoding = decoded.encoding.map(|e| e.as_ref());
        let author = person(&author_sig, encoding);
        let committer = person(&committer_sig, encoding);
        if bounds.excludes(author.time, committer.time) {
            return Ok(None);
        }
        // A shallow clone's boundary commits read as roots, as git reads them.
        let parents: Vec<ObjectId> = if self.shallow.binary_search(&id).is_ok() {
            Vec::new()
        } else {
            decoded.parents().collect()
        };
        if !self.merge_filter_keeps(parents.len()) {
            return Ok(None);
        }
        let mut record = CommitRecord {
            parents,
            author,
            committer,
            ..CommitRecord::new(id)
        };
        if let Some(mailmap) = &self.mailmap {
            let resolved = mailmap.resolve(author_sig.trim());
            record.mailmap_author = Some((
                text::decode(&resolved.name, encoding),
                text::decode(&resolved.email, encoding),
            ));
        }
        if self.needs.message {
            record.message = text::decode(decoded.message, encoding);
            record.summary = text::summary(&record.message);
        }
        if self.needs.co_authors {
            record.co_authors = trailers::co_authors(&record.message);
        }
        if let (Some(mailmap), true) = (&self.mailmap, self.needs.co_authors_mailmap) {
            record.mailmap_co_authors = record
                .co_authors
                .iter()
                .map(|person| {
                    let (name, email) = trailers::split_identity(person);
                    let resolved = mailmap.resolve(gix::actor::SignatureRef {
                        name: name.into(),
                        email: email.into(),
                        time: "",
                    });
                    format!("{} <{}>", resolved.name, resolved.email)
                })
                .collect();
        }
        Ok(Some((record, decoded.tree())))
    }

    /// Whether the merge filter of the needs keeps a commit with this many parents.
    fn merge_filter_keeps(&self, parents: usize) -> bool {
        self.needs.merges.is_none_or(|merges| merges == (parents > 1))
    }
}

/// The first parent's tree, which a commit is diffed against (None: a root commit).
fn first_parent_tree(
    repo: &gix::Repository,
    name: &str,
    graph: Option<&gix::commitgraph::Graph>,
    record: &CommitRecord,
) -> Result<Option<ObjectId>> {
    match record.parents.first() {
        Some(parent) => Ok(Some(super::graph::tree_of(repo, name, graph, *parent)?)),
        None => Ok(None),
    }
}

/// What the differ computes of each file for `needs`.
fn detail(needs: CommitNeeds) -> ChangeDetail {
    ChangeDetail {
        lines: needs.stats || needs.file_lines,
        patch: needs.file_patches,
    }
}

/// Records the `diff.renameLimit` the differ's last commit needed, for the scan's warning.
fn note_rename_limit(differ: &Differ<'_>, counters: &ScanCounters) {
    if let Some(needed) = differ.needed_rename_limit() {
        counters
            .needed_rename_limit
            .fetch_max(needed as u64, Ordering::Relaxed);
    }
}

/// A signature as a [`Person`], decoded with the commit's declared encoding.
pub(crate) fn person(sig: &gix::actor::SignatureRef<'_>, encoding: Option<&[u8]>) -> Person {
    let sig = sig.trim();
    let time = sig.time().unwrap_or_default();
    Person {
        name: text::decode(sig.name, encoding),
        email: text::decode(sig.email, encoding),
        time: time.seconds,
        offset_minutes: time.offset / 60,
    }
}

#[cfg(test)]
mod fuzz {
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::process::Command;

    use proptest::prelude::*;

    use super::resolve_revisions;
    use crate::fuzz::{fuzz, mutated};

    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        Command::new("git")
            .args([
                "-c",
                "user.name=F",
                "-c",
                "user.email=f@x",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
            .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
            .output()
            .expect("git runs")
    }

    /// main: 4 commits, a side branch of 2 merged into it, one more commit, an annotated and
    /// a light tag.
    fn history(dir: &Path) -> Vec<String> {
        git(dir, &["init", "-q"]);
        let commit = |msg: &str| {
            std::fs::write(dir.join(msg), msg).unwrap();
            git(dir, &["add", "."]);
            git(dir, &["commit", "-q", "-m", msg]);
        };
        for m in ["a", "b", "c", "d"] {
            commit(m);
        }
        git(dir, &["checkout", "-q", "-b", "side", "HEAD~2"]);
        commit("s1");
        commit("s2");
        git(dir, &["checkout", "-q", "main"]);
        git(dir, &["merge", "-q", "--no-ff", "-m", "merge", "side"]);
        git(dir, &["tag", "-a", "-m", "v1", "v1", "HEAD~1"]);
        git(dir, &["tag", "light", "side~1"]);
        commit("e");
        let log = git(dir, &["rev-list", "--all"]);
        String::from_utf8(log.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The commits `git rev-list` selects for `tokens`; None when git refuses them.
    fn git_selects(dir: &Path, tokens: &[&str]) -> Option<BTreeSet<String>> {
        let mut args = vec!["rev-list"];
        args.extend(tokens);
        args.push("--");
        let out = git(dir, &args);
        out.status.success().then(|| {
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        })
    }

    fn revision(shas: Vec<String>) -> impl Strategy<Value = String> {
        let mut bases: Vec<String> = [
            "HEAD",
            "main",
            "side",
            "v1",
            "light",
            "@",
            "nope",
            "refs/heads/side",
        ]
        .map(str::to_string)
        .to_vec();
        bases.extend(shas.iter().map(|s| s[..7].to_string()));
        bases.extend(shas.into_iter().take(3));
        let suffix = prop_oneof![
            (0..6u8).prop_map(|n| format!("~{n}")),
            (0..3u8).prop_map(|n| format!("^{n}")),
            Just("^".to_string()),
            Just("~".to_string()),
            Just("^{commit}".to_string()),
            Just("^{}".to_string()),
        ];
        let operand = (prop::sample::select(bases), prop::collection::vec(suffix, 0..3))
            .prop_map(|(base, suffixes)| base + &suffixes.concat());
        let token = prop_oneof![
            operand.clone(),
            operand.clone().prop_map(|a| format!("^{a}")),
            operand.clone().prop_map(|a| format!("{a}^!")),
            operand.clone().prop_map(|a| format!("{a}^@")),
            (operand.clone(), operand.clone()).prop_map(|(a, b)| format!("{a}..{b}")),
            (operand.clone(), operand.clone()).prop_map(|(a, b)| format!("{a}...{b}")),
            operand.clone().prop_map(|a| format!("{a}..")),
            operand.prop_map(|a| format!("..{a}")),
            Just("--all".to_string()),
        ];
        prop::collection::vec(token, 1..4).prop_map(|tokens| tokens.join(" "))
    }

    /// Revision specs built from git's grammar select exactly the commits `git rev-list`
    /// selects (and fail where git fails); mutated specs never panic.
    #[test]
    fn fuzz_revision_specs() {
        let dir = tempfile::tempdir().unwrap();
        let shas = history(dir.path());
        let repo = gix::open(dir.path()).unwrap();
        let input = prop_oneof![
            3 => revision(shas).prop_map(|s| (s, true)),
            1 => mutated(&["HEAD~2..main", "side^!", "v1^{commit}", "^main side", "--all", "main...side", "@{-1}", ":/b", "HEAD^{/c}"], "^~.@{}:/!- 0123456789")
                .prop_map(|s| (s, false)),
        ];
        fuzz("fuzz_revision_specs", input, |(spec, from_grammar)| {
            let ours = resolve_revisions(&repo, "fixture", Some(&spec));
            if !from_grammar {
                return Ok(());
            }
            let tokens: Vec<&str> = spec.split_whitespace().collect();
            let theirs = git_selects(dir.path(), &tokens);
            match (ours, theirs) {
                (Ok((tips, hidden)), Some(want)) => {
                    let mut args: Vec<String> = tips.iter().map(|t| t.to_string()).collect();
                    args.extend(hidden.iter().map(|h| format!("^{h}")));
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let got = if args.is_empty() {
                        BTreeSet::new()
                    } else {
                        git_selects(dir.path(), &args).expect("object ids resolve")
                    };
                    prop_assert_eq!(got, want, "{}", spec);
                }
                (Err(_), None) => {}
                (Ok(_), None) => prop_assert!(false, "'{}' accepted; git refuses it", spec),
                (Err(e), Some(_)) => prop_assert!(false, "'{}' refused ({}); git accepts it", spec, e),
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::{CommitNeeds, CommitReader};

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@x"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// The graph shortcut is taken only where it gives git's answer: never when a commit's
    /// people or message are wanted, nor in a shallow clone.
    #[test]
    fn the_commit_graph_serves_only_reads_that_want_no_commit_body() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        std::fs::create_dir(&full).unwrap();
        git(&full, &["init", "-q"]);
        for n in 0..3 {
            std::fs::write(full.join("f"), format!("{n}\n")).unwrap();
            git(&full, &["add", "f"]);
            git(&full, &["commit", "-q", "-m", &format!("c{n}")]);
        }
        let has_graph = |repo: &Path, needs: CommitNeeds| {
            let repo = gix::open(repo).unwrap();
            CommitReader::graph(&repo, "t", needs).unwrap().is_some()
        };
        let stats = CommitNeeds {
            stats: true,
            ..Default::default()
        };
        assert!(!has_graph(&full, stats), "no commit-graph written yet");
        git(&full, &["commit-graph", "write", "--reachable"]);
        assert!(has_graph(&full, stats));
        for needs in [
            CommitNeeds {
                people: true,
                ..stats
            },
            CommitNeeds {
                message: true,
                ..stats
            },
            CommitNeeds {
                mailmap: true,
                ..stats
            },
        ] {
            assert!(!has_graph(&full, needs), "{needs:?}");
        }
        let url = format!("file://{}", full.display());
        git(dir.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
        let shallow = dir.path().join("shallow");
        git(&shallow, &["commit-graph", "write", "--reachable"]);
        assert!(!has_graph(&shallow, stats), "shallow clone");
    }
}
