//! The `gitfleet._gitfleet` Python module: a thin layer over the engine. Sessions run SQL;
//! results leave as Arrow through the C data interface (`__arrow_c_stream__`), so pyarrow,
//! polars, pandas and duckdb take them without a copy. The GIL is released while the engine
//! runs, and Ctrl-C cancels a running query. Sessions also drive clone jobs directly, and
//! share GitHub token pools, for the classic API (`gitfleet/repo_manager.py`, `gitfleet/providers.py`) built on them.
//! Errors become the exception classes of `gitfleet/errors.py`, chosen by the error's kind
//! ([`exception_class`]).
//! The engine's warnings (a repository that could not be cloned, a GitHub token rejected) are
//! raised as Python `UserWarning`s when the call that caused them returns (never from the
//! engine's own threads, which must not wait for the GIL).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use gitfleet::engine::{CloneStatus, EngineError, ErrorKind, TokenPool as Pool};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};
use pyo3_arrow::{PyRecordBatchReader, PySchema, PyTable};

/// One runtime for the process: DataFusion streams need tokio.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        // The engine's runtime: threads with stacks deep enough for deeply nested queries.
        gitfleet::engine::runtime().expect("tokio runtime")
    })
}

/// Warnings the engine emitted and Python has not seen yet.
static PENDING_WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Collects the engine's warning events (any thread) for [`flush_warnings`].
struct CollectWarnings;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CollectWarnings {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() > tracing::Level::WARN {
            return;
        }
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        PENDING_WARNINGS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message.0);
    }
}

/// Raises the collected warnings with `warnings.warn` (on the calling Python thread), except
/// those that mention one of `reported` (already in the call's result).
fn flush_warnings(py: Python<'_>, reported: &[String]) -> PyResult<()> {
    let mut pending = std::mem::take(&mut *PENDING_WARNINGS.lock().unwrap_or_else(|e| e.into_inner()));
    pending.retain(|w| !reported.iter().any(|r| w.contains(r.as_str())));
    if pending.is_empty() {
        return Ok(());
    }
    let warnings = py.import("warnings")?;
    let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
    for message in pending {
        warnings.call_method1("warn", (message, &category, 2))?;
    }
    Ok(())
}

/// The class of `gitfleet.errors` an engine error of `kind` raises. The classes are declared
/// there, once; this is the only place that maps the engine's kinds onto them.
fn exception_class(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Query | ErrorKind::TooComplex | ErrorKind::Permission => "QueryError",
        ErrorKind::Repository => "RepositoryError",
        ErrorKind::Clone => "CloneError",
        ErrorKind::GitHub => "GitHubError",
        ErrorKind::GitHubAuth => "AuthError",
        ErrorKind::GitHubRateLimit(_) => "RateLimitError",
        ErrorKind::GitHubNotFound => "NotFoundError",
        ErrorKind::Other => "GitFleetError",
    }
}

/// Asks scans to count what they will read, so that progress has totals (`sql(progress=...)`).
#[pyfunction]
fn _watch_scans(on: bool) {
    gitfleet::engine::watch_scans(on);
}

/// The scans running in this process: id, table, repo, unit (`commits` or `files`), done,
/// total (None while unknown), elapsed (seconds).
#[pyfunction]
fn _running_scans(py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
    gitfleet::engine::running_scans()
        .into_iter()
        .map(|s| {
            let d = PyDict::new(py);
            d.set_item("id", s.id)?;
            d.set_item("table", s.table)?;
            d.set_item("repo", s.repo)?;
            d.set_item("unit", s.unit)?;
            d.set_item("done", s.done)?;
            d.set_item("total", s.total)?;
            d.set_item("elapsed", s.elapsed.as_secs_f64())?;
            Ok(d.unbind())
        })
        .collect()
}

/// Every class [`exception_class`] names, for the test that each exists in `gitfleet.errors`.
#[pyfunction]
fn _exception_classes() -> Vec<&'static str> {
    [
        ErrorKind::Query,
        ErrorKind::TooComplex,
        ErrorKind::Permission,
        ErrorKind::Repository,
        ErrorKind::Clone,
        ErrorKind::GitHub,
        ErrorKind::GitHubAuth,
        ErrorKind::GitHubRateLimit(0),
        ErrorKind::GitHubNotFound,
        ErrorKind::Other,
    ]
    .iter()
    .map(exception_class)
    .collect()
}

