//! Workers (datafusion-distributed): `gitfleet worker`, a process that runs the git scans (and
//! whatever DataFusion's distributed planner puts above them) sent by a coordinator, and the
//! coordinator's side of `--workers`: the worker list, which workers answer, and the session
//! wiring (codec, planner hooks, the shared secret sent with every call).
//!
//! What runs where: each remote repository's scan runs on the worker its rendezvous hash names
//! (src/table/distribute.rs), which clones it into its own cache; partial aggregates run there
//! too; the coordinator merges. GitHub tables and scans naming local paths run on the
//! coordinator (unless the workers share its paths).

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datafusion::catalog::Session;
use datafusion::common::display::{PlanType, StringifiedPlan};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::explain::ExplainExec;
use datafusion::physical_plan::metrics::MetricValue;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion_distributed::{
    display_plan_ascii, get_distributed_worker_resolver, rewrite_distributed_plan_with_metrics,
    DistributedExec, DistributedExt, DistributedMetricsFormat, SessionStateBuilderExt, Worker,
    WorkerQueryContext, WorkerResolver,
};
use url::Url;

use super::EngineConfig;
use crate::source::credentials::Credentials;
use crate::source::fleet::auth::GitAuth;
use crate::source::git::bots::BotRules;
use crate::table::distribute::{self, GitScanCodec, Placement, QueryAuth, WorkerScans};

/// The header carrying the shared secret on every call to a worker.
const SECRET_HEADER: &str = "x-gitfleet-worker-secret";

/// The environment variable holding the shared secret (workers and coordinator).
const SECRET_ENV: &str = "GITFLEET_WORKER_SECRET";

/// How long a worker's reachability is trusted before it is checked again.
const RECHECK: Duration = Duration::from_secs(2);

/// How long the coordinator waits for a worker to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(800);

fn secret() -> Option<String> {
    std::env::var(SECRET_ENV).ok().filter(|s| !s.is_empty())
}

