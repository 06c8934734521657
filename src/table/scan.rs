//! The one table provider and execution plan behind every git table.
//!
//! A scan is described by a plain, serialisable [`ScanSpec`] (table, repositories, projection,
//! pushed filters, limit) so that it can later be shipped to remote workers unchanged. Each
//! repository is one partition; its rows are produced on a blocking thread and streamed through
//! a bounded channel, so memory stays bounded and a dropped consumer stops the git work.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    project_schema, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{pushdown, TableKind};
use crate::error::{Error, Result};
use crate::source::fleet::jobs::{CloneJob, CloneManager};
use crate::source::git::blame::PathSelection;
use crate::source::git::commits::{CommitNeeds, ScanCounters, TimeBounds};
use crate::source::git::parallel::ReadPlan;
use crate::source::git::RepoLocation;

/// Rows per record batch.
pub const BATCH_ROWS: usize = 8192;

/// What every scan of a session shares.
#[derive(Debug, Clone, Default)]
pub struct SessionSettings {
    /// The repositories scanned when a query names none.
    pub repos: Vec<String>,
    /// Where clones and computed data live.
    pub cache_dir: Option<PathBuf>,
    /// Whether per-commit diff stats are cached on disk.
    pub stats_cache: bool,
    /// Clones remote repositories (None: remote repositories cannot be read).
    pub fleet: Option<Arc<CloneManager>>,
    /// A repository that cannot be cloned fails the query instead of being skipped.
    pub strict: bool,
    /// Which repositories queries may name (None: any; `gitfleet serve` sets it).
    pub access: Option<Arc<super::access::RepoAccess>>,
}

/// Where a provider's repositories come from.
#[derive(Debug, Clone)]
pub enum RepoSource {
    /// The session's repositories (CLI `-r`, or the current repository).
    Session,
    /// Named by a table function's argument(s).
    Fixed(Vec<String>),
}

/// One repository of a scan: the name the user gave and where it resolved to (or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoTarget {
    pub spec: String,
    pub location: Option<RepoLocation>,
    pub error: Option<String>,
}