/// An engine error as the exception of `gitfleet.errors` for its kind.
fn engine_error(e: EngineError) -> PyErr {
    Python::attach(|py| {
        let class = py
            .import("gitfleet.errors")
            .and_then(|m| m.getattr(exception_class(&e.kind)));
        let exception = class.and_then(|class| match e.kind {
            ErrorKind::GitHubRateLimit(reset) => {
                let kwargs = PyDict::new(py);
                kwargs.set_item("reset_time", reset)?;
                class.call((&e.message,), Some(&kwargs))
            }
            _ => class.call1((&e.message,)),
        });
        match exception {
            Ok(exception) => PyErr::from_value(exception),
            Err(import_failed) => import_failed,
        }
    })
}

fn error(e: impl std::fmt::Display) -> PyErr {
    engine_error(EngineError {
        kind: ErrorKind::Other,
        message: e.to_string(),
    })
}

/// Runs `work` on the runtime with the GIL released, polling for Ctrl-C: a KeyboardInterrupt
/// cancels the work (dropping its future stops the scan).
fn run<T: Send + 'static>(
    py: Python<'_>,
    work: impl std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
) -> PyResult<T> {
    run_reporting(py, work, &[])
}

/// [`run`], without warning about `reported` (repositories whose failure the result itself
/// reports, as `clone_repos`' statuses do).
fn run_reporting<T: Send + 'static>(
    py: Python<'_>,
    work: impl std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    reported: &[String],
) -> PyResult<T> {
    let handle = runtime().spawn(work);
    let abort = handle.abort_handle();
    let mut handle = Box::pin(handle);
    loop {
        let done = py.detach(|| {
            runtime().block_on(async {
                tokio::time::timeout(Duration::from_millis(100), &mut handle)
                    .await
                    .ok()
            })
        });
        match done {
            Some(Ok(result)) => {
                flush_warnings(py, reported)?;
                return result.map_err(engine_error);
            }
            Some(Err(join)) => return Err(error(join)),
            None => {
                if let Err(interrupt) = py.check_signals() {
                    abort.abort();
                    return Err(interrupt);
                }
            }
        }
    }
}

/// A connection to the engine: its repositories, cache and GitHub settings.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct Session {
    ctx: Arc<gitfleet::engine::SessionContextHandle>,
}

