//! The engine: one DataFusion session with every git table and table function registered.
//! Front ends (CLI, Python, server) talk to this and nothing below it.

mod limits;
mod or_chains;
mod workers;

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::error::Result as DFResult;
use datafusion::execution::context::SessionContext;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionConfig;

use crate::source::credentials::{CredentialSettings, Credentials};
use crate::source::fleet::auth::GitAuth;
use crate::source::fleet::clone::TransferOptions;
use crate::source::fleet::jobs::{CloneManager, CloneSettings, Silent};
use crate::source::git::bots::BotRules;
use crate::source::git::RepoLocation;
use crate::source::github::{GitHubConfig, LazyGitHub};
use crate::table::access::{RefusedTable, RepoAccess};
use crate::table::clone_status::{CloneStatusTable, RefreshFunction};
use crate::table::functions::GitTableFunction;
use crate::table::provider::GitTableProvider;
use crate::table::settings::{RepoSource, SessionSettings};
use crate::table::TABLES;

pub use crate::error::ErrorKind;
pub use crate::source::credentials::Pick as TokenPick;
pub use crate::source::credentials::TokenPool;
pub use crate::source::fleet::jobs::{CloneObserver, CloneState, CloneStatus};
/// What one logged-in `gitfleet serve` user may read (set on the connection's session).
pub(crate) use crate::table::access::UserGrant;
pub use crate::table::progress::{running_scans, watch as watch_scans, ScanProgress};
pub use limits::{check_df_nesting, check_text, on_engine_stack, runtime};
pub(crate) use limits::{check_nesting, MAX_NESTING};
pub(crate) use or_chains::flatten_or_chains;
pub use workers::{check_listen as check_worker_listen, parse_workers, serve_worker};
/// Record batches as the engine produces them.
pub type RecordBatchStream = datafusion::physical_plan::SendableRecordBatchStream;

pub const CATALOG: &str = "gitfleet";
pub const SCHEMA: &str = "public";

/// How to build a session.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Repositories scanned when a query names none; empty means the repository containing
    /// the current directory (if any).
    pub repos: Vec<String>,
    /// Where clones and caches live (`GITFLEET_CACHE_DIR`, else the XDG cache directory).
    pub cache_dir: Option<PathBuf>,
    /// Skip the on-disk cache of computed per-commit stats (always recompute).
    pub no_stats_cache: bool,
    /// Clones and fetches at once (default 8).
    pub clone_jobs: Option<usize>,
    /// Fetch cached clones of remote repositories the first time the session reads them.
    pub refresh: bool,
    /// A remote repository that cannot be cloned fails the query (default: warn and skip it).
    pub strict: bool,
    /// GitHub tokens (the first one authenticates HTTPS clones); empty: `GITFLEET_GITHUB_TOKENS`,
    /// else `GITHUB_TOKEN`.
    pub github_tokens: Vec<String>,
    /// GitHub REST API base (default `GITHUB_API_URL`, else `https://api.github.com`).
    pub github_api_url: Option<String>,
    /// When every GitHub token is out of quota, fail at once instead of waiting for the reset.
    pub github_no_wait: bool,
    /// Username sent with the token (default `x-access-token`, which GitHub accepts).
    pub github_username: Option<String>,
    /// Give up a clone or fetch when the server sends nothing for this long (default 120 s).
    pub clone_stall_timeout: Option<std::time::Duration>,
    /// Give up a clone or fetch that has received more than this many bytes (None: no cap;
    /// `gitfleet serve --max-clone-size`).
    pub max_clone_size: Option<u64>,
    /// Told about every clone's progress (default: failures are warned about on stderr).
    pub clone_observer: Option<Arc<dyn CloneObserver>>,
    /// How many partitions (threads) one query's operators run on (None: DataFusion's default,
    /// every core). `gitfleet serve` uses half the cores, so one heavy query leaves the others
    /// the rest of the machine.
    pub query_threads: Option<usize>,
    /// Memory all queries of the session share, in bytes (None: unbounded). Sorts and
    /// aggregates spill to `spill_dir` past it where DataFusion can, else the query fails.
    pub memory_limit: Option<u64>,
    /// Where spill files go (None: the system's temporary directory).
    pub spill_dir: Option<PathBuf>,
    /// What clients of a server may read (None: everything, as in the CLI and Python).
    pub access: Option<AccessConfig>,
    /// A token pool shared with other sessions (the Python `TokenManager`): quota learnt by one
    /// is seen by all. `github_tokens` are added to it. None: a pool of this session's own.
    pub github_token_pool: Option<Arc<TokenPool>>,
    /// Workers (`HOST:PORT`, see [`parse_workers`]) the session's queries run on; empty: all in
    /// this process. Remote repositories are cloned and scanned by the workers.
    pub workers: Vec<String>,
    /// The workers see this machine's paths (a shared file system): scans naming local
    /// repositories run on them too instead of here.
    pub workers_share_paths: bool,
}