impl RepoTarget {
    fn resolve(spec: &str, cache_root: Option<&std::path::Path>) -> Self {
        // Kept without credentials: a repository that does not resolve shows its name as given
        // in the `repo` column (clones take credentials from the environment, never the URL).
        let shown = crate::source::fleet::remote::redact(spec);
        match RepoLocation::resolve_in(spec, cache_root) {
            Ok(location) => RepoTarget {
                spec: shown,
                location: Some(location),
                error: None,
            },
            Err(e) => RepoTarget {
                spec: shown,
                location: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// The value of the `repo` column: the normalised location, else the name as given.
    pub fn name(&self) -> &str {
        self.location.as_ref().map_or(&self.spec, |l| &l.name)
    }
}

/// Everything one scan needs, in plain serialisable fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSpec {
    pub table: TableKind,
    /// One partition per repository.
    pub repos: Vec<RepoTarget>,
    /// Revision spec from a table function (commits: a range; files: a tree-ish).
    pub rev: Option<String>,
    /// Column indices into the table schema; None for all.
    pub projection: Option<Vec<usize>>,
    /// Pruning bounds from time filters (rows outside may still be produced).
    pub times: TimeBounds,
    /// Stop each partition after this many rows.
    pub limit: Option<usize>,
    /// Where the per-commit stats cache lives (None: not cached).
    pub cache_dir: Option<PathBuf>,
    /// Which files to blame (blame only): `path` filters and `blame('/repo', 'path')`.
    pub paths: PathSelection,
}

impl ScanSpec {
    /// Whether column `name` is part of the output.
    pub fn wants(&self, name: &str) -> bool {
        let schema = self.table.schema();
        match &self.projection {
            None => true,
            Some(p) => p.iter().any(|&i| schema.field(i).name() == name),
        }
    }
}

/// A git table as a DataFusion table provider.
#[derive(Debug)]
pub struct GitTableProvider {
    kind: TableKind,
    settings: Arc<SessionSettings>,
    repos: RepoSource,
    rev: Option<String>,
    /// The one file `blame('/repo', 'path')` names.
    path: Option<String>,
}

impl GitTableProvider {
    /// Restricts a blame scan to one file, which must exist.
    pub fn with_path(mut self, path: Option<String>) -> Self {
        self.path = path;
        self
    }

    pub fn new(
        kind: TableKind,
        settings: Arc<SessionSettings>,
        repos: RepoSource,
        rev: Option<String>,
    ) -> Self {
        GitTableProvider {
            kind,
            settings,
            repos,
            rev,
            path: None,
        }
    }

    fn targets(&self, filters: &[Expr]) -> Result<Vec<RepoTarget>> {
        let mut named: Option<Vec<String>> = None;
        for filter in filters {
            if let Some(names) = pushdown::repo_names(filter) {
                named = Some(match named {
                    None => names,
                    Some(prev) => intersect_names(&prev, &names),
                });
            }
        }
        let base: Vec<String> = match (&self.repos, &named) {
            (RepoSource::Fixed(fixed), _) => fixed.clone(),
            (RepoSource::Session, Some(names)) => names.clone(),
            (RepoSource::Session, None) => self.settings.repos.clone(),
        };
        // Checked as text before anything below touches the disk or the network.
        if let Some(access) = &self.settings.access {
            for spec in base.iter().chain(named.iter().flatten()) {
                access.check(spec)?;
            }
        }
        let cache_root = self.settings.cache_dir.as_deref();
        let mut targets: Vec<RepoTarget> = Vec::new();
        for spec in &base {
            let target = RepoTarget::resolve(spec, cache_root);
            if !targets.iter().any(|t| t.name() == target.name()) {
                targets.push(target);
            }
        }
        if let Some(access) = &self.settings.access {
            for target in &targets {
                if let Some(location) = &target.location {
                    access.check_resolved(&target.spec, &location.name)?;
                }
            }
        }
        if let (RepoSource::Fixed(_), Some(names)) = (&self.repos, &named) {
            let wanted: Vec<String> = names.iter().map(|n| RepoLocation::normalised_name(n)).collect();
            targets.retain(|t| wanted.iter().any(|w| w == t.name()));
        }
        if base.is_empty() && named.is_none() {
            return Err(Error::NoRepository);
        }
        // Only `repos` reports unusable repositories as rows; elsewhere they are errors.
        if self.kind != TableKind::Repos {
            if let Some(bad) = targets.iter().find(|t| t.error.is_some()) {
                // Resolved again for the typed error (a missing repository, not a bad argument).
                return Err(RepoLocation::resolve_in(&bad.spec, cache_root)
                    .err()
                    .unwrap_or_else(|| Error::InvalidArgument(bad.error.clone().unwrap_or_default())));
            }
        }
        Ok(targets)
    }
}

fn intersect_names(a: &[String], b: &[String]) -> Vec<String> {
    let norm = |s: &String| RepoLocation::normalised_name(s);
    let b_norm: Vec<String> = b.iter().map(norm).collect();
    a.iter().filter(|s| b_norm.contains(&norm(s))).cloned().collect()
}

#[async_trait]
impl TableProvider for GitTableProvider {
    fn schema(&self) -> SchemaRef {
        self.kind.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DFResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                let blame = self.kind == TableKind::Blame;
                if pushdown::repo_names(f).is_some()
                    || (blame && pushdown::column_strings(f, "path").is_some())
                {
                    TableProviderFilterPushDown::Exact
                } else if (blame && pushdown::like_prefix(f, "path").is_some())
                    || (self.kind.has_commit_times() && pushdown::narrow_time(f, &mut TimeBounds::default()))
                {
                    // Prunes work; DataFusion still applies the filter.
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let mut times = TimeBounds::default();
        if self.kind.has_commit_times() {
            for f in filters {
                pushdown::narrow_time(f, &mut times);
            }
        }
        let mut paths = PathSelection {
            required: self.path.clone(),
            ..Default::default()
        };
        if self.kind == TableKind::Blame {
            for f in filters {
                if let Some(values) = pushdown::column_strings(f, "path") {
                    pushdown::narrow(&mut paths.exact, values);
                } else if let Some(prefix) = pushdown::like_prefix(f, "path") {
                    paths.prefixes.push(prefix);
                }
            }
        }
        let spec = ScanSpec {
            paths,
            table: self.kind,
            repos: self.targets(filters)?,
            rev: self.rev.clone(),
            projection: projection.cloned(),
            times,
            limit,
            cache_dir: self
                .settings
                .cache_dir
                .clone()
                .filter(|_| self.settings.stats_cache),
        };
        let mut exec = GitScanExec::new(spec)?;
        exec.clones = self.settings.fleet.clone();
        exec.strict = self.settings.strict;
        Ok(Arc::new(exec))
    }
}

/// The leaf execution plan: one partition per repository.
#[derive(Debug)]
pub struct GitScanExec {
    spec: ScanSpec,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
    /// Clones the scan's remote repositories; all start when the first partition runs.
    clones: Option<Arc<CloneManager>>,
    jobs: OnceLock<Vec<Option<Arc<CloneJob>>>>,
    strict: bool,
}

impl GitScanExec {
    pub fn new(spec: ScanSpec) -> DFResult<Self> {
        let schema = project_schema(&spec.table.schema(), spec.projection.as_ref())?;
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(spec.repos.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(GitScanExec {
            spec,
            schema,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
            clones: None,
            jobs: OnceLock::new(),
            strict: false,
        })
    }

    /// The clone job of each partition (None for a local repository). Every remote repository
    /// of the scan starts cloning at once, so the scan waits for the slowest clone, not the sum.
    fn clone_jobs(&self) -> &[Option<Arc<CloneJob>>] {
        self.jobs.get_or_init(|| {
            self.spec
                .repos
                .iter()
                .map(|target| {
                    let location = target.location.as_ref()?;
                    let url = location.url.as_ref()?;
                    let fleet = self.clones.as_ref()?;
                    Some(fleet.start(url, &location.path, false))
                })
                .collect()
        })
    }

    pub fn spec(&self) -> &ScanSpec {
        &self.spec
    }
}

impl DisplayAs for GitScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let repos: Vec<&str> = self.spec.repos.iter().map(|r| r.name()).collect();
        write!(
            f,
            "GitScanExec: table={}, repos={}",
            self.spec.table.name(),
            repos.len()
        )?;
        if repos.len() <= 3 {
            write!(f, " {repos:?}")?;
        }
        if let Some(rev) = &self.spec.rev {
            write!(f, ", rev={rev}")?;
        }
        if self.spec.times != TimeBounds::default() {
            write!(f, ", times={:?}", self.spec.times)?;
        }
        if let Some(limit) = self.spec.limit {
            write!(f, ", limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for GitScanExec {
    fn name(&self) -> &str {
        "GitScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DFResult<TreeNodeRecursion>,
    ) -> DFResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(&self, partition: usize, _ctx: Arc<TaskContext>) -> DFResult<SendableRecordBatchStream> {
        let schema = self.schema.clone();
        let Some(target) = self.spec.repos.get(partition).cloned() else {
            return Ok(Box::pin(RecordBatchStreamAdapter::new(
                schema,
                futures::stream::empty(),
            )));
        };
        let output_rows = MetricBuilder::new(&self.metrics).output_rows(partition);
        let metric = |name: &'static str| MetricBuilder::new(&self.metrics).counter(name, partition);
        let counter_metrics = [
            metric("commits_read"),
            metric("diffs_computed"),
            metric("stats_cache_hits"),
        ];
        let spec = self.spec.clone();
        let job = self.clone_jobs().get(partition).cloned().flatten();
        let strict = self.strict;
        // Nothing runs, and no thread exists, until the stream is polled: the partition first
        // waits for its clone and for a CPU slot without holding a thread, so a query naming
        // thousands of repositories holds a thread per slot, not per repository.
        let start = async move {
            let (cloned, clone_error) = match &job {
                None => (true, None),
                Some(job) => match job.finished().await {
                    Ok(_) => (true, job.error()),
                    Err(e) => (false, Some(e)),
                },
            };
            if let Some(error) = &clone_error {
                if strict && spec.table != TableKind::Repos {
                    return Err(DataFusionError::from(Error::Clone(error.clone())));
                }
            }
            if !cloned && spec.table != TableKind::Repos {
                // Reported by the clone observer; the other repositories' rows are not hidden
                // by this one.
                return Ok(None);
            }
            let slot = acquire_slot().await;
            let (tx, rx) = mpsc::channel::<DFResult<RecordBatch>>(2);
            let sink = BatchSink {
                tx,
                projection: spec.projection.clone(),
                remaining: spec.limit,
                output_rows,
                counters: Arc::default(),
                counter_metrics,
                published: [0; 3],
                _slot: Some(slot),
            };
            let (table, repo) = (spec.table, target.name().to_string());
            spawn_producer(table, &repo, sink, move |sink| {
                spec.table.produce(&spec, &target, clone_error.as_deref(), sink)
            })?;
            Ok(Some(rx))
        };
        let stream = futures::stream::once(start).flat_map(|started| match started {
            Err(e) => futures::stream::iter(vec![Err(e)]).boxed(),
            Ok(None) => futures::stream::empty().boxed(),
            Ok(Some(rx)) => {
                futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) }).boxed()
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Runs `produce` on its own thread, feeding `sink`. A panic there (a bug) ends the stream with
/// an error naming the table and repository: never a silently shorter result.
fn spawn_producer(
    table: TableKind,
    repo: &str,
    mut sink: BatchSink,
    produce: impl FnOnce(&mut BatchSink) -> Result<()> + Send + 'static,
) -> DFResult<()> {
    let what = format!("the {} scan of {repo}", table.name());
    let thread_error = format!("cannot start a thread for {what}");
    std::thread::Builder::new()
        .name(format!("gitfleet-{}", table.name()))
        .spawn(move || {
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| produce(&mut sink)));
            sink.publish_counters();
            let c = &sink.counters;
            let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                rows = sink.output_rows.value(),
                commits_read = load(&c.commits),
                diffs_computed = load(&c.diffs),
                stats_cache_hits = load(&c.cache_hits),
                "{what} took {:.3}s",
                started.elapsed().as_secs_f64()
            );
            let error = match outcome {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e.into(),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    DataFusionError::Execution(format!(
                        "internal error: {what} failed ({message}); the result would be incomplete, \
                         so the query fails (please report this)"
                    ))
                }
            };
            let _ = sink.tx.blocking_send(Err(error));
        })
        .map(drop)
        .map_err(|e| DataFusionError::Execution(format!("{thread_error}: {e}")))
}

/// Where a partition's producer sends full-width batches; projection and limit happen here.
pub struct BatchSink {
    tx: mpsc::Sender<DFResult<RecordBatch>>,
    projection: Option<Vec<usize>>,
    remaining: Option<usize>,
    output_rows: Count,
    /// What the producer did, reported as plan metrics when it ends.
    pub counters: Arc<ScanCounters>,
    /// `counters` as plan metrics, and what was already added to them.
    counter_metrics: [Count; 3],
    published: [usize; 3],
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl BatchSink {
    /// Whether more rows are wanted (limit not reached, consumer still there).
    pub fn wants_more(&self) -> bool {
        self.remaining != Some(0) && !self.tx.is_closed()
    }

    /// Brings the plan metrics up to date with the counters. Called before every batch leaves,
    /// so a consumer that stops at a LIMIT still sees what the scan did.
    fn publish_counters(&mut self) {
        let c = &self.counters;
        let now = [&c.commits, &c.diffs, &c.cache_hits]
            .map(|a| a.load(std::sync::atomic::Ordering::Relaxed) as usize);
        for ((metric, published), value) in self.counter_metrics.iter().zip(&mut self.published).zip(now) {
            metric.add(value - *published);
            *published = value;
        }
    }

    /// How many rows the next batch should hold: a full batch, or what the limit still allows.
    pub fn batch_rows(&self) -> usize {
        self.remaining.map_or(BATCH_ROWS, |r| r.clamp(1, BATCH_ROWS))
    }

    /// Sends `rows` rows of a scan that projects no column (`count(*)`), in batches.
    pub fn send_row_count(&mut self, mut rows: usize) -> Result<bool> {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        while rows > 0 {
            let n = rows.min(BATCH_ROWS);
            rows -= n;
            let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(n));
            let batch = RecordBatch::try_new_with_options(schema.clone(), vec![], &options)?;
            if !self.send(batch)? {
                return Ok(false);
            }
        }
        Ok(self.wants_more())
    }

    /// Sends a batch with every column of the table; returns whether more rows are wanted.
    pub fn send(&mut self, batch: RecordBatch) -> Result<bool> {
        let mut batch = match &self.projection {
            Some(p) => batch.project(p)?,
            None => batch,
        };
        if let Some(remaining) = &mut self.remaining {
            if batch.num_rows() > *remaining {
                batch = batch.slice(0, *remaining);
            }
            *remaining -= batch.num_rows();
        }
        if batch.num_rows() == 0 {
            return Ok(self.wants_more());
        }
        self.output_rows.add(batch.num_rows());
        self.publish_counters();
        let sent = match self.tx.try_send(Ok(batch)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(batch)) => {
                // Waiting for the consumer must not hold a CPU slot: a consumer that drains
                // partitions one after another would otherwise deadlock with producers of later
                // partitions. (A send with room keeps it: giving it back and queueing behind
                // every waiting partition would park a finished producer's thread.)
                self._slot = None;
                let sent = self.tx.blocking_send(batch).is_ok();
                self._slot = Some(futures::executor::block_on(acquire_slot()));
                sent
            }
        };
        Ok(sent && self.wants_more())
    }
}

/// Threads one repository's scan may use for its expensive part (diffs): every core.
pub(crate) fn workers_per_scan() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl ScanSpec {
    /// How to read `location`'s commits for this scan: its revision, time bounds and cache,
    /// on every core, counting into `counters`.
    pub fn read_plan<'a>(
        &'a self,
        location: &'a RepoLocation,
        needs: CommitNeeds,
        counters: &'a ScanCounters,
    ) -> ReadPlan<'a> {
        ReadPlan {
            location,
            rev: self.rev.as_deref(),
            times: self.times,
            needs,
            workers: workers_per_scan(),
            cache_root: self.cache_dir.as_deref(),
            counters,
        }
    }
}

