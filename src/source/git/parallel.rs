//! Reading a repository's commits on every core: the walk runs on the calling thread, chunks of
//! commit ids go to workers that each own a repository handle (gix handles are per-thread),
//! and records come back in walk order. Diffs dominate the cost and are independent per
//! commit, so this scales with cores while git's own `log --numstat` is single-threaded.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use gix::ObjectId;

use super::commits::{walk, CommitNeeds, CommitReader, CommitRecord, ScanCounters, TimeBounds};
use super::diff::DiffStats;
use super::odb::DeltaBaseCache;
use super::renames::RenameOptions;
use super::stats_cache::StatsCache;
use super::RepoLocation;
use crate::error::{Error, Result};

/// Commits per unit of work: large enough to amortise channel traffic, small enough to keep
/// the in-flight memory low and the first rows quick.
const CHUNK: usize = 64;
/// Commits per unit of work, at most, when only each commit's totals come back (no per-file
/// rows; runs grow from `CHUNK` to this): a worker then walks longer stretches of history, so
/// the blobs it needs are more often deltas of ones it has just decoded. On git.git's stats
/// scan, 1024 instead of 64 took 31.4 CPU-s instead of 34.0 (two runs each, 2 cores, measured
/// when each worker had a delta-base cache of its own; `benches/README.md`).
const STATS_CHUNK: usize = 1024;
/// Commits per unit of work when each file's patch comes back (see [`read_streamed`]).
const PATCH_CHUNK: usize = 4;
/// Patch text per piece of a commit that [`read_streamed`] hands over: git.git's largest
/// commit has 17.7 MB of patches in 14 files, its largest patch is 1.8 MB.
const PIECE_BYTES: usize = 1 << 20;
/// Pieces a worker may get ahead of the consumer on a unit that is not the consumer's yet;
/// a unit of ordinary commits (a piece each) fits, so only huge commits wait.
const PIECES_AHEAD: usize = PATCH_CHUNK;

/// What to read and how.
pub(crate) struct ReadPlan<'a> {
    pub location: &'a RepoLocation,
    pub rev: Option<&'a str>,
    pub times: TimeBounds,
    pub needs: CommitNeeds,
    /// Worker threads; 1 reads on the calling thread.
    pub workers: usize,
    /// Where the per-commit stats cache lives (None: no cache).
    pub cache_root: Option<&'a std::path::Path>,
    pub counters: &'a ScanCounters,
    /// Count the walk's commits first into `counters.total` (a front end shows progress).
    pub count_total: bool,
    /// A handle and delta-base cache to read through instead of opening the repository again:
    /// a caller that reads the same objects itself shares the object store, so the packs are
    /// mapped once, and finds the objects the scan just decoded in the cache.
    pub repo: Option<(&'a gix::ThreadSafeRepository, &'a DeltaBaseCache)>,
}

impl<'a> ReadPlan<'a> {
    /// The plan, reading through `repo` (see [`ReadPlan::repo`]).
    pub(crate) fn through(
        mut self,
        repo: Option<(&'a gix::ThreadSafeRepository, &'a DeltaBaseCache)>,
    ) -> Self {
        self.repo = repo;
        self
    }
}

type ChunkResult = (usize, Result<Vec<CommitRecord>>);

/// The delta-base cache a scan of `repo` with `needs` reads through: smaller as more of its
/// memory goes to rows and patch text.
pub(crate) fn delta_base_cache(repo: &gix::Repository, needs: CommitNeeds) -> DeltaBaseCache {
    if needs.file_patches {
        DeltaBaseCache::for_patches(repo)
    } else if needs.files {
        DeltaBaseCache::for_rows(repo)
    } else {
        DeltaBaseCache::for_history(repo)
    }
}