#[pymethods]
impl Session {
    #[new]
    #[pyo3(signature = (
        repos=None, cache_dir=None, github_tokens=None, github_api_url=None, *,
        github_username=None, token_pool=None, github_no_wait=false, clone_jobs=None,
        workers=None, workers_share_paths=false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        repos: Option<Vec<String>>,
        cache_dir: Option<std::path::PathBuf>,
        github_tokens: Option<Vec<String>>,
        github_api_url: Option<String>,
        github_username: Option<String>,
        token_pool: Option<PyRef<'_, TokenPool>>,
        github_no_wait: bool,
        clone_jobs: Option<usize>,
        workers: Option<Vec<String>>,
        workers_share_paths: bool,
    ) -> PyResult<Self> {
        let workers = workers.unwrap_or_default();
        // A bad worker list is the caller's mistake, said before anything connects.
        gitfleet::engine::parse_workers(&workers).map_err(pyo3::exceptions::PyValueError::new_err)?;
        let config = gitfleet::EngineConfig {
            repos: repos.unwrap_or_default(),
            cache_dir,
            github_tokens: github_tokens.unwrap_or_default(),
            github_api_url,
            github_username,
            github_token_pool: token_pool.map(|p| p.pool.clone()),
            github_no_wait,
            clone_jobs,
            workers,
            workers_share_paths,
            // A repository a query skips because it cannot be cloned is a Python warning
            // (the engine's default observer emits it); clone_repos reports it in statuses.
            ..Default::default()
        };
        let ctx = gitfleet::engine::SessionContextHandle::new(&config).map_err(engine_error)?;
        Ok(Session { ctx: Arc::new(ctx) })
    }

    /// Runs `query` as a stream: a reader of record batches (`__arrow_c_stream__`), produced as
    /// they are consumed, so memory holds a few batches rather than the whole result.
    fn stream(&self, py: Python<'_>, query: String) -> PyResult<PyRecordBatchReader> {
        let ctx = self.ctx.clone();
        let stream = run(py, async move { ctx.stream(&query).await })?;
        Ok(PyRecordBatchReader::new(Box::new(BatchReader::new(stream))))
    }

    /// Clones (or finds cached) the remote repositories `urls` concurrently and waits for all;
    /// one status dict per URL (a URL that cannot be cloned has state "failed").
    fn clone_repos(&self, py: Python<'_>, urls: Vec<String>) -> PyResult<Vec<Py<PyDict>>> {
        let ctx = self.ctx.clone();
        let given = urls.clone();
        let reports = run_reporting(
            py,
            async move {
                tokio::task::spawn_blocking(move || ctx.clone_repos(&urls))
                    .await
                    .map_err(|e| EngineError {
                        kind: ErrorKind::Other,
                        message: e.to_string(),
                    })
            },
            &given,
        )?;
        given
            .iter()
            .zip(reports)
            .map(|(url, report)| status_dict(py, url, report.map(Some)))
            .collect()
    }

    /// Where the clones of `urls` stand now ("state" is None for one not started yet).
    fn clone_statuses(&self, py: Python<'_>, urls: Vec<String>) -> PyResult<Vec<Py<PyDict>>> {
        let reports = self.ctx.clone_statuses(&urls);
        urls.iter()
            .zip(reports)
            .map(|(url, report)| status_dict(py, url, report))
            .collect()
    }

    /// Runs `query` and returns its result (all batches, in Arrow memory).
    fn sql(&self, py: Python<'_>, query: String) -> PyResult<QueryResult> {
        let ctx = self.ctx.clone();
        let (schema, batches) = run(py, async move { ctx.collect(&query).await })?;
        Ok(QueryResult { schema, batches })
    }

    /// Starts `query` and returns at once; `sql_async` waits for it on a worker thread and
    /// cancels it when the awaiting task is cancelled (`asyncio.wait_for`, task.cancel()).
    fn submit(&self, query: String) -> PendingQuery {
        let ctx = self.ctx.clone();
        let handle = runtime().spawn(async move { ctx.collect(&query).await });
        PendingQuery {
            abort: handle.abort_handle(),
            handle: std::sync::Mutex::new(Some(handle)),
        }
    }

    /// Starts writing the HTML report (`gitfleet.report`) to `path` and returns at once; the
    /// file is written only once the report is whole.
    #[pyo3(signature = (path, since=None, github=false, title=None))]
    fn submit_report(
        &self,
        path: std::path::PathBuf,
        since: Option<String>,
        github: bool,
        title: Option<String>,
    ) -> PendingReport {
        let ctx = self.ctx.clone();
        let options = gitfleet::report::ReportOptions { since, github, title };
        let handle = runtime().spawn(async move {
            let report = gitfleet::report::build(ctx.context(), &options, &|_| {}).await?;
            gitfleet::report::write(&path, &report.html).map_err(|message| EngineError {
                kind: ErrorKind::Other,
                message,
            })?;
            Ok(report)
        });
        PendingReport {
            abort: handle.abort_handle(),
            handle: std::sync::Mutex::new(Some(handle)),
        }
    }

    /// The names of the tables a query can use.
    fn tables(&self) -> Vec<String> {
        self.ctx.table_names()
    }

    /// A table's schema, as an Arrow schema (pyarrow.schema(...) reads it without a copy).
    fn schema(&self, py: Python<'_>, table: String) -> PyResult<Py<PyAny>> {
        let ctx = self.ctx.clone();
        let schema = run(py, async move { ctx.table_schema(&table).await })?;
        Ok(PySchema::new(schema).into_pyobject(py)?.into_any().unbind())
    }
}

/// A clone job's status for Python: url (as given), state, action, percent, path, error.
fn status_dict(
    py: Python<'_>,
    url: &str,
    report: Result<Option<CloneStatus>, String>,
) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("url", url)?;
    match report {
        Ok(Some(s)) => {
            d.set_item("state", s.state.as_str())?;
            d.set_item("action", s.action)?;
            d.set_item("percent", s.progress.percent)?;
            d.set_item("path", s.path.to_string_lossy().into_owned())?;
            d.set_item("error", s.error)?;
        }
        Ok(None) => {
            d.set_item("state", py.None())?;
            d.set_item("error", py.None())?;
        }
        Err(why) => {
            d.set_item("state", "failed")?;
            d.set_item("error", why)?;
        }
    }
    Ok(d.unbind())
}

type Collected = Result<(SchemaRef, Vec<RecordBatch>), EngineError>;

/// A query running on the engine's runtime, started by `Session.submit`.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct PendingQuery {
    abort: tokio::task::AbortHandle,
    handle: std::sync::Mutex<Option<tokio::task::JoinHandle<Collected>>>,
}

