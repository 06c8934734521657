//! The query path of `gitfleet serve`: datafusion-postgres's session service, wrapped so that
//! every statement passes the guard (`guard.rs`), every query can be stopped by its client's
//! cancel request, its statement timeout or its client going away (`connections.rs`), results
//! respect the row limit, and each query is logged as one line (`query_log.rs`).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::arrow_pg::datatypes::arrow_schema_to_pg_fields;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::pgwire;
use datafusion_postgres::QueryHook;
use datafusion_postgres::{DfSessionService, Parser};
use futures::{Sink, Stream, StreamExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{DescribePortalResponse, FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;
use pgwire::messages::PgWireBackendMessage;

use super::connections::{Connections, StopSignal};
use super::cursors::DescribedCursors;
use super::guard::{check_statements, pg_error, with_sqlstate};
use super::query_log::{error_text, QueryLog};

type StatementOf = (String, Option<(Statement, LogicalPlan)>);

/// What the server's operator set for every query.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct QueryLimits {
    /// Statement timeout of clients that set none (`--statement-timeout`).
    pub statement_timeout: Option<Duration>,
    /// Most rows a result may have (`--max-result-rows`).
    pub max_result_rows: Option<usize>,
}

/// One connection's query handlers, over that connection's own session.
pub(super) struct Service {
    inner: Arc<DfSessionService>,
    cursors: Arc<DescribedCursors>,
    parser: Arc<ReadOnlyParser>,
    connections: Arc<Connections>,
    limits: QueryLimits,
}

impl Service {
    pub(super) fn new(
        inner: Arc<DfSessionService>,
        cursors: Arc<DescribedCursors>,
        connections: Arc<Connections>,
        limits: QueryLimits,
    ) -> Self {
        let parser = Arc::new(ReadOnlyParser {
            inner: inner.query_parser(),
        });
        Service {
            inner,
            cursors,
            parser,
            connections,
            limits,
        }
    }
}

/// Runs `work` unless the query is stopped first.
async fn cancellable<T>(
    work: impl std::future::Future<Output = PgWireResult<T>>,
    stop: &StopSignal,
) -> PgWireResult<T> {
    tokio::select! {
        result = work => result,
        why = stop.clone() => Err(why.error()),
    }
}

/// The response's rows, counted for the log, cut short when the query is stopped and failed
/// past the row limit. Dropping the stream (client gone) drops the DataFusion stream under it,
/// which stops the scan.
fn watch_rows(
    response: Response,
    cancel: StopSignal,
    max_rows: Option<usize>,
    mut log: Option<QueryLog>,
) -> Response {
    let Response::Query(query) = response else {
        if let Some(log) = &mut log {
            log.finish("ok");
        }
        return response;
    };
    let schema: Arc<Vec<FieldInfo>> = query.row_schema();
    let tag = query.command_tag().to_string();
    let rows = query.data_rows;
    let stream = futures::stream::unfold(Some((rows, cancel, log, 0usize)), move |state| async move {
        let (mut rows, cancel, mut log, sent) = state?;
        let mut finish = |outcome: &str| {
            if let Some(log) = &mut log {
                log.finish(outcome);
            }
        };
        let next = tokio::select! {
            next = rows.next() => next,
            why = cancel.clone() => {
                finish(why.outcome());
                return Some((Err(why.error()), None));
            }
        };
        match next {
            Some(Ok(_)) if max_rows.is_some_and(|max| sent >= max) => {
                let max = max_rows.unwrap_or_default();
                let e = pg_error(
                    "54000",
                    format!(
                        "the result has more than {max} rows, the server's --max-result-rows; add a LIMIT"
                    ),
                );
                finish(&format!("error=\"{}\"", error_text(&e)));
                Some((Err(e), None))
            }
            Some(Ok(row)) => {
                if let Some(log) = &mut log {
                    log.rows += 1;
                }
                Some((Ok(row), Some((rows, cancel, log, sent + 1))))
            }
            Some(Err(e)) => {
                let e = with_sqlstate(e);
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
        let cancel = self
            .connections
            .stop_signal(client, self.limits.statement_timeout);
        let result = cancellable(
            SimpleQueryHandler::do_query(self.inner.as_ref(), client, &query),
            &cancel,
        )
        .await
        .map_err(with_sqlstate);
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
                        let log = if i + 1 == count { log.take() } else { None };
                        watch_rows(r, cancel.clone(), self.limits.max_result_rows, log)
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

    /// A DECLAREd cursor's portal carries its query's text but no plan: described with the
    /// cursor's columns (see `cursors.rs`), not as a statement without any.
    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        target: &Portal<Self::Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let format = &target.result_column_format;
        if target.statement.statement.1.is_none() {
            if let Some(schema) = self.cursors.columns(&target.name) {
                let fields = arrow_schema_to_pg_fields(schema.as_arrow(), format, None)?;
                return Ok(DescribePortalResponse::new(fields));
            }
        }
        let fields = self
            .parser
            .get_result_schema(&target.statement.statement, Some(format))?;
        Ok(DescribePortalResponse::new(fields))
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
        let cancel = self
            .connections
            .stop_signal(client, self.limits.statement_timeout);
        let result = cancellable(
            ExtendedQueryHandler::do_query(self.inner.as_ref(), client, portal, max_rows),
            &cancel,
        )
        .await
        .map_err(with_sqlstate);
        match result {
            Ok(response) => Ok(watch_rows(
                response,
                cancel,
                self.limits.max_result_rows,
                Some(log),
            )),
            Err(e) => {
                log.finish(&format!("error=\"{}\"", error_text(&e)));
                Err(e)
            }
        }
    }
}

/// datafusion-postgres's parser behind the read-only check (prepared statements included).
pub(super) struct ReadOnlyParser {
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
        self.inner
            .parse_sql(client, &prepared.sql, types)
            .await
            .map_err(with_sqlstate)
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
pub(super) struct SavepointHook;

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