/// Calls `emit` for each selected commit in walk order until it returns false.
pub(crate) fn read_commits(
    plan: &ReadPlan<'_>,
    emit: &mut dyn FnMut(CommitRecord) -> Result<bool>,
) -> Result<()> {
    let use_cache = plan.needs.stats && !plan.needs.files;
    let (mut repo, bases) = match plan.repo {
        Some((repo, bases)) => (repo.to_thread_local(), bases.clone()),
        None => {
            let repo = plan.location.open_gix()?;
            let bases = delta_base_cache(&repo, plan.needs);
            (repo, bases)
        }
    };
    let mut cache = match plan.cache_root {
        Some(root) if use_cache => {
            // Rename settings change the stats, so they are part of the cache's key.
            let renames = RenameOptions::from_config(&repo.config_snapshot());
            Some(StatsCache::open(
                root,
                &plan.location.name,
                &format!("{renames:?}"),
            ))
        }
        _ => None,
    };
    let mut computed: Vec<(ObjectId, DiffStats)> = Vec::new();
    let mut remember = |record: &CommitRecord| {
        if let (Some(stats), false) = (record.stats, record.stats_cached) {
            computed.push((record.id, stats));
        }
    };
    let mut emit = |record: CommitRecord| {
        if use_cache {
            remember(&record);
        }
        emit(record)
    };
    if plan.needs.stats || plan.needs.files {
        bases.attach(&mut repo);
    }
    let result = read_all(plan, &repo, &bases, cache.as_ref(), &mut emit);
    // Whatever was computed is kept, even when the consumer stopped early or a later commit failed.
    if let Some(cache) = &mut cache {
        cache.store(&computed);
    }
    let needed = plan
        .counters
        .needed_rename_limit
        .load(std::sync::atomic::Ordering::Relaxed);
    if needed > 0 {
        // git log warns the same way, once at the end.
        tracing::warn!(
            "{}: inexact rename detection was skipped on commits with too many files; \
             set diff.renameLimit to at least {needed} to detect those renames",
            plan.location.name
        );
    }
    result
}

