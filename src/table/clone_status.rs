//! `clone_status`: the session's clone jobs as they stand (queued, cloning with percent,
//! fetching, ready, failed with the reason), and `refresh_repos('url', ...)`, which fetches (or
//! clones) the named repositories now and reports the same rows for them.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::plan_err;
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::Result as DFResult;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};

use super::access::RepoAccess;
use super::columns::{int64, schema_of, timestamp, utf8};
use super::leaf;
use super::settings::SessionSettings;
use crate::error::Error;
use crate::source::fleet::jobs::{CloneManager, CloneStatus};
use crate::source::git::RepoLocation;

pub(crate) fn schema() -> SchemaRef {
    schema_of(vec![
        utf8("url"),
        utf8("path"),
        utf8("state"),
        utf8("action"),
        utf8("phase"),
        Field::new("percent", DataType::Float64, true),
        int64("objects_received"),
        int64("objects_total"),
        int64("bytes_received"),
        utf8("error"),
        timestamp("queued_at"),
        timestamp("started_at"),
        timestamp("finished_at"),
    ])
}

fn batch(statuses: &[CloneStatus]) -> DFResult<RecordBatch> {
    let text = |f: &dyn Fn(&CloneStatus) -> Option<String>| -> ArrayRef {
        Arc::new(statuses.iter().map(f).collect::<StringArray>())
    };
    let int = |f: &dyn Fn(&CloneStatus) -> u64| -> ArrayRef {
        Arc::new(statuses.iter().map(|s| Some(f(s) as i64)).collect::<Int64Array>())
    };
    let micros = |t: Option<std::time::SystemTime>| {
        t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as i64)
    };
    let time = |f: &dyn Fn(&CloneStatus) -> Option<std::time::SystemTime>| -> ArrayRef {
        Arc::new(
            statuses
                .iter()
                .map(|s| micros(f(s)))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        )
    };
    let columns = vec![
        text(&|s| Some(s.url.clone())),
        text(&|s| Some(s.path.display().to_string())),
        text(&|s| Some(s.state.as_str().to_string())),
        text(&|s| Some(s.action.to_string())),
        text(&|s| Some(s.progress.phase).filter(|p| !p.is_empty()).map(String::from)),
        Arc::new(
            statuses
                .iter()
                .map(|s| Some(f64::from(s.progress.percent)))
                .collect::<Float64Array>(),
        ) as ArrayRef,
        int(&|s| s.progress.objects),
        int(&|s| s.progress.total_objects),
        int(&|s| s.progress.bytes),
        text(&|s| s.error.clone()),
        time(&|s| Some(s.queued_at)),
        time(&|s| s.started_at),
        time(&|s| s.finished_at),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

async fn scan_statuses(
    statuses: &[CloneStatus],
    state: &dyn Session,
    projection: Option<&Vec<usize>>,
    filters: &[Expr],
    limit: Option<usize>,
) -> DFResult<Arc<dyn ExecutionPlan>> {
    MemTable::try_new(schema(), vec![vec![batch(statuses)?]])?
        .scan(state, projection, filters, limit)
        .await
}

/// `clone_status`: every clone job of the session, as it stands when the query runs.
#[derive(Debug)]
pub(crate) struct CloneStatusTable {
    fleet: Arc<CloneManager>,
    /// A served session sees only the clones of repositories it may read.
    access: Option<Arc<RepoAccess>>,
}

impl CloneStatusTable {
    pub(crate) fn new(fleet: Arc<CloneManager>, access: Option<Arc<RepoAccess>>) -> Self {
        CloneStatusTable { fleet, access }
    }
}

#[async_trait]
impl TableProvider for CloneStatusTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let mut statuses = self.fleet.statuses();
        let rules = super::access::Rules::of(self.access.as_deref(), state.config());
        if !rules.open() {
            statuses.retain(|s| rules.check(&s.url).is_ok());
        }
        scan_statuses(&statuses, state, projection, filters, limit).await
    }
}

/// `refresh_repos('url', ...)`: fetch (or clone) now; one `clone_status` row per repository.
#[derive(Debug)]
pub(crate) struct RefreshFunction {
    settings: Arc<SessionSettings>,
}

impl RefreshFunction {
    pub(crate) fn new(settings: Arc<SessionSettings>) -> Self {
        RefreshFunction { settings }
    }
}

impl TableFunctionImpl for RefreshFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DFResult<Arc<dyn TableProvider>> {
        let (Some(fleet), Some(cache_root)) = (&self.settings.fleet, &self.settings.cache_dir) else {
            return plan_err!("refresh_repos(): this session has no clone cache");
        };
        let mut targets = Vec::new();
        for expr in args.exprs() {
            let Some(spec) = super::pushdown::utf8_literal(expr) else {
                return plan_err!("refresh_repos(): arguments must be string literals (remote URLs)");
            };
            if let Some(access) = &self.settings.access {
                if !access.refresh {
                    return Err(Error::Refused(
                        "refresh_repos() is not allowed here (the server was started without --allow-refresh)".into(),
                    )
                    .into());
                }
            }
            let rules = super::access::Rules::of(self.settings.access.as_deref(), args.session().config());
            rules.check(&spec)?;
            match RepoLocation::resolve_remote(&spec, cache_root)? {
                Some(target) => targets.push(target),
                None => {
                    return plan_err!(
                        "refresh_repos(): '{spec}' is a local path; only remote URLs are fetched"
                    )
                }
            }
        }
        if targets.is_empty() {
            return plan_err!("refresh_repos() needs at least one remote URL");
        }
        Ok(Arc::new(RefreshTable {
            fleet: fleet.clone(),
            targets,
        }))
    }
}

#[derive(Debug)]
struct RefreshTable {
    fleet: Arc<CloneManager>,
    targets: Vec<(String, std::path::PathBuf)>,
}

#[async_trait]
impl TableProvider for RefreshTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let schema = datafusion::physical_plan::project_schema(&schema(), projection)?;
        let properties = leaf::properties(&schema, 1, EmissionType::Final);
        Ok(Arc::new(RefreshExec {
            fleet: self.fleet.clone(),
            targets: self.targets.clone(),
            projection: projection.cloned(),
            schema,
            properties,
        }))
    }
}

/// The fetches of `refresh_repos`: started when the plan runs, never when it is only planned
/// (`EXPLAIN` fetches nothing).
#[derive(Debug)]
struct RefreshExec {
    fleet: Arc<CloneManager>,
    targets: Vec<(String, std::path::PathBuf)>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for RefreshExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "RefreshExec: repos={}", self.targets.len())
    }
}

impl ExecutionPlan for RefreshExec {
    fn name(&self) -> &str {
        "RefreshExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    leaf::leaf_methods!();

    fn execute(&self, _partition: usize, _ctx: Arc<TaskContext>) -> DFResult<SendableRecordBatchStream> {
        let fleet = self.fleet.clone();
        let targets = self.targets.clone();
        let projection = self.projection.clone();
        let fetched = futures::stream::once(async move {
            let jobs: Vec<_> = targets
                .iter()
                .map(|(url, path)| fleet.start(url, path, true))
                .collect();
            // Each job's outcome is in its status; waiting holds no thread.
            futures::future::join_all(jobs.iter().map(|job| job.finished())).await;
            let statuses: Vec<CloneStatus> = jobs.iter().map(|job| job.status()).collect();
            let batch = batch(&statuses)?;
            match &projection {
                Some(p) => Ok(batch.project(p)?),
                None => Ok(batch),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            fetched,
        )))
    }
}
