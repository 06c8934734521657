//! The query path of `gitfleet serve`: datafusion-postgres's session service, wrapped so that
//! every query is read-only, cancellable by the client's cancel request, and logged as one line.

use std::fmt::Debug;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::pgwire;
use datafusion_postgres::QueryHook;
use datafusion_postgres::{DfSessionService, Parser};
use futures::future::{BoxFuture, FutureExt, Shared};
use futures::{Sink, Stream, StreamExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, ConnectionHandle, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::messages::PgWireBackendMessage;

type StatementOf = (String, Option<(Statement, LogicalPlan)>);

/// Fires when the client's cancel request arrives; never fires otherwise.
type CancelSignal = Shared<BoxFuture<'static, ()>>;

pub struct Service {
    inner: Arc<DfSessionService>,
    parser: Arc<ReadOnlyParser>,
    disconnects: Arc<Disconnects>,
}

impl Service {
    pub fn new(inner: Arc<DfSessionService>, disconnects: Arc<Disconnects>) -> Self {
        let parser = Arc::new(ReadOnlyParser {
            inner: inner.query_parser(),
        });
        Service {
            inner,
            parser,
            disconnects,
        }
    }
}

/// Which connections' clients have gone away. pgwire reads a connection only between queries,
/// so a client that disconnects mid-query is noticed by a watcher on a second handle of its
/// socket; its query is then cancelled like on a cancel request, which frees the scan.
#[derive(Default)]
pub struct Disconnects(
    std::sync::Mutex<std::collections::HashMap<SocketAddr, tokio::sync::watch::Receiver<bool>>>,
);

impl Disconnects {
    /// Watches `peer`'s socket (through `watcher`, a duplicate handle) until it closes or the
    /// returned task is aborted (the connection ended on the server's side).
    pub fn watch(
        self: &Arc<Self>,
        peer: SocketAddr,
        watcher: tokio::net::TcpStream,
    ) -> tokio::task::JoinHandle<()> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(peer, rx);
        let registry = self.clone();
        tokio::spawn(async move {
            let _forget = Forget(registry, peer);
            let mut byte = [0u8; 1];
            loop {
                match watcher.peek(&mut byte).await {
                    // Data waiting for pgwire: the client is there; look again later.
                    Ok(n) if n > 0 => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                    _ => {
                        let _ = tx.send(true);
                        return;
                    }
                }
            }
        })
    }

    fn receiver(&self, peer: SocketAddr) -> Option<tokio::sync::watch::Receiver<bool>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&peer)
            .cloned()
    }
}

/// Removes a connection from the registry when its watcher ends.
struct Forget(Arc<Disconnects>, SocketAddr);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0
             .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.1);
    }
}

/// A Postgres error with SQLSTATE `code`.
fn pg_error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message.into(),
    )))
}

/// Refuses a statement nested deeper than the engine plans safely (SQLSTATE 54001, PostgreSQL's
/// "stack depth limit exceeded"), then anything that writes files or changes state.
fn check_statements(sql: &str, prepared: &super::rewrite::Prepared<'_>) -> PgWireResult<()> {
    if let Some(message) = &prepared.too_complex {
        return Err(pg_error("54001", message.clone()));
    }
    check_read_only(sql, prepared.statements.as_deref())
}

/// Refuses anything that writes files or changes state, given `sql`'s parsed `statements`.
/// Statements that fail to parse are left to the engine, which reports the syntax error.
fn check_read_only(sql: &str, statements: Option<&[Statement]>) -> PgWireResult<()> {
    let Some(statements) = statements else {
        let head = sql.trim_start().to_ascii_uppercase();
        // DataFusion's own DDL (CREATE EXTERNAL TABLE, COPY ... STORED AS) may not parse as
        // Postgres; it is refused by its first word.
        for word in ["CREATE", "COPY", "INSERT", "DROP", "ALTER", "DELETE", "UPDATE"] {
            if head.starts_with(word) {
                return Err(read_only_error(word));
            }
        }
        return Ok(());
    };
    for statement in statements {
        if let Some(what) = writes(statement) {
            let text = statement.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            let what = if what == "this statement" {
                words.join(" ")
            } else {
                what.to_string()
            };
            return Err(read_only_error(&what));
        }
    }
    Ok(())
}

fn read_only_error(what: &str) -> PgWireError {
    pg_error(
        "25006",
        format!("gitfleet serve is read-only: {what} is not allowed"),
    )
}