#[pymethods]
impl PendingQuery {
    /// Waits for the result with the GIL released; after `cancel()`, raises at once.
    fn wait(&self, py: Python<'_>) -> PyResult<QueryResult> {
        let Some(mut handle) = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Err(error("this query's result was already taken"));
        };
        let joined = py.detach(|| runtime().block_on(&mut handle));
        match joined {
            Ok(result) => {
                flush_warnings(py, &[])?;
                let (schema, batches) = result.map_err(engine_error)?;
                Ok(QueryResult { schema, batches })
            }
            Err(e) if e.is_cancelled() => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the query was cancelled",
            )),
            Err(e) => Err(error(e)),
        }
    }

    /// Stops the query (its scans stop with it); a waiting `wait()` returns.
    fn cancel(&self) {
        self.abort.abort();
    }
}

/// A report being written, started by `Session.submit_report`.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct PendingReport {
    abort: tokio::task::AbortHandle,
    handle: std::sync::Mutex<Option<tokio::task::JoinHandle<Result<gitfleet::report::Report, EngineError>>>>,
}

#[pymethods]
impl PendingReport {
    /// Waits with the GIL released (a tenth of a second at a time, so Ctrl-C stops the report):
    /// a dict of `repositories`, `failed` ({repository: why}) and `section_errors`.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let Some(handle) = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Err(error("this report was already waited for"));
        };
        let abort = self.abort.clone();
        let report = run(py, async move {
            struct AbortOnDrop(tokio::task::AbortHandle);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.abort();
                }
            }
            // Ctrl-C drops this future: the report's task stops with it.
            let _guard = AbortOnDrop(abort);
            handle.await.map_err(|e| EngineError {
                kind: ErrorKind::Other,
                message: if e.is_cancelled() {
                    "the report was cancelled".to_string()
                } else {
                    e.to_string()
                },
            })?
        })?;
        let out = PyDict::new(py);
        out.set_item("repositories", report.repositories)?;
        let failed = PyDict::new(py);
        for (repo, why) in report.failed {
            failed.set_item(repo, why)?;
        }
        out.set_item("failed", failed)?;
        out.set_item("section_errors", report.section_errors)?;
        Ok(out.unbind())
    }

    /// Stops the report (its scans stop with it); the file is not written.
    fn cancel(&self) {
        self.abort.abort();
    }
}

/// A DataFusion stream as an Arrow reader: each `next` waits on the runtime for one batch, a
/// tenth of a second at a time, between which Ctrl-C is looked for: an interrupted read ends
/// the stream (dropping it stops the scan) with [`INTERRUPTED`], and Python raises
/// KeyboardInterrupt.
/// Readers are one at a time: a second thread reading while another waits gets an error (the
/// Arrow C stream interface is not made for concurrent readers) instead of racing it.
struct BatchReader {
    schema: SchemaRef,
    stream: Arc<std::sync::Mutex<Option<gitfleet::engine::RecordBatchStream>>>,
}

impl BatchReader {
    fn new(stream: gitfleet::engine::RecordBatchStream) -> Self {
        BatchReader {
            schema: stream.schema(),
            stream: Arc::new(std::sync::Mutex::new(Some(stream))),
        }
    }
}

/// The error a stream read ends with when Ctrl-C interrupts it.
const INTERRUPTED: &str = "gitfleet: interrupted (Ctrl-C)";

fn arrow_error(message: &str) -> arrow::error::ArrowError {
    arrow::error::ArrowError::ExternalError(message.into())
}

impl Iterator for BatchReader {
    type Item = Result<RecordBatch, arrow::error::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        use futures::StreamExt;
        let mut guard =
            match self.stream.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return Some(Err(arrow_error(
                    "this stream is being read by another thread: read a stream from one thread at a time",
                ))),
            };
        let stream = guard.as_mut()?;
        loop {
            let batch = runtime().block_on(async {
                tokio::time::timeout(Duration::from_millis(100), stream.next())
                    .await
                    .ok()
            });
            if let Some(batch) = batch {
                return batch.map(|r| r.map_err(|e| arrow::error::ArrowError::ExternalError(Box::new(e))));
            }
            // Handing pyarrow an error while a Python exception is set confuses it: the
            // interrupt is taken here, and `Session.stream` raises KeyboardInterrupt for
            // INTERRUPTED (`gitfleet/__init__.py`).
            let interrupted = Python::attach(|py| py.check_signals().is_err());
            if interrupted {
                *guard = None;
                return Some(Err(arrow_error(INTERRUPTED)));
            }
        }
    }
}