/// What a served session's queries may reach beyond the configured repositories.
#[derive(Debug, Clone, Default)]
pub struct AccessConfig {
    /// Globs over canonical repository names (`github:org/*`, `/srv/git/*`, `**` across `/`).
    pub allow_repo: Vec<String>,
    /// Whether `refresh_repos` may fetch.
    pub allow_refresh: bool,
    /// Whether the GitHub tables are served (they spend the operator's token quota).
    pub github: bool,
}

impl EngineConfig {
    /// The cache directory in force: explicit, else `GITFLEET_CACHE_DIR`, else XDG.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| std::env::var_os("GITFLEET_CACHE_DIR").map(PathBuf::from))
            .or_else(|| dirs::cache_dir().map(|d| d.join("gitfleet")))
            .unwrap_or_else(|| std::env::temp_dir().join("gitfleet-cache"))
    }
}

/// The repositories a session scans by default.
fn default_repos(config: &EngineConfig) -> Vec<String> {
    if !config.repos.is_empty() {
        return config.repos.clone();
    }
    // The current repository, if the process runs inside one.
    match RepoLocation::resolve(".") {
        Ok(location) => vec![location.name],
        Err(_) => Vec::new(),
    }
}

/// The session's credentials: the configured tokens (or the shared pool), the API URL, the
/// hosts a token may go to and a GitHub App (`GITFLEET_GITHUB_APP_*`), resolved once for both
/// the API client and the clones.
fn credentials(config: &EngineConfig) -> DFResult<Arc<Credentials>> {
    let mut credentials = Credentials::resolve(CredentialSettings {
        tokens: &config.github_tokens,
        pool: config.github_token_pool.clone(),
        api_url: config.github_api_url.as_deref(),
        username: config.github_username.clone(),
    });
    let app = crate::source::credentials::app::AppSettings::from_env(|name| std::env::var(name).ok())
        .map_err(datafusion::error::DataFusionError::Configuration)?;
    if let Some(settings) = app {
        credentials.app = Some(Arc::new(crate::source::github::app::GitHubApp::new(
            &settings,
            &credentials.api_url,
        )));
    }
    Ok(Arc::new(credentials))
}

/// The session's GitHub client, built when a `gh_*` table is first used; an error (a bad API
/// URL) is reported then, not when the session starts.
fn github_client(config: &EngineConfig, credentials: &Credentials) -> Arc<LazyGitHub> {
    let mut github = GitHubConfig::new(credentials);
    github.no_wait = config.github_no_wait;
    github.graphql = !matches!(
        std::env::var("GITFLEET_GITHUB_GRAPHQL").as_deref().map(str::trim),
        Ok("off" | "0" | "false" | "no")
    );
    github.cache_dir = Some(config.cache_dir());
    Arc::new(LazyGitHub::new(github))
}

/// The session's clone jobs, authenticated with `credentials`.
fn clone_manager(config: &EngineConfig, credentials: &Arc<Credentials>) -> Arc<CloneManager> {
    Arc::new(CloneManager::new(CloneSettings {
        jobs: config.clone_jobs.unwrap_or(8).max(1),
        refresh: config.refresh,
        transfer: TransferOptions {
            auth: GitAuth::new(credentials.clone()),
            stall_timeout: config
                .clone_stall_timeout
                .unwrap_or(TransferOptions::default().stall_timeout),
            max_size: config.max_clone_size,
        },
    }))
}

