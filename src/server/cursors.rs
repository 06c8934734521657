//! Cursors for clients that describe what they fetch: psycopg's server-side (named) cursors
//! send `DECLARE c CURSOR FOR ...`, then `FETCH FORWARD n FROM c` through the extended
//! protocol, and read the FETCH's columns from its Describe. datafusion-postgres's cursor hook
//! plans every FETCH as a relation without columns (at parse time it cannot see the cursor),
//! so the rows that follow have more columns than described and psycopg crashed. This hook
//! remembers each declared cursor's columns on the connection and plans a FETCH with them, and
//! the service describes the cursor's own portal with them (psycopg describes it right after
//! DECLARE); declaring, fetching and closing stay the wrapped hook's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::common::{DFSchemaRef, ParamValues};
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{CloseCursor, Declare, DeclareType, Statement};
use datafusion_postgres::arrow_pg::datatypes::df;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::pgwire;
use datafusion_postgres::QueryHook;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{Response, Tag};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::PortalStore;
use pgwire::api::ClientInfo;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};

/// One connection's cursor hook (connections do not share cursors).
#[derive(Debug, Default)]
pub(super) struct DescribedCursors {
    /// Each open cursor's columns, by name.
    columns: Mutex<HashMap<String, DFSchemaRef>>,
}

impl DescribedCursors {
    /// Notes the columns of the cursors `statement` declares, forgets those it closes.
    async fn track(&self, statement: &Statement, session: &SessionContext) {
        match statement {
            Statement::Declare { stmts } => {
                for declare in stmts {
                    let (Some(name), Some(query)) = (declare.names.first(), &declare.for_query) else {
                        continue;
                    };
                    // Planned once more only for its schema; an error is the wrapped hook's to
                    // report when it runs the query.
                    if let Ok(plan) = session.state().create_logical_plan(&query.to_string()).await {
                        self.lock().insert(name.value.clone(), plan.schema().clone());
                    }
                }
            }
            Statement::Close { cursor } => match cursor {
                CloseCursor::All => self.lock().clear(),
                CloseCursor::Specific { name } => {
                    self.lock().remove(&name.value);
                }
            },
            _ => {}
        }
    }

    /// The columns of the open cursor `name`, if it was declared on this connection.
    pub(super) fn columns(&self, name: &str) -> Option<DFSchemaRef> {
        self.lock().get(name).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, DFSchemaRef>> {
        self.columns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl QueryHook for DescribedCursors {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        session_context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        self.track(statement, session_context).await;
        CursorStatementHook
            .handle_simple_query(statement, session_context, client)
            .await
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        session_context: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        if let Statement::Fetch { name, .. } = statement {
            if let Some(schema) = self.lock().get(&name.value) {
                return Some(Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                    produce_one_row: false,
                    schema: schema.clone(),
                })));
            }
        }
        CursorStatementHook
            .handle_extended_parse_query(statement, session_context, client)
            .await
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        logical_plan: &LogicalPlan,
        params: &ParamValues,
        session_context: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        self.track(statement, session_context).await;
        if let Statement::Declare { stmts } = statement {
            let bound = match params {
                ParamValues::List(values) => !values.is_empty(),
                ParamValues::Map(values) => !values.is_empty(),
            };
            if bound {
                return Some(declare_with_params(stmts, params, session_context, client).await);
            }
        }
        CursorStatementHook
            .handle_extended_query(statement, logical_plan, params, session_context, client)
            .await
    }
}

/// `DECLARE c CURSOR FOR ... $1 ...` with bound parameters (psycopg's named cursors send their
/// query's parameters this way), which the wrapped hook would run without their values. As it
/// does otherwise: the query runs now and the cursor's portal streams its rows to FETCHes.
async fn declare_with_params(
    stmts: &[Declare],
    params: &ParamValues,
    session: &SessionContext,
    client: &mut dyn HookClient,
) -> PgWireResult<Response> {
    let api = |e: datafusion::error::DataFusionError| PgWireError::ApiError(Box::new(e));
    for declare in stmts {
        let (Some(name), Some(query), Some(DeclareType::Cursor)) = (
            declare.names.first(),
            &declare.for_query,
            declare.declare_type.as_ref(),
        ) else {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "42601".into(),
                "DECLARE needs a cursor name and FOR query".into(),
            ))));
        };
        let query = query.to_string();
        let frame = session
            .sql(&query)
            .await
            .and_then(|df| df.with_param_values(params.clone()))
            .map_err(api)?;
        let rows = df::encode_dataframe(frame, &Format::UnifiedText, None).await?;
        let stored = Arc::new(StoredStatement::new(name.value.clone(), (query, None), vec![]));
        let portal = Portal::new_cursor(name.value.clone(), stored);
        portal.start(rows).await;
        client.portal_store().put_portal(Arc::new(portal));
    }
    Ok(Response::Execution(Tag::new("DECLARE CURSOR")))
}
