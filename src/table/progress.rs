//! The scans running in this process, for front ends that show progress (the CLI's bars on a
//! terminal): each partition's producer is listed while it runs, with what it has read so far
//! and, when it is known cheaply, what it will read in all.
//!
//! Totals cost a walk of their own (the commit-graph makes it quick), so scans compute them
//! only while something watches ([`watch`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::source::git::commits::ScanCounters;

/// One running scan, as a front end shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProgress {
    /// Identifies the scan while it runs.
    pub id: u64,
    pub table: &'static str,
    pub repo: String,
    /// What `done` and `total` count: `commits` or `files`.
    pub unit: &'static str,
    pub done: u64,
    /// None while unknown (or not worth a walk of its own).
    pub total: Option<u64>,
    pub elapsed: Duration,
}

struct Running {
    id: u64,
    table: &'static str,
    repo: String,
    started: Instant,
    counters: Arc<ScanCounters>,
}

static RUNNING: Mutex<Vec<Running>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static WATCHED: AtomicBool = AtomicBool::new(false);

/// Asks scans to work out their totals (false: only what is free).
pub fn watch(on: bool) {
    WATCHED.store(on, Ordering::Relaxed);
}

/// Whether a front end shows progress, so that a total is worth computing.
pub(crate) fn watched() -> bool {
    WATCHED.load(Ordering::Relaxed)
}

/// The scans running now, oldest first.
pub fn running_scans() -> Vec<ScanProgress> {
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    running
        .iter()
        .map(|r| {
            let c = &r.counters;
            let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
            let blame = r.table == "blame";
            let total = load(&c.total);
            ScanProgress {
                id: r.id,
                table: r.table,
                repo: r.repo.clone(),
                unit: if blame { "files" } else { "commits" },
                done: if blame {
                    load(&c.files)
                } else {
                    load(&c.commits).max(load(&c.diffs))
                },
                total: (total > 0).then_some(total),
                elapsed: r.started.elapsed(),
            }
        })
        .collect()
}

/// Lists a scan until the returned guard is dropped.
pub(crate) fn register(table: &'static str, repo: &str, counters: Arc<ScanCounters>) -> Registered {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    RUNNING.lock().unwrap_or_else(|e| e.into_inner()).push(Running {
        id,
        table,
        repo: repo.to_string(),
        started: Instant::now(),
        counters,
    });
    Registered(id)
}

pub(crate) struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|r| r.id != self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_listed_while_it_runs() {
        let counters = Arc::new(ScanCounters::default());
        let guard = register("commits", "/r", counters.clone());
        counters.commits.store(7, Ordering::Relaxed);
        counters.total.store(10, Ordering::Relaxed);
        let listed = running_scans()
            .into_iter()
            .find(|s| s.repo == "/r")
            .expect("listed");
        assert_eq!((listed.done, listed.total, listed.unit), (7, Some(10), "commits"));
        drop(guard);
        assert!(!running_scans().iter().any(|s| s.repo == "/r"));
    }
}