/// Builds a session with every git table under `gitfleet.public`.
pub fn session(config: &EngineConfig) -> DFResult<SessionContext> {
    build(config).map(|(ctx, _)| ctx)
}

/// The session and its clone jobs.
fn build(config: &EngineConfig) -> DFResult<(SessionContext, Arc<CloneManager>)> {
    let mut session_config = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG, SCHEMA)
        .with_create_default_catalog_and_schema(true)
        .with_information_schema(true);
    if let Some(threads) = config.query_threads {
        session_config = session_config.with_target_partitions(threads.max(1));
    }
    let mut runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new();
    if let Some(limit) = config.memory_limit {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        runtime = runtime.with_memory_pool(Arc::new(datafusion::execution::memory_pool::FairSpillPool::new(
            limit,
        )));
    }
    if let Some(dir) = &config.spill_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            datafusion::error::DataFusionError::Execution(format!(
                "cannot create the spill directory {}: {e}",
                dir.display()
            ))
        })?;
        runtime = runtime.with_temp_file_path(dir);
    }
    let mut state = SessionStateBuilder::new()
        .with_config(session_config)
        .with_runtime_env(runtime.build_arc()?)
        .with_default_features();
    let credentials = credentials(config)?;
    if !config.workers.is_empty() {
        state = workers::coordinator(state, config, &credentials)?;
    }
    let ctx = SessionContext::new_with_state(state.build());
    let fleet = clone_manager(config, &credentials);
    match &config.clone_observer {
        Some(observer) => fleet.set_observer(observer.clone()),
        None if config.strict => fleet.set_observer(Arc::new(Silent)),
        None => {}
    }
    let repos = default_repos(config);
    let access = config.access.as_ref().map(|a| {
        let served = repos.iter().map(|r| RepoLocation::normalised_name(r)).collect();
        Arc::new(RepoAccess::new(served, &a.allow_repo, a.allow_refresh))
    });
    let bots = BotRules::configured(Some(&config.cache_dir()));
    ctx.register_udf(crate::table::is_bot::udf(bots.clone()));
    let settings = Arc::new(SessionSettings {
        access: access.clone(),
        repos,
        cache_dir: Some(config.cache_dir()),
        stats_cache: !config.no_stats_cache,
        fleet: Some(fleet.clone()),
        strict: config.strict,
        refresh: config.refresh,
        bots,
    });
    for table in TABLES {
        let provider = GitTableProvider::new(table, settings.clone(), RepoSource::Session, None);
        ctx.register_table(table.name, Arc::new(provider))?;
        ctx.register_udtf(
            table.name,
            Arc::new(GitTableFunction::new(table, settings.clone())),
        );
    }
    ctx.register_table(
        "clone_status",
        Arc::new(CloneStatusTable::new(fleet.clone(), access)),
    )?;
    let github_refused = config.access.as_ref().is_some_and(|a| !a.github);
    for (name, table) in crate::table::github::tables(github_client(config, &credentials), config.strict) {
        let table: Arc<dyn datafusion::catalog::TableProvider> = if github_refused {
            Arc::new(RefusedTable {
                schema: table.schema(),
                message: format!(
                    "{name}: the GitHub tables are not served here (start the server with --github)"
                ),
            })
        } else {
            table
        };
        ctx.register_table(name, table)?;
    }
    ctx.register_udtf("refresh_repos", Arc::new(RefreshFunction::new(settings)));
    Ok((ctx, fleet))
}

/// One line for an engine error, as the CLI and the Python package print it: the cause, without
/// DataFusion's wrapping ("External error: ...") or backtraces.
pub fn describe(err: &datafusion::error::DataFusionError) -> String {
    use datafusion::error::DataFusionError;
    match err {
        DataFusionError::External(e) => e.to_string(),
        DataFusionError::Context(_, inner) => describe(inner),
        DataFusionError::Shared(inner) => describe(inner),
        DataFusionError::ArrowError(e, _) => e.to_string(),
        DataFusionError::ExecutionJoin(e) => e.to_string(),
        other => other.strip_backtrace(),
    }
}

