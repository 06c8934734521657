//! The clone jobs of one session: every remote repository a scan names is queued at once and
//! cloned (or, when asked, fetched) by a pool of at most `jobs` threads, so a query naming
//! thousands of URLs costs `jobs` threads, not thousands; each reader waits (blocking or async)
//! for its own repository only. The states are what the `clone_status` table and the Python
//! API's `CloneStatus` report.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use super::auth::GitAuth;
use super::clone::{check_origin, damage, ensure_clone, fetch, Progress, TransferOptions};

/// Where a repository's clone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloneState {
    /// Waiting for a free transfer slot.
    Queued,
    /// Being cloned into the cache.
    Cloning,
    /// Being fetched into its cached clone (`--refresh`).
    Fetching,
    /// In the cache and readable.
    Ready,
    /// Could not be cloned (`error` says why).
    Failed,
}

impl CloneState {
    pub fn as_str(self) -> &'static str {
        match self {
            CloneState::Queued => "queued",
            CloneState::Cloning => "cloning",
            CloneState::Fetching => "fetching",
            CloneState::Ready => "ready",
            CloneState::Failed => "failed",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, CloneState::Ready | CloneState::Failed)
    }
}

/// One repository's clone job, as last reported.
#[derive(Debug, Clone)]
pub struct CloneStatus {
    pub url: String,
    /// The bare clone in the cache.
    pub path: PathBuf,
    pub state: CloneState,
    /// What was done: "clone", "fetch" or "cached" (already there, nothing transferred).
    pub action: &'static str,
    pub progress: Progress,
    /// Why it failed (or, for a failed refresh of a cached clone, why it is stale).
    pub error: Option<String>,
    pub queued_at: SystemTime,
    pub started_at: Option<SystemTime>,
    pub finished_at: Option<SystemTime>,
}

/// Told about every change of every job (the CLI draws progress bars from it).
pub trait CloneObserver: Send + Sync + std::fmt::Debug {
    fn changed(&self, status: &CloneStatus);
}

/// The default observer: a failure is a warning event (the CLI prints it on stderr, Python
/// raises it as a warning); the end of every job is a debug event with its timing.
#[derive(Debug, Default)]
pub(crate) struct WarnOnStderr;

impl CloneObserver for WarnOnStderr {
    fn changed(&self, status: &CloneStatus) {
        if !status.state.is_finished() {
            return;
        }
        if let Some(error) = &status.error {
            tracing::warn!("{error}");
        }
        let took = match (status.started_at, status.finished_at) {
            (Some(start), Some(end)) => end.duration_since(start).unwrap_or_default().as_secs_f64(),
            _ => 0.0,
        };
        tracing::debug!(
            url = %status.url,
            action = status.action,
            state = status.state.as_str(),
            "clone job finished in {took:.2}s"
        );
    }
}

/// An observer that says nothing (`--strict`: a failure is the query's error instead).
#[derive(Debug, Default)]
pub(crate) struct Silent;

impl CloneObserver for Silent {
    fn changed(&self, _status: &CloneStatus) {}
}

/// How a session clones.
#[derive(Debug, Clone)]
pub(crate) struct CloneSettings {
    /// Transfers at once.
    pub jobs: usize,
    /// Fetch cached clones the first time a session uses them.
    pub refresh: bool,
    pub transfer: TransferOptions,
}

impl Default for CloneSettings {
    fn default() -> Self {
        CloneSettings {
            jobs: 8,
            refresh: false,
            transfer: TransferOptions::default(),
        }
    }
}

/// One repository's job: its status, and what its readers wait on (a condition variable for
/// threads, a watch channel for async scans, which must not hold a thread while they wait).
#[derive(Debug)]
pub(crate) struct CloneJob {
    status: Mutex<CloneStatus>,
    finished: Condvar,
    done: tokio::sync::watch::Sender<bool>,
}

impl CloneJob {
    fn new(status: CloneStatus) -> Self {
        let done = status.state.is_finished();
        CloneJob {
            status: Mutex::new(status),
            finished: Condvar::new(),
            done: tokio::sync::watch::Sender::new(done),
        }
    }