/// `bases` is the delta-base cache the workers' handles share.
fn read_all(
    plan: &ReadPlan<'_>,
    repo: &gix::Repository,
    bases: &DeltaBaseCache,
    cache: Option<&StatsCache>,
    emit: &mut dyn FnMut(CommitRecord) -> Result<bool>,
) -> Result<()> {
    let expensive = plan.needs.stats || plan.needs.files;
    let name = plan.location.name.as_str();
    if expensive && plan.times == TimeBounds::default() {
        count_for_progress(plan, repo)?;
    }
    let ids = walk(repo, name, plan.rev, plan.times.committer_min)?;
    // One mapping of the graph for all the workers.
    let graph = CommitReader::graph(repo, name, plan.needs)?;
    let graph = graph.as_ref();
    if plan.needs.file_patches && !plan.needs.stats {
        return read_streamed(plan, repo, bases, graph, cache, ids, emit);
    }
    if plan.workers <= 1 || !expensive {
        let mut reader = CommitReader::new(repo, name, plan.needs, graph, cache, plan.counters)?;
        for id in ids {
            if let Some(record) = reader.read(id?, &plan.times)? {
                if !emit(record)? {
                    break;
                }
            }
        }
        return Ok(());
    }

    let (job_tx, job_rx) = mpsc::channel::<(usize, Vec<ObjectId>)>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (result_tx, result_rx) = mpsc::channel::<ChunkResult>();
    let shared = repo.clone().into_sync();
    std::thread::scope(|scope| -> Result<()> {
        // Owned by this closure, so any way out of it (an error, an early stop) closes both
        // channels before the scope joins the workers: none is left waiting for a job.
        let (job_tx, result_rx) = (job_tx, result_rx);
        for _ in 0..plan.workers {
            let job_rx = Arc::clone(&job_rx);
            let result_tx = result_tx.clone();
            let shared = &shared;
            scope.spawn(move || {
                let mut repo = shared.to_thread_local();
                bases.attach(&mut repo);
                let mut reader = match CommitReader::new(&repo, name, plan.needs, graph, cache, plan.counters)
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = result_tx.send((usize::MAX, Err(e)));
                        return;
                    }
                };
                loop {
                    let job = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((index, chunk)) = job else { return };
                    let records: Result<Vec<CommitRecord>> = chunk
                        .into_iter()
                        .filter_map(|id| reader.read(id, &plan.times).transpose())
                        .collect();
                    if result_tx.send((index, records)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(result_tx);

        let max_in_flight = plan.workers * 3;
        let mut pending: BTreeMap<usize, Vec<CommitRecord>> = BTreeMap::new();
        let (mut sent, mut next_out) = (0usize, 0usize);
        let mut wanted = true;
        // Emits every finished chunk that is next in walk order; false when the consumer is done.
        let mut drain =
            |pending: &mut BTreeMap<usize, Vec<CommitRecord>>, next_out: &mut usize| -> Result<bool> {
                while let Some(records) = pending.remove(next_out) {
                    *next_out += 1;
                    for record in records {
                        if !emit(record)? {
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            };
        let receive = |pending: &mut BTreeMap<usize, Vec<CommitRecord>>| -> Result<()> {
            let (index, records) = result_rx
                .recv()
                .map_err(|_| Error::git(name, "diff workers stopped unexpectedly"))?;
            pending.insert(index, records?);
            Ok(())
        };

        let mut ids = ids.peekable();
        while wanted && ids.peek().is_some() {
            // Runs start short and double up to STATS_CHUNK, so first rows (and a LIMIT) cost
            // no more than before while a long scan gets long runs.
            let chunk_len = if plan.needs.files {
                CHUNK
            } else {
                (CHUNK << sent.min(8)).min(STATS_CHUNK)
            };
            let mut chunk = Vec::with_capacity(chunk_len);
            for id in ids.by_ref().take(chunk_len) {
                chunk.push(id?);
            }
            if job_tx.send((sent, chunk)).is_err() {
                break;
            }
            sent += 1;
            while sent - next_out >= max_in_flight && wanted {
                receive(&mut pending)?;
                wanted = drain(&mut pending, &mut next_out)?;
            }
        }
        drop(job_tx);
        while wanted && next_out < sent {
            receive(&mut pending)?;
            wanted = drain(&mut pending, &mut next_out)?;
        }
        Ok(())
    })
}

/// What a worker of [`read_streamed`] sends for its unit: pieces of commits, then `Done`.
enum Piece {
    Commit(Box<CommitRecord>),
    Done,
}

/// [`read_all`] for scans that want each file's patch, which are most of their memory: each
/// unit's pieces come back through a channel of its own that holds [`PIECES_AHEAD`] pieces,
/// read in walk order, so a worker ahead of the consumer waits instead of piling up patches
/// (git.git's `SELECT * FROM commit_files`: 26 MB of patches were in flight at the peak when
/// whole units came back).
fn read_streamed(
    plan: &ReadPlan<'_>,
    repo: &gix::Repository,
    bases: &DeltaBaseCache,
    graph: Option<&gix::commitgraph::Graph>,
    cache: Option<&StatsCache>,
    ids: impl Iterator<Item = Result<ObjectId>>,
    emit: &mut dyn FnMut(CommitRecord) -> Result<bool>,
) -> Result<()> {
    let name = plan.location.name.as_str();
    if plan.workers <= 1 {
        let mut reader = CommitReader::new(repo, name, plan.needs, graph, cache, plan.counters)?;
        for id in ids {
            if !reader.read_in_pieces(id?, &plan.times, PIECE_BYTES, emit)? {
                break;
            }
        }
        return Ok(());
    }
    type Unit = (Vec<ObjectId>, mpsc::SyncSender<Result<Piece>>);
    let (job_tx, job_rx) = mpsc::channel::<Unit>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let shared = repo.clone().into_sync();
    std::thread::scope(|scope| -> Result<()> {
        // Owned by this closure, so any way out of it (an error, an early stop) closes the job
        // channel and every unit's receiver: a worker waiting on either is released.
        let job_tx = job_tx;
        for _ in 0..plan.workers {
            let job_rx = Arc::clone(&job_rx);
            let shared = &shared;
            scope.spawn(move || {
                let mut repo = shared.to_thread_local();
                bases.attach(&mut repo);
                let mut reader = CommitReader::new(&repo, name, plan.needs, graph, cache, plan.counters);
                loop {
                    let job = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((chunk, tx)) = job else { return };
                    let reader = match &mut reader {
                        Ok(reader) => reader,
                        Err(e) => {
                            let _ = tx.send(Err(Error::git(name, e.to_string())));
                            return;
                        }
                    };
                    let mut send = |record| Ok(tx.send(Ok(Piece::Commit(Box::new(record)))).is_ok());
                    let mut unit = Ok(true);
                    for id in chunk {
                        unit = reader.read_in_pieces(id, &plan.times, PIECE_BYTES, &mut send);
                        if !matches!(unit, Ok(true)) {
                            break;
                        }
                    }
                    let last = match unit {
                        Ok(true) => Ok(Piece::Done),
                        Ok(false) => return, // the consumer is gone
                        Err(e) => Err(e),
                    };
                    if tx.send(last).is_err() {
                        return;
                    }
                }
            });
        }
        let mut units: std::collections::VecDeque<mpsc::Receiver<Result<Piece>>> = Default::default();
        let mut ids = ids.peekable();
        loop {
            while units.len() < plan.workers + 1 && ids.peek().is_some() {
                let mut chunk = Vec::with_capacity(PATCH_CHUNK);
                for id in ids.by_ref().take(PATCH_CHUNK) {
                    chunk.push(id?);
                }
                let (tx, rx) = mpsc::sync_channel(PIECES_AHEAD);
                job_tx
                    .send((chunk, tx))
                    .map_err(|_| Error::git(name, "diff workers stopped unexpectedly"))?;
                units.push_back(rx);
            }
            let Some(unit) = units.front() else {
                return Ok(());
            };
            // A unit's sender is dropped without `Done` only when its worker died.
            match unit.recv() {
                Ok(Ok(Piece::Commit(record))) => {
                    if !emit(*record)? {
                        return Ok(());
                    }
                }
                Ok(Ok(Piece::Done)) => {
                    units.pop_front();
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(Error::git(name, "diff workers stopped unexpectedly")),
            }
        }
    })
}

/// Sets the scan's progress total to the commits its walk selects, when a front end shows
/// progress and the repository has a commit-graph: then it is one more walk that decodes no
/// commit (0.1 s for git.git). Without one, counting would decode every commit before the
/// first row, so the total stays unknown.
fn count_for_progress(plan: &ReadPlan<'_>, repo: &gix::Repository) -> Result<()> {
    if plan.count_total && repo.commit_graph_if_enabled().ok().flatten().is_some() {
        let n = super::commits::count(repo, &plan.location.name, plan.rev)?;
        plan.counters.total.store(n, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// A worker of [`map_walk`]: given its own repository handle, it takes chunks of commit ids
/// from `next` (None: no more work) and hands each chunk's result to `done` (false: stop).
pub(crate) type ChunkWorker<'a, T> = dyn Fn(
        &gix::Repository,
        &mut dyn FnMut() -> Option<(usize, Vec<ObjectId>)>,
        &mut dyn FnMut(usize, Result<T>) -> bool,
    ) + Sync
    + 'a;

/// The walk of `plan` (its revisions; no time bounds) in chunks on `plan.workers` threads,
/// each running `worker` with a repository handle of its own, the chunks' results handed to
/// `emit` in walk order until it returns false. For work per commit that is not a
/// [`CommitRecord`] (the lines of each diff), with the same bounded memory as
/// [`read_commits`]: at most three chunks per worker in flight.
pub(crate) fn map_walk<T: Send>(
    plan: &ReadPlan<'_>,
    worker: &ChunkWorker<'_, T>,
    emit: &mut dyn FnMut(T) -> Result<bool>,
) -> Result<()> {
    let name = plan.location.name.as_str();
    let mut repo = plan.location.open_gix()?;
    let bases = DeltaBaseCache::for_rows(&repo);
    bases.attach(&mut repo);
    count_for_progress(plan, &repo)?;
    let ids = walk(&repo, name, plan.rev, None)?;
    let workers = plan.workers.max(1);
    let (job_tx, job_rx) = mpsc::channel::<(usize, Vec<ObjectId>)>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (result_tx, result_rx) = mpsc::channel::<(usize, Result<T>)>();
    let shared = repo.clone().into_sync();
    std::thread::scope(|scope| -> Result<()> {
        // Owned by this closure, so any way out of it (an error, an early stop) closes both
        // channels before the scope joins the workers: none is left waiting for a job.
        let (job_tx, result_rx) = (job_tx, result_rx);
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let result_tx = result_tx.clone();
            let (shared, bases) = (&shared, &bases);
            scope.spawn(move || {
                let mut repo = shared.to_thread_local();
                bases.attach(&mut repo);
                let mut next = || job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv().ok();
                let mut done = |index: usize, result: Result<T>| result_tx.send((index, result)).is_ok();
                worker(&repo, &mut next, &mut done);
            });
        }
        drop(result_tx);
        let max_in_flight = workers * 3;
        let mut pending: BTreeMap<usize, T> = BTreeMap::new();
        let (mut sent, mut next_out) = (0usize, 0usize);
        let mut wanted = true;
        let mut step = |pending: &mut BTreeMap<usize, T>, next_out: &mut usize| -> Result<bool> {
            let (index, result) = result_rx
                .recv()
                .map_err(|_| Error::git(name, "diff workers stopped unexpectedly"))?;
            pending.insert(index, result?);
            while let Some(value) = pending.remove(next_out) {
                *next_out += 1;
                if !emit(value)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        let mut ids = ids.peekable();
        while wanted && ids.peek().is_some() {
            let mut chunk = Vec::with_capacity(CHUNK);
            for id in ids.by_ref().take(CHUNK) {
                chunk.push(id?);
            }
            if job_tx.send((sent, chunk)).is_err() {
                break;
            }
            sent += 1;
            while wanted && sent - next_out >= max_in_flight {
                wanted = step(&mut pending, &mut next_out)?;
            }
        }
        // Workers see the channel close and stop; results not wanted any more are dropped.
        drop(job_tx);
        while wanted && next_out < sent {
            wanted = step(&mut pending, &mut next_out)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (commit, path, patch) in the order `read_commits` hands them out.
    fn files(location: &RepoLocation, needs: CommitNeeds, workers: usize) -> Vec<(String, String, String)> {
        let counters = ScanCounters::default();
        let plan = ReadPlan {
            location,
            rev: None,
            times: TimeBounds::default(),
            needs,
            workers,
            cache_root: None,
            counters: &counters,
            count_total: false,
            repo: None,
        };
        let mut out = Vec::new();
        read_commits(&plan, &mut |record| {
            for f in record.files {
                out.push((record.id.to_string(), f.path, f.patch.unwrap_or_default()));
            }
            Ok(true)
        })
        .unwrap();
        out
    }

    /// A commit of several MB of patches comes in pieces, on one worker or several, in the
    /// order and with the text of a whole read (a read with totals is never split).
    #[test]
    fn patches_streamed_in_pieces_equal_a_whole_read() {
        let dir = tempfile::tempdir().unwrap();
        let script = r#"
            set -e
            export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
            git init -q -b main .
            git config user.name P; git config user.email p@x
            for i in 1 2 3 4 5; do echo $i >> s.txt; git add -A; git commit -qm "s$i"; done
            for f in a b c; do seq 1 100000 | sed "s/^/$f /" > $f.txt; done; echo z > z.txt
            git add -A; git commit -qm big
            for i in 6 7 8 9; do echo $i >> s.txt; git add -A; git commit -qm "s$i"; done
        "#;
        let status = std::process::Command::new("bash")
            .args(["-c", script])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
        let location = RepoLocation::resolve(dir.path().to_str().unwrap()).unwrap();
        let patches = CommitNeeds {
            files: true,
            file_patches: true,
            ..Default::default()
        };
        let whole = files(
            &location,
            CommitNeeds {
                stats: true,
                ..patches
            },
            2,
        );
        assert_eq!(whole.len(), 4 + 9);
        let big: usize = whole.iter().map(|(_, _, p)| p.len()).sum();
        assert!(big > 2 * PIECE_BYTES, "{big} bytes of patches");
        for workers in [1, 2, 3] {
            assert_eq!(files(&location, patches, workers), whole, "{workers} workers");
        }
    }
}