/// `text` with the `user:password@` of every URL in it replaced by `***@`: for whatever keeps or
/// shows SQL a user typed (the REPL history, the server's query log).
pub fn mask_credentials(text: &str) -> String {
    let mut line = text.to_string();
    let mut from = 0;
    while let Some(at) = line[from..].find("://").map(|i| i + from + 3) {
        let end = authority_end(&line[at..]) + at;
        if let Some(cred) = line[at..end].rfind('@') {
            line.replace_range(at..at + cred, "***");
        }
        from = at;
    }
    line
}

/// Where a URL's authority ends: at '/', a space, or the quote closing the SQL string (a quote
/// doubled inside the string, as in a password `pa''ss`, does not end it).
fn authority_end(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' | b' ' => return i,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Parses one SQL statement in the session's dialect, refuses one nested deeper than the engine
/// plans safely ([`MAX_NESTING`]), and plans it.
pub async fn plan_sql(ctx: &SessionContext, sql: &str) -> std::result::Result<DataFrame, EngineError> {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    check_text(sql, &datafusion::sql::sqlparser::dialect::GenericDialect {})?;
    let mut statement = state.sql_to_statement(sql, &dialect)?;
    check_df_nesting(&mut statement)?;
    let plan = state.statement_to_plan(statement).await?;
    Ok(ctx.execute_logical_plan(plan).await?)
}

/// Runs `frame` as a stream of batches. On workers, the warnings they recorded (a repository
/// that could not be cloned there) are said here when the stream ends, as they would be
/// without workers. Front ends run queries through this rather than `DataFrame::execute_stream`.
pub async fn execute_stream(frame: DataFrame) -> DFResult<RecordBatchStream> {
    let task_ctx = Arc::new(frame.task_ctx());
    let workers = workers::resolver(task_ctx.session_config());
    let plan = frame.create_physical_plan().await?;
    let lost = move |e| match &workers {
        Some(w) => workers::name_lost_workers(e, w),
        None => e,
    };
    let stream = datafusion::physical_plan::execute_stream(Arc::clone(&plan), task_ctx).map_err(&lost)?;
    if !plan.is::<datafusion_distributed::DistributedExec>() {
        return Ok(stream);
    }
    use futures::StreamExt;
    let schema = stream.schema();
    let stream = stream.map(move |batch| batch.map_err(&lost));
    let at_end = futures::stream::once(async move {
        workers::say_worker_warnings(&plan).await;
    })
    .filter_map(|()| async { None });
    Ok(Box::pin(
        datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, stream.chain(at_end)),
    ))
}

/// What kind of failure an engine error is (see [`ErrorKind`]).
pub(crate) fn classify(err: &datafusion::error::DataFusionError) -> ErrorKind {
    use datafusion::error::DataFusionError as E;
    match err {
        E::External(e) => {
            if let Some(ours) = e.downcast_ref::<crate::Error>() {
                ours.kind()
            } else if let Some(inner) = e.downcast_ref::<E>() {
                classify(inner)
            } else {
                ErrorKind::Other
            }
        }
        E::Context(_, inner) | E::Diagnostic(_, inner) => classify(inner),
        E::Shared(inner) => classify(inner),
        E::Collection(errors) => errors.first().map_or(ErrorKind::Other, classify),
        E::SQL(..) | E::Plan(_) | E::SchemaError(..) | E::NotImplemented(_) | E::Configuration(_) => {
            ErrorKind::Query
        }
        _ => ErrorKind::Other,
    }
}

/// An engine error for front ends: its kind and its one-line message.
#[derive(Debug, Clone)]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<datafusion::error::DataFusionError> for EngineError {
    fn from(err: datafusion::error::DataFusionError) -> Self {
        EngineError {
            kind: classify(&err),
            message: describe(&err),
        }
    }
}

/// A session for front ends that do not speak DataFusion (the Python package): SQL in, Arrow
/// record batches out, errors as one line with their kind; clone jobs driven directly.
pub struct SessionContextHandle {
    ctx: SessionContext,
    fleet: Arc<CloneManager>,
    cache_dir: PathBuf,
}