    pub(crate) fn status(&self) -> CloneStatus {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Blocks until the job ends: the clone's path, or why it could not be cloned. A failed
    /// refresh of a cached clone still gives the (stale) clone.
    pub(crate) fn wait(&self) -> Result<PathBuf, String> {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        while !status.state.is_finished() {
            status = self.finished.wait(status).unwrap_or_else(|e| e.into_inner());
        }
        outcome(&status)
    }

    /// [`CloneJob::wait`] without holding a thread.
    pub(crate) async fn finished(&self) -> Result<PathBuf, String> {
        let mut done = self.done.subscribe();
        // The sender lives as long as the job, so this only ends when the job does.
        let _ = done.wait_for(|finished| *finished).await;
        outcome(&self.status())
    }

    /// The error of a finished job, including a failed refresh that left a stale clone.
    pub(crate) fn error(&self) -> Option<String> {
        self.status().error
    }

    /// Sets the status, tells `observer`, then wakes every reader if the job has ended: a
    /// reader that wakes finds the observer already told (its warning already emitted).
    fn update(&self, observer: &dyn CloneObserver, f: impl FnOnce(&mut CloneStatus)) {
        let snapshot = {
            let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut status);
            status.clone()
        };
        observer.changed(&snapshot);
        if snapshot.state.is_finished() {
            // Taking the lock orders the wake-up after any reader's check of the state.
            drop(self.status.lock().unwrap_or_else(|e| e.into_inner()));
            self.finished.notify_all();
            self.done.send_replace(true);
        }
    }
}

fn outcome(status: &CloneStatus) -> Result<PathBuf, String> {
    match status.state {
        CloneState::Ready => Ok(status.path.clone()),
        _ => Err(status.error.clone().unwrap_or_else(|| "clone failed".into())),
    }
}

/// Every clone job of a session.
pub(crate) struct CloneManager {
    settings: CloneSettings,
    jobs: Mutex<HashMap<String, Arc<CloneJob>>>,
    pool: Arc<Pool>,
    observer: RwLock<Arc<dyn CloneObserver>>,
}

impl std::fmt::Debug for CloneManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloneManager")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl CloneManager {
    pub(crate) fn new(settings: CloneSettings) -> Self {
        let pool = Arc::new(Pool {
            max_workers: settings.jobs.max(1),
            queue: Mutex::default(),
        });
        CloneManager {
            settings,
            jobs: Mutex::default(),
            pool,
            observer: RwLock::new(Arc::new(WarnOnStderr)),
        }
    }

    /// Replaces the observer (the default warns about failures on stderr).
    pub(crate) fn set_observer(&self, observer: Arc<dyn CloneObserver>) {
        *self.observer.write().unwrap_or_else(|e| e.into_inner()) = observer;
    }

    /// Starts the job that makes `url` readable at `dest`, or joins the one already under way.
    /// A cached clone is ready at once, unless the session refreshes (first use only) or
    /// `force_refresh` asks for a fetch now. A failed job is retried by the next call.
    pub(crate) fn start(&self, url: &str, dest: &Path, force_refresh: bool) -> Arc<CloneJob> {
        self.start_as(url, dest, force_refresh, None)
    }

    /// [`Self::start`], authenticating a new transfer with `auth` instead of the session's
    /// (a worker cloning with the credentials its coordinator sent for the query).
    pub(crate) fn start_as(
        &self,
        url: &str,
        dest: &Path,
        force_refresh: bool,
        auth: Option<&GitAuth>,
    ) -> Arc<CloneJob> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = jobs.get(url) {
            let state = job.status().state;
            let reuse = match state {
                CloneState::Failed => false,
                CloneState::Ready => !force_refresh,
                _ => true,
            };
            if reuse {
                return job.clone();
            }
        }
        // A damaged entry is not a cache hit: its job clones it again (`ensure_clone`).
        let cached = dest.join("HEAD").exists() && damage(dest).is_none();
        let action = match (
            cached,
            force_refresh || (self.settings.refresh && !jobs.contains_key(url)),
        ) {
            (false, _) => "clone",
            (true, true) => "fetch",
            (true, false) => "cached",
        };
        // A cached entry must be a clone of this URL; one that is not fails here, unread.
        let foreign = if cached {
            check_origin(url, dest).err()
        } else {
            None
        };
        let failed = foreign.is_some();
        let now = SystemTime::now();
        let job = Arc::new(CloneJob::new(CloneStatus {
            url: url.to_string(),
            path: dest.to_path_buf(),
            state: match (action, &foreign) {
                (_, Some(_)) => CloneState::Failed,
                ("cached", None) => CloneState::Ready,
                _ => CloneState::Queued,
            },
            action,
            progress: Progress::default(),
            error: foreign.map(|e| e.to_string()),
            queued_at: now,
            started_at: None,
            finished_at: (action == "cached").then_some(now),
        }));
        jobs.insert(url.to_string(), job.clone());
        drop(jobs);
        if failed {
            // Observers report it as they report any failed clone.
            self.notify(&job.status());
        } else if action != "cached" {
            self.notify(&job.status());
            self.pool.push(JobRunner {
                job: job.clone(),
                observer: self.observer.read().unwrap_or_else(|e| e.into_inner()).clone(),
                transfer: match auth {
                    Some(auth) => TransferOptions {
                        auth: auth.clone(),
                        ..self.settings.transfer.clone()
                    },
                    None => self.settings.transfer.clone(),
                },
            });
        }
        job
    }

    /// Every job of the session, in the order they were first queued.
    pub(crate) fn statuses(&self) -> Vec<CloneStatus> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<CloneStatus> = jobs.values().map(|j| j.status()).collect();
        all.sort_by(|a, b| a.queued_at.cmp(&b.queued_at).then_with(|| a.url.cmp(&b.url)));
        all
    }

    fn notify(&self, status: &CloneStatus) {
        self.observer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .changed(status);
    }
}

