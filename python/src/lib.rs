//! The `gitfleet._gitfleet` Python module: a thin layer over the engine. Sessions run SQL;
//! results leave as Arrow through the C data interface (`__arrow_c_stream__`), so pyarrow,
//! polars, pandas and duckdb take them without a copy. The GIL is released while the engine
//! runs, and Ctrl-C cancels a running query.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use pyo3_arrow::{PySchema, PyTable};

pyo3::create_exception!(
    _gitfleet,
    GitFleetError,
    PyException,
    "An error from the GitFleet engine: bad SQL, an unknown repository, a failed clone or GitHub request."
);

/// One runtime for the process: DataFusion streams need tokio.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn error(e: impl std::fmt::Display) -> PyErr {
    GitFleetError::new_err(e.to_string())
}

/// Runs `work` on the runtime with the GIL released, polling for Ctrl-C: a KeyboardInterrupt
/// cancels the work (dropping its future stops the scan).
fn run<T: Send + 'static>(
    py: Python<'_>,
    work: impl std::future::Future<Output = datafusion_result::Result<T>> + Send + 'static,
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
            Some(Ok(result)) => return result.map_err(error),
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

mod datafusion_result {
    pub type Result<T> = std::result::Result<T, String>;
}

/// A connection to the engine: its repositories, cache and GitHub settings.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct Session {
    ctx: Arc<gitfleet::engine::SessionContextHandle>,
}

#[pymethods]
impl Session {
    #[new]
    #[pyo3(signature = (repos=None, cache_dir=None, github_tokens=None, github_api_url=None))]
    fn new(
        repos: Option<Vec<String>>,
        cache_dir: Option<std::path::PathBuf>,
        github_tokens: Option<Vec<String>>,
        github_api_url: Option<String>,
    ) -> PyResult<Self> {
        let config = gitfleet::EngineConfig {
            repos: repos.unwrap_or_default(),
            cache_dir,
            github_tokens: github_tokens.unwrap_or_default(),
            github_api_url,
            ..Default::default()
        };
        let ctx = gitfleet::engine::SessionContextHandle::new(&config).map_err(error)?;
        Ok(Session { ctx: Arc::new(ctx) })
    }

    /// Runs `query` and returns its result (all batches, in Arrow memory).
    fn sql(&self, py: Python<'_>, query: String) -> PyResult<QueryResult> {
        let ctx = self.ctx.clone();
        let (schema, batches) = run(py, async move { ctx.collect(&query).await })?;
        Ok(QueryResult { schema, batches })
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

/// A query's result: Arrow record batches shared with Python without copies.
#[pyclass(module = "gitfleet._gitfleet", frozen)]
struct QueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl QueryResult {
    fn table(&self) -> PyResult<PyTable> {
        PyTable::try_new(self.batches.clone(), self.schema.clone()).map_err(|e| error(e))
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
    m.add_class::<Session>()?;
    m.add_class::<QueryResult>()?;
    m.add("GitFleetError", m.py().get_type::<GitFleetError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