/// Bounds how many partitions do git work at once (one per core); many repositories must not
/// mean many threads fighting over two cores and their caches. A semaphore both async scans
/// (before their thread exists) and producer threads (after waiting for a consumer) take from.
static SCAN_SLOTS: LazyLock<Arc<tokio::sync::Semaphore>> = LazyLock::new(|| {
    Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ))
});

async fn acquire_slot() -> tokio::sync::OwnedSemaphorePermit {
    SCAN_SLOTS
        .clone()
        .acquire_owned()
        .await
        .expect("the scan semaphore is never closed")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A producer that panics after sending rows: the stream carries those rows, then an error
    /// naming the table and repository, then ends; it never just ends early.
    #[test]
    fn a_panicking_producer_fails_the_query() {
        let (tx, mut rx) = mpsc::channel(2);
        let sink = BatchSink {
            tx,
            projection: Some(vec![]),
            remaining: None,
            output_rows: Count::new(),
            counters: Arc::default(),
            counter_metrics: [Count::new(), Count::new(), Count::new()],
            published: [0; 3],
            _slot: None,
        };
        spawn_producer(TableKind::Commits, "/some/repo", sink, |sink| {
            sink.send_row_count(5)?;
            panic!("boom");
        })
        .unwrap();
        assert_eq!(rx.blocking_recv().unwrap().unwrap().num_rows(), 5);
        let err = rx.blocking_recv().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("internal error: the commits scan of /some/repo failed (boom)"),
            "{err}"
        );
        assert!(rx.blocking_recv().is_none());
    }

    #[test]
    fn scan_spec_round_trips_through_json() {
        let spec = ScanSpec {
            paths: Default::default(),
            table: TableKind::Commits,
            repos: vec![RepoTarget::resolve("/no/such/repo", None)],
            rev: Some("v1.0..main".into()),
            projection: Some(vec![1, 15]),
            times: TimeBounds {
                author_min: Some(1),
                ..Default::default()
            },
            limit: Some(10),
            cache_dir: Some("/tmp/cache".into()),
        };
        let json = serde_json::to_string(&spec).unwrap();
        let back: ScanSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        assert!(json.contains("repository not found: /no/such/repo"), "{json}");
    }
}