/// The kind of a statement that would write or change state; None for reads.
fn writes(statement: &Statement) -> Option<&'static str> {
    Some(match statement {
        Statement::Query(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowViews { .. }
        | Statement::Set(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => return None,
        Statement::Explain { statement, .. } => return writes(statement),
        Statement::Copy { .. } => "COPY",
        Statement::Insert(_) => "INSERT",
        Statement::Update { .. } => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Merge { .. } => "MERGE",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateView { .. } => "CREATE VIEW",
        Statement::Drop { .. } => "DROP",
        Statement::AlterTable { .. } => "ALTER TABLE",
        _ => "this statement",
    })
}

/// A one-line record of a query, written to stderr when the query ends (or its client goes).
struct QueryLog {
    peer: SocketAddr,
    user: String,
    sql: String,
    started: Instant,
    rows: usize,
    done: bool,
}

impl QueryLog {
    fn new<C: ClientInfo + ?Sized>(client: &C, sql: &str) -> Self {
        QueryLog {
            peer: client.socket_addr(),
            user: client.metadata().get("user").cloned().unwrap_or_default(),
            sql: one_line(sql),
            started: Instant::now(),
            rows: 0,
            done: false,
        }
    }

    fn finish(&mut self, outcome: &str) {
        if self.done {
            return;
        }
        self.done = true;
        eprintln!(
            "{} user={} {:.1}ms rows={} {outcome} query=\"{}\"",
            self.peer,
            self.user,
            self.started.elapsed().as_secs_f64() * 1000.0,
            self.rows,
            self.sql
        );
    }
}

impl Drop for QueryLog {
    fn drop(&mut self) {
        self.finish("error=\"client went away\"");
    }
}

/// The query as one line, at most 300 characters, with any `user:password@` in URLs masked.
fn one_line(sql: &str) -> String {
    let mut line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut from = 0;
    while let Some(at) = line[from..].find("://").map(|i| i + from + 3) {
        let end = line[at..].find(['/', '\'', ' ']).map_or(line.len(), |i| i + at);
        if let Some(cred) = line[at..end].rfind('@') {
            line.replace_range(at..at + cred, "***");
        }
        from = at;
    }
    if line.chars().count() > 300 {
        line = line.chars().take(300).collect::<String>() + "...";
    }
    line.replace('"', "'")
}

fn error_text(e: &PgWireError) -> String {
    let text = match e {
        PgWireError::UserError(info) => info.message.clone(),
        other => other.to_string(),
    };
    one_line(&text)
}

/// The cancel signal of the client's current query: its cancel request (pgwire fires the
/// connection handle's receiver) or its disconnection.
async fn cancel_signal<C: ClientInfo + ?Sized>(client: &C, disconnects: &Disconnects) -> CancelSignal {
    let handle = client.session_extensions().get::<Arc<ConnectionHandle>>();
    let receiver = match handle {
        Some(handle) => Some(handle.start_query().await),
        None => None,
    };
    let requested = async move {
        let fired = match receiver {
            Some(rx) => rx.await.is_ok(),
            None => false,
        };
        // No handle, or the query ended and the next one replaced the sender: never fires.
        if !fired {
            futures::future::pending::<()>().await;
        }
    };
    let mut gone = disconnects.receiver(client.socket_addr());
    let disconnected = async move {
        let fired = match gone.as_mut() {
            Some(rx) => rx.wait_for(|gone| *gone).await.is_ok(),
            None => false,
        };
        if !fired {
            futures::future::pending::<()>().await;
        }
    };
    async move {
        tokio::select! {
            _ = requested => {}
            _ = disconnected => {}
        }
    }
    .boxed()
    .shared()
}

fn cancelled() -> PgWireError {
    pg_error("57014", "canceling statement due to user request")
}

/// Runs `work` unless the client cancels first.
async fn cancellable<T>(
    work: impl std::future::Future<Output = PgWireResult<T>>,
    cancel: &CancelSignal,
) -> PgWireResult<T> {
    tokio::select! {
        result = work => result,
        _ = cancel.clone() => Err(cancelled()),
    }
}

/// The response's rows, counted for the log and cut short by a cancel request. Dropping the
/// stream (client gone) drops the DataFusion stream under it, which stops the scan.
fn watch_rows(response: Response, cancel: CancelSignal, mut log: Option<QueryLog>) -> Response {
    let Response::Query(query) = response else {
        if let Some(log) = &mut log {
            log.finish("ok");
        }
        return response;
    };
    let schema: Arc<Vec<FieldInfo>> = query.row_schema();
    let tag = query.command_tag().to_string();
    let rows = query.data_rows;
    let stream = futures::stream::unfold(Some((rows, cancel, log)), |state| async move {
        let (mut rows, cancel, mut log) = state?;
        let mut finish = |outcome: &str| {
            if let Some(log) = &mut log {
                log.finish(outcome);
            }
        };
        let next = tokio::select! {
            next = rows.next() => next,
            _ = cancel.clone() => {
                finish("error=\"cancelled\"");
                return Some((Err(cancelled()), None));
            }
        };
        match next {
            Some(Ok(row)) => {
                if let Some(log) = &mut log {
                    log.rows += 1;
                }
                Some((Ok(row), Some((rows, cancel, log))))
            }
            Some(Err(e)) => {
                finish(&format!("error=\"{}\"", error_text(&e)));
                Some((Err(e), None))
            }
            None => {
                finish("ok");
                None
            }
        }
    });
    let mut response = QueryResponse::new(schema, Box::pin(stream) as RowStream);
    response.set_command_tag(&tag);
    Response::Query(response)
}

type RowStream = std::pin::Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>;

#[async_trait]
impl SimpleQueryHandler for Service {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut log = QueryLog::new(client, query);
        let prepared = super::rewrite::prepare(query);
        if let Err(e) = check_statements(query, &prepared) {
            log.finish(&format!("error=\"{}\"", error_text(&e)));
            return Err(e);
        }
        let query = prepared.sql;
        let cancel = cancel_signal(client, &self.disconnects).await;
        let result = cancellable(
            SimpleQueryHandler::do_query(self.inner.as_ref(), client, &query),
            &cancel,
        )
        .await;
        match result {
            Err(e) => {
                log.finish(&format!("error=\"{}\"", error_text(&e)));
                Err(e)
            }
            Ok(responses) => {
                let count = responses.len();
                let mut log = Some(log);
                let out = responses
                    .into_iter()
                    .enumerate()
                    // One log line per client query: it rides on the last response.
                    .map(|(i, r)| {
                        watch_rows(r, cancel.clone(), if i + 1 == count { log.take() } else { None })
                    })
                    .collect();
                if let Some(mut log) = log {
                    log.finish("ok");
                }
                Ok(out)
            }
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for Service {
    type Statement = StatementOf;
    type QueryParser = ReadOnlyParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut log = QueryLog::new(client, &portal.statement.statement.0);
        let cancel = cancel_signal(client, &self.disconnects).await;
        let result = cancellable(
            ExtendedQueryHandler::do_query(self.inner.as_ref(), client, portal, max_rows),
            &cancel,
        )
        .await;
        match result {
            Ok(response) => Ok(watch_rows(response, cancel, Some(log))),
            Err(e) => {
                log.finish(&format!("error=\"{}\"", error_text(&e)));
                Err(e)
            }
        }
    }
}

/// datafusion-postgres's parser behind the read-only check (prepared statements included).
pub struct ReadOnlyParser {
    inner: Arc<Parser>,
}

#[async_trait]
impl QueryParser for ReadOnlyParser {
    type Statement = StatementOf;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let prepared = super::rewrite::prepare(sql);
        if let Err(e) = check_statements(sql, &prepared) {
            QueryLog::new(client, sql).finish(&format!("error=\"{}\"", error_text(&e)));
            return Err(e);
        }
        self.inner.parse_sql(client, &prepared.sql, types).await
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(stmt, column_format)
    }
}

/// Savepoints as no-ops inside the no-op transactions datafusion-postgres emulates: psycopg and
/// SQLAlchemy wrap their connection setup in one. Nothing is written, so there is nothing to
/// roll back to.
pub struct SavepointHook;

fn savepoint_tag(statement: &Statement) -> Option<&'static str> {
    match statement {
        Statement::Savepoint { .. } => Some("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Some("RELEASE"),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Some("ROLLBACK"),
        _ => None,
    }
}

#[async_trait]
impl QueryHook for SavepointHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        savepoint_tag(statement).map(|tag| Ok(Response::Execution(Tag::new(tag))))
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        savepoint_tag(statement)?;
        Some(Ok(LogicalPlan::EmptyRelation(EmptyRelation {
            produce_one_row: false,
            schema: Arc::new(DFSchema::empty()),
        })))
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        savepoint_tag(statement).map(|tag| Ok(Response::Execution(Tag::new(tag))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_only(sql: &str) -> PgWireResult<()> {
        check_read_only(sql, super::super::rewrite::prepare(sql).statements.as_deref())
    }

    #[test]
    fn writes_are_refused_reads_are_not() {
        for sql in [
            "SELECT 1",
            "select count(*) from commits",
            "EXPLAIN SELECT 1",
            "SHOW search_path",
            "SET extra_float_digits = 3",
            "BEGIN",
            "COMMIT",
        ] {
            assert!(read_only(sql).is_ok(), "{sql}");
        }
        for sql in [
            "INSERT INTO t VALUES (1)",
            "CREATE TABLE t (a int)",
            "CREATE VIEW v AS SELECT 1",
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/tmp/x.csv'",
            "COPY (SELECT 1) TO '/tmp/out.csv'",
            "COPY commits TO '/tmp/out.parquet' STORED AS PARQUET",
            "DROP TABLE commits",
            "DELETE FROM commits",
        ] {
            assert!(read_only(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn logged_queries_are_one_line_without_credentials() {
        assert_eq!(
            one_line("SELECT *\n  FROM commits('https://user:tok@host/x')"),
            "SELECT * FROM commits('https://***@host/x')"
        );
    }
}