/// The threads that run queued jobs: at most `max_workers`, started when jobs are queued and
/// ended when the queue is empty, so an idle session holds none.
struct Pool {
    max_workers: usize,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<JobRunner>,
    workers: usize,
}

impl Pool {
    fn push(self: &Arc<Self>, runner: JobRunner) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.waiting.push_back(runner);
        if queue.workers >= self.max_workers {
            return;
        }
        queue.workers += 1;
        drop(queue);
        let pool = self.clone();
        if let Err(e) = std::thread::Builder::new()
            .name("gitfleet-clone".into())
            .spawn(move || pool.work())
        {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.workers -= 1;
            if queue.workers == 0 {
                // No thread will ever run what waits: fail it rather than leave readers hanging.
                let stranded: Vec<JobRunner> = queue.waiting.drain(..).collect();
                drop(queue);
                for runner in stranded {
                    runner.fail(format!("cannot start a clone thread: {e}"));
                }
            }
        }
    }

    fn work(&self) {
        loop {
            let runner = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                match queue.waiting.pop_front() {
                    Some(runner) => runner,
                    None => {
                        queue.workers -= 1;
                        return;
                    }
                }
            };
            let job = runner.job.clone();
            let observer = runner.observer.clone();
            let url = job.status().url;
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run())).is_err() {
                // A bug, not a transfer failure; its readers must still wake up.
                job.update(observer.as_ref(), |s| {
                    s.state = CloneState::Failed;
                    s.finished_at = Some(SystemTime::now());
                    s.error = Some(format!("{url}: internal error while cloning (please report it)"));
                });
            }
        }
    }
}

struct JobRunner {
    job: Arc<CloneJob>,
    observer: Arc<dyn CloneObserver>,
    transfer: TransferOptions,
}

impl JobRunner {
    fn update(&self, f: impl FnOnce(&mut CloneStatus)) {
        self.job.update(self.observer.as_ref(), f);
    }

    fn fail(&self, error: String) {
        self.update(|s| {
            s.state = CloneState::Failed;
            s.finished_at = Some(SystemTime::now());
            s.error = Some(error);
        });
    }

    fn run(self) {
        let (url, dest, action) = {
            let s = self.job.status();
            (s.url, s.path, s.action)
        };
        self.update(|s| {
            s.state = if action == "fetch" {
                CloneState::Fetching
            } else {
                CloneState::Cloning
            };
            s.started_at = Some(SystemTime::now());
        });
        // Progress comes many times a second; observers need a few updates a second at most.
        let mut last = std::time::Instant::now() - Duration::from_secs(1);
        let mut on_progress = |p: &Progress| {
            if last.elapsed() >= Duration::from_millis(100) || p.phase != "receiving" {
                last = std::time::Instant::now();
                self.update(|s| s.progress = p.clone());
            }
        };
        let result = if action == "fetch" {
            fetch(&url, &dest, &self.transfer, &mut on_progress)
        } else {
            ensure_clone(&url, &dest, &self.transfer, &mut on_progress)
        };
        self.update(|s| {
            s.finished_at = Some(SystemTime::now());
            match result {
                Ok(()) => {
                    s.state = CloneState::Ready;
                    s.progress.percent = 100.0;
                    s.progress.phase = "done";
                }
                // The cached clone is still there and readable, only not up to date.
                Err(e) if action == "fetch" => {
                    s.state = CloneState::Ready;
                    s.error = Some(format!("{e} (using the cached clone)"));
                }
                Err(e) => {
                    s.state = CloneState::Failed;
                    s.error = Some(e.to_string());
                }
            }
        });
    }
}