/// Parses `--workers`: `HOST:PORT` entries, comma-separated or repeated, a leading `http://`
/// accepted. One readable error for the first bad entry.
pub fn parse_workers(entries: &[String]) -> Result<Vec<Url>, String> {
    let mut urls: Vec<Url> = Vec::new();
    for entry in entries.iter().flat_map(|e| e.split(',')) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if entry.starts_with("https://") {
            return Err(format!(
                "worker '{entry}': workers speak plain gRPC (http://); put TLS in front of them \
                 if the network is not private, and set {SECRET_ENV}"
            ));
        }
        let with_scheme = if entry.contains("://") {
            entry.to_string()
        } else {
            format!("http://{entry}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| format!("worker '{entry}' is not HOST:PORT ({e})"))?;
        if url.scheme() != "http"
            || url.port().is_none()
            || url.host_str().is_none_or(str::is_empty)
            || url.path() != "/"
            || url.query().is_some()
            || !url.username().is_empty()
        {
            return Err(format!("worker '{entry}' is not HOST:PORT (e.g. 10.0.0.5:7100)"));
        }
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    Ok(urls)
}

/// The coordinator's workers: the configured list, less those that do not accept a connection
/// (checked at most every [`RECHECK`]); a repository whose worker is down goes to the next one
/// in its rendezvous order, because the hash then runs over the workers that answer.
#[derive(Debug)]
struct WorkerList {
    all: Vec<Url>,
    state: Mutex<Option<(Instant, Vec<Url>)>>,
}

impl WorkerList {
    fn reachable(url: &Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default();
        let port = url.port().unwrap_or(80);
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let mut last = String::from("no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }
}

impl WorkerResolver for WorkerList {
    fn get_urls(&self) -> Result<Vec<Url>, DataFusionError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((checked, live)) = state.as_ref() {
            if checked.elapsed() < RECHECK {
                return Ok(live.clone());
            }
        }
        let previous = state.as_ref().map(|(_, live)| live.clone());
        let mut live = Vec::new();
        for url in &self.all {
            let shown = url.as_str().trim_end_matches('/');
            match Self::reachable(url) {
                Ok(()) => live.push(url.clone()),
                // Said once, when the worker is first found down, not on every query.
                Err(e) if previous.as_ref().is_none_or(|p| p.contains(url)) => tracing::warn!(
                    "worker {shown} is not reachable ({e}); its repositories go to the next worker"
                ),
                Err(_) => {}
            }
        }
        if live.is_empty() {
            *state = None;
            let names: Vec<&str> = self
                .all
                .iter()
                .map(|u| u.as_str().trim_end_matches('/'))
                .collect();
            return Err(DataFusionError::Execution(format!(
                "no worker is reachable ({}); start them with `gitfleet worker --listen HOST:PORT`",
                names.join(", ")
            )));
        }
        *state = Some((Instant::now(), live.clone()));
        Ok(live)
    }
}

/// Makes `builder` a coordinator's: queries are planned for `workers`, git scans are split by
/// repository and shipped with [`GitScanCodec`], and every call carries the shared secret and
/// the session's clone token (`credentials`, resolved once by the session).
pub(super) fn coordinator(
    builder: SessionStateBuilder,
    config: &EngineConfig,
    credentials: &Credentials,
) -> DFResult<SessionStateBuilder> {
    let workers = parse_workers(&config.workers).map_err(DataFusionError::Configuration)?;
    // At least two tasks per stage: a one-task stage under a one-task consumer runs here on the
    // coordinator, so with a single worker nothing would reach it.
    let max_tasks = distribute::min_tasks(workers.len());
    let mut headers = http::HeaderMap::new();
    if let Some(secret) = secret() {
        insert_secret(&mut headers, SECRET_HEADER, &secret, SECRET_ENV)?;
    }
    // The clone token goes in a header, never in the plan; workers keep it for the query only.
    for (name, value) in credentials.clone_headers() {
        insert_secret(&mut headers, name, &value, "a GitHub token")?;
    }
    let mut builder = builder
        .with_distributed_worker_resolver(WorkerList {
            all: workers,
            state: Mutex::new(None),
        })
        .with_distributed_planner()
        .with_distributed_user_codec(GitScanCodec)
        .with_distributed_desired_task_count_handler(distribute::desired_tasks)
        .with_distributed_scale_up_leaf_node_handler(distribute::scale_up)
        .with_distributed_route_tasks_handler(distribute::route_tasks)
        .with_distributed_passthrough_headers(headers)?
        .with_distributed_max_tasks_per_stage(max_tasks)?;
    builder
        .config()
        .get_or_insert_default()
        .set_extension(Arc::new(Placement {
            share_paths: config.workers_share_paths,
        }));
    if let Some(inner) = builder.query_planner().take() {
        builder = builder.with_query_planner(Arc::new(CoordinatorPlanner { inner }));
    }
    Ok(builder)
}

/// Adds a header whose value is kept out of debug output (marked sensitive).
fn insert_secret(headers: &mut http::HeaderMap, name: &'static str, value: &str, what: &str) -> DFResult<()> {
    let mut value = http::HeaderValue::from_str(value)
        .map_err(|_| DataFusionError::Configuration(format!("{what} must be printable ASCII")))?;
    value.set_sensitive(true);
    headers.insert(name, value);
    Ok(())
}

/// The coordinator's query planner around datafusion-distributed's:
/// - a query that reads git tables *and* a table only the coordinator can serve (the GitHub
///   tables, `clone_status`, `refresh_repos`) is planned for this machine alone, with one
///   warning: the distributed planner would put that table's scan in a stage it sends to a
///   worker, which cannot run it;
/// - `EXPLAIN` shows the distributed plan (stages, tasks, which worker reads which
///   repositories): DataFusion plans an `EXPLAIN`'s input without the session's query planner,
///   so the single-machine plan would be shown instead of the one that runs.
#[derive(Debug)]
struct CoordinatorPlanner {
    inner: Arc<dyn QueryPlanner + Send + Sync>,
}

/// Whether `plan` reads a git table and also a table that only the coordinator serves.
fn mixes_coordinator_tables(plan: &LogicalPlan) -> bool {
    let (mut git, mut other) = (false, false);
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let is_git = datafusion::datasource::source_as_provider(&scan.source).is_ok_and(|p| {
                (p.as_ref() as &dyn std::any::Any).is::<crate::table::provider::GitTableProvider>()
            });
            if is_git {
                git = true;
            } else if scan.table_name.schema() != Some("information_schema") {
                other = true;
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    git && other
}

#[async_trait::async_trait]
impl QueryPlanner for CoordinatorPlanner {
    async fn create_physical_plan(
        &self,
        logical: &LogicalPlan,
        session: &dyn Session,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let input = match logical {
            LogicalPlan::Explain(explain) => explain.plan.as_ref(),
            other => other,
        };
        if mixes_coordinator_tables(input) {
            tracing::warn!(
                "this query joins git tables with a table only this machine serves (GitHub tables, \
                 clone_status, refresh_repos): it runs here, not on the workers"
            );
            return DefaultPhysicalPlanner::default()
                .create_physical_plan(logical, session)
                .await;
        }
        let plan = self.inner.create_physical_plan(logical, session).await?;
        let LogicalPlan::Explain(explain) = logical else {
            return Ok(plan);
        };
        let Some(exec) = plan.downcast_ref::<ExplainExec>() else {
            return Ok(plan);
        };
        let distributed = self.inner.create_physical_plan(&explain.plan, session).await?;
        if !distributed.is::<DistributedExec>() {
            return Ok(plan);
        }
        let stages = display_plan_ascii(distributed.as_ref(), false);
        let plans = exec
            .stringified_plans()
            .iter()
            .map(|p| match p.plan_type {
                PlanType::FinalPhysicalPlan => {
                    StringifiedPlan::new(PlanType::FinalPhysicalPlan, stages.clone())
                }
                _ => p.clone(),
            })
            .collect();
        Ok(Arc::new(ExplainExec::new(exec.schema(), plans, exec.verbose())))
    }
}

/// An error of a query on workers, named after the worker that went away when one did: the
/// transport's own message ("h2 protocol error: error reading a body from connection") names
/// no worker. Errors of ours (a missing revision on a worker) and queries whose workers all
/// still answer keep their message.
pub(super) fn name_lost_workers(err: DataFusionError, workers: &Arc<dyn WorkerResolver>) -> DataFusionError {
    if super::classify(&err) != super::ErrorKind::Other {
        return err;
    }
    let Some(list) = (workers.as_ref() as &dyn std::any::Any).downcast_ref::<WorkerList>() else {
        return err;
    };
    // A worker dying closes its connections before its listening socket, so right after the
    // error it may still accept a connection: look again a few times before concluding.
    let mut down: Vec<&str> = Vec::new();
    for attempt in 0..5 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(100));
        }
        down = list
            .all
            .iter()
            .filter(|u| WorkerList::reachable(u).is_err())
            .map(|u| u.as_str().trim_end_matches('/'))
            .collect();
        if !down.is_empty() {
            break;
        }
    }
    if down.is_empty() {
        return err;
    }
    let text = super::describe(&err);
    // tonic's status text: `code: '...', message: "the cause", source: ...`.
    let cause = text
        .split_once("message: \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or(text.as_str(), |(cause, _)| cause);
    let who = if down.len() == 1 { "worker" } else { "workers" };
    DataFusionError::External(
        format!(
            "{who} {} stopped answering during the query ({cause}); its result is incomplete, so the query failed",
            down.join(", ")
        )
        .into(),
    )
}

/// After a query on workers has ended, says the warnings its workers recorded (a clone that
/// failed there is a warning here, as it is without workers), each once.
pub(super) fn resolver(config: &datafusion::prelude::SessionConfig) -> Option<Arc<dyn WorkerResolver>> {
    get_distributed_worker_resolver(config).ok()
}

pub(super) async fn say_worker_warnings(plan: &Arc<dyn ExecutionPlan>) {
    if !plan.is::<DistributedExec>() {
        return;
    }
    // The metrics arrive as each task ends; a worker that died never sends its own.
    let wait = rewrite_distributed_plan_with_metrics(Arc::clone(plan), DistributedMetricsFormat::PerTask);
    let Ok(Ok(with_metrics)) = tokio::time::timeout(Duration::from_secs(5), wait).await else {
        return;
    };
    let mut said = std::collections::BTreeSet::new();
    let _ = with_metrics.apply(|node| {
        for metric in node.metrics().iter().flat_map(|set| set.iter()) {
            let MetricValue::Count { name, .. } = metric.value() else {
                continue;
            };
            if name.as_ref() != crate::table::exec::WARNING_METRIC {
                continue;
            }
            for label in metric.labels() {
                if label.name() == crate::table::exec::WARNING_LABEL && said.insert(label.value().to_string())
                {
                    tracing::warn!("{}", label.value());
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Refuses a call without the shared secret (every call, not only those that start a query).
fn check_secret(
    expected: Option<Arc<str>>,
) -> impl Fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Clone {
    move |request: tonic::Request<()>| {
        let Some(expected) = &expected else {
            return Ok(request);
        };
        let given = request.metadata().get(SECRET_HEADER).map(|v| v.as_bytes());
        if given.is_some_and(|g| same_secret(g, expected.as_bytes())) {
            Ok(request)
        } else {
            Err(tonic::Status::unauthenticated(format!(
                "this gitfleet worker needs the shared secret ({SECRET_ENV} on the coordinator)"
            )))
        }
    }
}

/// Refuses to serve on `addr` off loopback without a shared secret ([`SECRET_ENV`]).
pub fn check_listen(addr: &SocketAddr) -> Result<(), String> {
    if secret().is_none() && !addr.ip().is_loopback() {
        return Err(format!(
            "a worker listening on {addr} (not loopback) needs a shared secret: set {SECRET_ENV} \
             to the same value on every worker and on the coordinator"
        ));
    }
    Ok(())
}

/// Runs a worker on `listener` until the process ends: scans arrive from coordinators, clone
/// into `config`'s cache directory and stream their rows back. Off loopback a shared secret
/// ([`SECRET_ENV`]) is required.
pub async fn serve_worker(config: &EngineConfig, listener: tokio::net::TcpListener) -> Result<(), String> {
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the worker's address: {e}"))?;
    check_listen(&addr)?;
    let secret = secret();
    let cache_dir = config.cache_dir();
    let credentials = super::credentials(config).map_err(|e| super::describe(&e))?;
    let scans = Arc::new(WorkerScans {
        cache_dir: cache_dir.clone(),
        fleet: super::clone_manager(config, &credentials),
        stats_cache: !config.no_stats_cache,
    });
    let is_bot = Arc::new(crate::table::is_bot::udf(BotRules::configured(Some(&cache_dir))));
    let forwarded = secret.clone();
    let worker = Worker::from_session_builder(move |ctx: WorkerQueryContext| {
        let scans = scans.clone();
        let is_bot = is_bot.clone();
        let forwarded = forwarded.clone();
        async move {
            let mut builder = ctx.builder;
            // A stage of this worker may read other workers' output: they want the secret too.
            if let Some(secret) = forwarded {
                let mut headers = http::HeaderMap::new();
                insert_secret(&mut headers, SECRET_HEADER, &secret, SECRET_ENV)?;
                builder = builder.with_distributed_passthrough_headers(headers)?;
            }
            let header = |name: &str| {
                ctx.headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let auth = Credentials::from_clone_headers(header).map(|c| QueryAuth(GitAuth::new(Arc::new(c))));
            builder.scalar_functions().get_or_insert_default().push(is_bot);
            let config = builder.config().get_or_insert_default();
            config.set_distributed_user_codec(GitScanCodec);
            config.set_extension(scans);
            if let Some(auth) = auth {
                config.set_extension(Arc::new(auth));
            }
            Ok(builder.build())
        }
    });
    let expected: Option<Arc<str>> = secret.map(Arc::from);
    tonic::transport::Server::builder()
        .layer(tonic::service::InterceptorLayer::new(check_secret(expected)))
        .add_service(worker.into_worker_server())
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
        .await
        .map_err(|e| format!("the worker on {addr} stopped: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_lists_parse_and_refuse_what_is_not_host_port() {
        let parsed = parse_workers(&[
            "127.0.0.1:7001, http://localhost:7002".into(),
            "10.0.0.5:7003".into(),
        ])
        .unwrap();
        let shown: Vec<&str> = parsed.iter().map(Url::as_str).collect();
        assert_eq!(
            shown,
            [
                "http://127.0.0.1:7001/",
                "http://localhost:7002/",
                "http://10.0.0.5:7003/"
            ]
        );
        for bad in [
            "localhost",
            "https://h:1",
            "h:1/path",
            "ftp://h:1",
            "user@h:1",
            "h:notaport",
        ] {
            let err = parse_workers(&[bad.to_string()]).unwrap_err();
            assert!(err.contains("worker '"), "{bad}: {err}");
        }
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"ab", b"abc"));
    }
}
