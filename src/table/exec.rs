//! The leaf execution plan of every git table: one partition per repository. A partition
//! waits for its clone and a CPU slot, then its table's producer runs on a thread of its own
//! and streams batches through a bounded channel, so memory stays bounded and a dropped
//! consumer stops the git work.

use std::fmt;
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    project_schema, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::def::TableDef;
use super::leaf;
use super::sink::BatchSink;
use super::slots::acquire_slot;
use super::spec::{Partition, RepoTarget, ScanSpec};
use crate::error::{Error, Result};
use crate::source::fleet::auth::GitAuth;
use crate::source::fleet::jobs::{CloneJob, CloneManager};
use crate::source::git::commits::TimeBounds;

/// The metric a scan on a worker records a warning in (a clone that failed, a refresh that
/// did not fetch): its label carries the warning's line, which the coordinator says
/// (`engine::workers::say_worker_warnings`).
pub(crate) const WARNING_METRIC: &str = "worker_warnings";
pub(crate) const WARNING_LABEL: &str = "warning";

/// The leaf execution plan: one partition per repository.
#[derive(Debug)]
pub(crate) struct GitScanExec {
    table: &'static TableDef,
    spec: ScanSpec,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
    /// Clones the scan's remote repositories; all start when the first partition runs.
    pub(super) clones: Option<Arc<CloneManager>>,
    jobs: OnceLock<Vec<Option<Arc<CloneJob>>>>,
    pub(super) strict: bool,
    /// The worker this variant of a split scan is sent to (shown by EXPLAIN).
    pub(super) worker: Option<String>,
    /// Clones authenticate with this instead of the session's credentials (on a worker: those
    /// its coordinator sent with the query).
    pub(super) auth: Option<GitAuth>,
    /// Runs on a worker for a coordinator (its warnings go back as metrics).
    pub(super) on_worker: bool,
    /// The session fetches cached clones before reading them (`--refresh`). Locally the clone
    /// jobs know it; a worker's clone jobs outlive queries, so there each scan asks for the fetch.
    pub(super) refresh: bool,
}

impl GitScanExec {
    pub(crate) fn new(spec: ScanSpec) -> DFResult<Self> {
        let table = super::table_def(&spec.table)
            .ok_or_else(|| DataFusionError::Plan(format!("no git table named '{}'", spec.table)))?;
        let schema = project_schema(&(table.schema)(), spec.projection.as_ref())?;
        let properties = leaf::properties(&schema, spec.repos.len(), EmissionType::Incremental);
        Ok(GitScanExec {
            table,
            spec,
            schema,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
            clones: None,
            jobs: OnceLock::new(),
            strict: false,
            worker: None,
            auth: None,
            on_worker: false,
            refresh: false,
        })
    }

    /// The scan it runs.
    pub(crate) fn spec(&self) -> &ScanSpec {
        &self.spec
    }

    /// The same scan with `partitions` output partitions (at least one per repository; the
    /// others are empty): the variants of a scan split across workers must agree on it.
    pub(crate) fn with_partitions(mut self, partitions: usize) -> Self {
        let partitions = partitions.max(self.spec.repos.len());
        self.properties = leaf::properties(&self.schema, partitions, EmissionType::Incremental);
        self
    }

    /// The same scan over `repos` only, with `partitions` output partitions.
    pub(crate) fn with_repos(&self, repos: Vec<RepoTarget>, partitions: usize) -> DFResult<Self> {
        let mut spec = self.spec.clone();
        spec.repos = repos;
        let mut exec = GitScanExec::new(spec)?.with_partitions(partitions);
        exec.clones = self.clones.clone();
        exec.strict = self.strict;
        exec.auth = self.auth.clone();
        exec.refresh = self.refresh;
        Ok(exec)
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
                    let force_refresh = self.refresh && self.on_worker;
                    Some(fleet.start_as(url, &location.path, force_refresh, self.auth.as_ref()))
                })
                .collect()
        })
    }
}

impl DisplayAs for GitScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let repos: Vec<&str> = self.spec.repos.iter().map(|r| r.name()).collect();
        write!(f, "GitScanExec: table={}, repos={}", self.spec.table, repos.len())?;
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
        if let Some(worker) = &self.worker {
            write!(f, ", worker={worker}")?;
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

    leaf::leaf_methods!();

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
        let table = self.table;
        // On a worker, a clone failure the query survives is also recorded as a metric, which
        // travels back to the coordinator: its user, not the worker's log, must see the warning.
        let warnings = self.on_worker.then(|| self.metrics.clone());
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
                if strict && !table.lists_unusable_repos {
                    return Err(DataFusionError::from(Error::Clone(error.clone())));
                }
                if let Some(metrics) = &warnings {
                    MetricBuilder::new(metrics)
                        .with_new_label(WARNING_LABEL, error.clone())
                        .counter(WARNING_METRIC, partition)
                        .add(1);
                }
            }
            if !cloned && !table.lists_unusable_repos {
                // Reported by the clone observer; the other repositories' rows are not hidden
                // by this one.
                return Ok(None);
            }
            let slot = acquire_slot().await;
            let (tx, rx) = mpsc::channel::<DFResult<RecordBatch>>(2);
            let sink = BatchSink::new(
                tx,
                spec.projection.clone(),
                spec.limit,
                output_rows,
                counter_metrics,
                Some(slot),
            );
            let repo = target.name().to_string();
            spawn_producer(table.name, &repo, sink, move |sink| {
                let partition = Partition {
                    spec: &spec,
                    target: &target,
                    clone_error: clone_error.as_deref(),
                    schema: (table.schema)(),
                };
                (table.produce)(&partition, sink)
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
    table: &'static str,
    repo: &str,
    mut sink: BatchSink,
    produce: impl FnOnce(&mut BatchSink) -> Result<()> + Send + 'static,
) -> DFResult<()> {
    let what = format!("the {table} scan of {repo}");
    let (table_name, repo_name) = (table, repo.to_string());
    let thread_error = format!("cannot start a thread for {what}");
    std::thread::Builder::new()
        .name(format!("gitfleet-{table}"))
        .spawn(move || {
            let started = std::time::Instant::now();
            let _listed = super::progress::register(table_name, &repo_name, sink.counters.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::metrics::Count;
    use tokio::sync::mpsc;

    /// A producer that panics after sending rows: the stream carries those rows, then an error
    /// naming the table and repository, then ends; it never just ends early.
    #[test]
    fn a_panicking_producer_fails_the_query() {
        let (tx, mut rx) = mpsc::channel(2);
        let counters = [Count::new(), Count::new(), Count::new()];
        let sink = BatchSink::new(tx, Some(vec![]), None, Count::new(), counters, None);
        spawn_producer("commits", "/some/repo", sink, |sink| {
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
}