impl SessionContextHandle {
    pub fn new(config: &EngineConfig) -> std::result::Result<Self, EngineError> {
        let (ctx, fleet) = build(config)?;
        Ok(SessionContextHandle {
            ctx,
            fleet,
            cache_dir: config.cache_dir(),
        })
    }

    /// The DataFusion session itself, for front ends built on it (the report).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs one SQL statement; its schema and batches.
    pub async fn collect(
        &self,
        sql: &str,
    ) -> std::result::Result<(arrow::datatypes::SchemaRef, Vec<arrow::record_batch::RecordBatch>), EngineError>
    {
        let frame = plan_sql(&self.ctx, sql).await?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = datafusion::physical_plan::common::collect(execute_stream(frame).await?).await?;
        Ok((schema, batches))
    }

    /// Runs one SQL statement as a stream of batches (memory: a few batches, not the result).
    /// The stream is driven by a task of the runtime, so a caller polling it from its own
    /// thread (Python's) never runs operators on that thread's small stack.
    pub async fn stream(&self, sql: &str) -> std::result::Result<RecordBatchStream, EngineError> {
        let stream = execute_stream(plan_sql(&self.ctx, sql).await?).await?;
        let schema = stream.schema();
        let mut builder = datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder::new(schema, 2);
        let tx = builder.tx();
        builder.spawn(async move {
            use futures::StreamExt;
            let mut stream = stream;
            while let Some(batch) = stream.next().await {
                if tx.send(batch).await.is_err() {
                    break; // The reader went away: dropping the stream stops the scan.
                }
            }
            Ok(())
        });
        Ok(builder.build())
    }

    /// A remote repository's URL and clone directory, or why `spec` cannot be cloned.
    fn remote(&self, spec: &str) -> std::result::Result<(String, PathBuf), String> {
        match RepoLocation::resolve_remote(spec, &self.cache_dir) {
            Ok(Some(target)) => Ok(target),
            Ok(None) => Err(format!("'{}' is not a remote repository URL", spec.trim())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Clones (or finds in the cache) every remote repository of `specs` at once, at most the
    /// session's clone jobs at a time, and waits for all: each one's final status, or why it
    /// cannot be cloned. One failure never stops the others.
    pub fn clone_repos(&self, specs: &[String]) -> Vec<std::result::Result<CloneStatus, String>> {
        let jobs: Vec<_> = specs
            .iter()
            .map(|spec| {
                self.remote(spec)
                    .map(|(url, path)| self.fleet.start(&url, &path, false))
            })
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.map(|job| {
                    let _ = job.wait();
                    job.status()
                })
            })
            .collect()
    }

    /// Where the clones of `specs` stand now (None: not started in this session).
    pub fn clone_statuses(&self, specs: &[String]) -> Vec<std::result::Result<Option<CloneStatus>, String>> {
        let all = self.fleet.statuses();
        specs
            .iter()
            .map(|spec| {
                let (url, _) = self.remote(spec)?;
                Ok(all.iter().find(|s| s.url == url).cloned())
            })
            .collect()
    }

    /// Every table a query can name, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .ctx
            .catalog(CATALOG)
            .and_then(|c| c.schema(SCHEMA))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// A table's columns.
    pub async fn table_schema(
        &self,
        name: &str,
    ) -> std::result::Result<arrow::datatypes::SchemaRef, EngineError> {
        let table = self.ctx.table_provider(name).await.map_err(|_| EngineError {
            kind: ErrorKind::Query,
            message: format!("no table named '{name}'"),
        })?;
        Ok(table.schema())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_in_urls() {
        assert_eq!(
            mask_credentials("SELECT * FROM commits('https://user:tok@host/x')"),
            "SELECT * FROM commits('https://***@host/x')"
        );
        // A quote inside the password (doubled in SQL) does not end the masking early.
        assert_eq!(
            mask_credentials("SELECT * FROM commits('https://user:pa''ss@host/x')"),
            "SELECT * FROM commits('https://***@host/x')"
        );
        assert_eq!(mask_credentials("SELECT 'a@b' FROM t"), "SELECT 'a@b' FROM t");
    }
}