impl arrow::record_batch::RecordBatchReader for BatchReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A GitHub token pool shared by sessions (the classic `TokenManager` sits on it): the token
/// with the most quota left goes out; quota learnt from any session's responses is seen here.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct TokenPool {
    pool: Arc<Pool>,
}

#[pymethods]
impl TokenPool {
    #[new]
    #[pyo3(signature = (tokens=None))]
    fn new(tokens: Option<Vec<String>>) -> Self {
        TokenPool {
            pool: Arc::new(Pool::new(tokens.unwrap_or_default())),
        }
    }

    /// Adds a token; False when it is empty or already in the pool.
    fn add(&self, token: &str) -> bool {
        let before = self.pool.tokens().len();
        self.pool.add(token);
        self.pool.tokens().len() > before
    }

    /// Every token with what GitHub last said of it: token, id (masked), limit, remaining,
    /// used, reset (epoch seconds), invalid. Unknown values are None.
    fn tokens(&self, py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
        self.pool
            .tokens()
            .iter()
            .map(|t| {
                let q = t.quota();
                let d = PyDict::new(py);
                d.set_item("token", t.secret())?;
                d.set_item("id", &t.id)?;
                d.set_item("limit", q.limit)?;
                d.set_item("remaining", q.remaining)?;
                d.set_item("used", q.used)?;
                d.set_item("reset", q.reset)?;
                d.set_item("invalid", q.invalid)?;
                Ok(d.unbind())
            })
            .collect()
    }

    /// The token requests would use now (most quota left), or None if none is usable.
    fn pick(&self, now: i64) -> Option<String> {
        match self.pool.pick(now) {
            gitfleet::engine::TokenPick::Token(t) => Some(t.secret().to_string()),
            _ => None,
        }
    }

    /// Records what GitHub said of `token`'s quota (as its X-RateLimit-* headers would).
    #[pyo3(signature = (token, remaining, reset, limit=None))]
    fn update(&self, token: &str, remaining: i64, reset: i64, limit: Option<i64>) -> bool {
        let Some(t) = self.pool.find(token) else {
            return false;
        };
        Pool::observe(&t, |name| match name {
            "x-ratelimit-remaining" => Some(remaining.to_string()),
            "x-ratelimit-reset" => Some(reset.to_string()),
            "x-ratelimit-limit" => limit.map(|l| l.to_string()),
            _ => None,
        });
        true
    }

    /// Never uses `token` again (GitHub rejected it).
    fn invalidate(&self, token: &str) -> bool {
        self.pool.find(token).map(|t| Pool::invalidate(&t)).is_some()
    }

    /// How many tokens could make a request at `now`.
    fn available(&self, now: i64) -> usize {
        self.pool
            .tokens()
            .iter()
            .filter(|t| !t.quota().invalid && t.available(now) > 0)
            .count()
    }

    fn __len__(&self) -> usize {
        self.pool.tokens().len()
    }
}

/// A query's result: Arrow record batches shared with Python without copies.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct QueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl QueryResult {
    fn table(&self) -> PyResult<PyTable> {
        PyTable::try_new(self.batches.clone(), self.schema.clone()).map_err(error)
    }
}

#[pymethods]
impl QueryResult {
    /// The Arrow PyCapsule stream interface: `pa.table(result)`, `pl.DataFrame(result)`, duckdb.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let table = self.table()?.into_pyobject(py)?;
        table
            .call_method1("__arrow_c_stream__", (requested_schema,))?
            .cast_into::<PyCapsule>()
            .map_err(Into::into)
    }

    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Number of record batches.
    #[getter]
    fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// Column names.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<gitfleet result: {} rows, columns {:?}>",
            self.__len__(),
            self.columns()
        )
    }
}

#[pymodule]
fn _gitfleet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    {
        use tracing_subscriber::layer::SubscriberExt;
        // Another library of the process may have installed one first; then it gets the events.
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CollectWarnings));
    }
    m.add_class::<Session>()?;
    m.add_class::<QueryResult>()?;
    m.add_class::<TokenPool>()?;
    m.add_class::<PendingQuery>()?;
    m.add_class::<PendingReport>()?;
    m.add_function(wrap_pyfunction!(_exception_classes, m)?)?;
    m.add_function(wrap_pyfunction!(_watch_scans, m)?)?;
    m.add_function(wrap_pyfunction!(_running_scans, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
