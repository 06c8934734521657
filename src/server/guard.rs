//! What a client may not do on `gitfleet serve`, checked on the parsed statements before
//! anything is planned: statements nested too deep for the engine (54001), anything that writes
//! or creates (25006, `SELECT ... INTO` included) and settings that belong to the operator
//! (42501: the runtime's memory limit and temporary directory).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{ObjectName, Query, Select, Set, Statement, Visit, Visitor};
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::pgwire;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};

/// An engine error with the SQLSTATE PostgreSQL uses for its kind: 42501 for what the client
/// was not granted, 54001 for a statement too complex, 53200 for a query out of memory. Other
/// errors keep datafusion-postgres's code.
pub(super) fn with_sqlstate(e: PgWireError) -> PgWireError {
    let PgWireError::ApiError(inner) = &e else {
        return e;
    };
    let Some(df) = inner.downcast_ref::<datafusion::error::DataFusionError>() else {
        return e;
    };
    let code = match crate::engine::classify(df) {
        crate::engine::ErrorKind::Permission => "42501",
        crate::engine::ErrorKind::TooComplex => "54001",
        _ if matches!(
            df.find_root(),
            datafusion::error::DataFusionError::ResourcesExhausted(_)
        ) =>
        {
            "53200"
        }
        _ => return e,
    };
    pg_error(code, crate::engine::describe(df))
}

/// A Postgres error with SQLSTATE `code`.
pub(super) fn pg_error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_string(),
        code.to_string(),
        message.into(),
    )))
}

/// Refuses a statement nested deeper than the engine plans safely (SQLSTATE 54001, PostgreSQL's
/// "stack depth limit exceeded"), then anything that writes files or changes state.
pub(super) fn check_statements(sql: &str, prepared: &super::rewrite::Prepared<'_>) -> PgWireResult<()> {
    if let Some(message) = &prepared.too_complex {
        return Err(pg_error("54001", message.clone()));
    }
    check_read_only(sql, prepared.statements.as_deref())?;
    for statement in prepared.statements.iter().flatten() {
        check_setting(statement)?;
    }
    // datafusion-postgres parses with its own compatibility parser, which rewrites tokens
    // first (`ABORT` becomes `ROLLBACK`), so it can read statements where sqlparser reads
    // none: `ABORT; CREATE TABLE t AS ...` fails to parse here but runs there. What it reads
    // from the SQL the engine is given is checked too; SQL it cannot parse never runs.
    if let Ok(statements) = engine_parser().parse(&prepared.sql) {
        check_read_only(&prepared.sql, Some(&statements))?;
        for statement in &statements {
            check_setting(statement)?;
        }
    }
    Ok(())
}

/// The parser datafusion-postgres reads every statement with (built once: it tokenises its
/// rewrite tables).
fn engine_parser() -> &'static PostgresCompatibilityParser {
    static PARSER: std::sync::OnceLock<PostgresCompatibilityParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(PostgresCompatibilityParser::new)
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
        Statement::ShowVariable { .. }
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
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => return None,
        Statement::Explain { statement, .. } => return writes(statement),
        // `SELECT ... INTO t` creates a table every client would see, also as a cursor's query.
        Statement::Query(query) => return selects_into(query).then_some("SELECT INTO"),
        Statement::Declare { stmts } => {
            let into = stmts
                .iter()
                .filter_map(|d| d.for_query.as_deref())
                .any(selects_into);
            return into.then_some("SELECT INTO");
        }
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

/// Whether any SELECT of `query` (subqueries and set operations included) has an INTO.
fn selects_into(query: &Query) -> bool {
    struct Into;
    impl Visitor for Into {
        type Break = ();
        fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
            if select.into.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    query.visit(&mut Into).is_break()
}

/// The DataFusion settings a client may change in its own session: display and time zone. The
/// rest belong to the operator: the runtime (memory pool, spill directory), the parser (another
/// dialect would read a statement differently from the guard) and execution sizes (ten
/// thousand partitions exhaust the machine's memory before any pool sees it).
const CLIENT_SETTINGS: &[&str] = &[
    "datafusion.execution.time_zone",
    "datafusion.explain.",
    "datafusion.format.",
];

/// Refuses `SET` of a DataFusion setting not in [`CLIENT_SETTINGS`] (42501). PostgreSQL's own
/// session settings (`statement_timeout`, `datestyle`, `search_path`, ...) stay the client's.
fn check_setting(statement: &Statement) -> PgWireResult<()> {
    let names: Vec<&ObjectName> = match statement {
        Statement::Set(Set::SingleAssignment { variable, .. }) => vec![variable],
        Statement::Set(Set::MultipleAssignments { assignments }) => {
            assignments.iter().map(|a| &a.name).collect()
        }
        _ => return Ok(()),
    };
    for name in names {
        // As DataFusion reads it: quotes removed, case folded.
        let variable = name
            .0
            .iter()
            .map(|part| {
                part.as_ident()
                    .map_or_else(|| part.to_string(), |i| i.value.clone())
            })
            .collect::<Vec<_>>()
            .join(".")
            .to_ascii_lowercase();
        // `distributed.`: datafusion-distributed's settings (task counts, buffer budgets) when
        // the server runs queries on workers; the operator's as much as DataFusion's are.
        let operators = variable.starts_with("datafusion.") || variable.starts_with("distributed.");
        let allowed = !operators
            || CLIENT_SETTINGS.iter().any(|s| {
                if s.ends_with('.') {
                    variable.starts_with(s)
                } else {
                    variable == *s
                }
            });
        if !allowed {
            return Err(pg_error(
                "42501",
                format!("permission denied to set parameter \"{variable}\": this server's settings are its operator's"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_only(sql: &str) -> PgWireResult<()> {
        check_statements(sql, &super::super::rewrite::prepare(sql))
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
            // What the engine's parser reads differently from sqlparser (it maps ABORT to
            // ROLLBACK before parsing): the statement after it is still checked.
            "ABORT; CREATE TABLE t AS SELECT 1",
            "abort; CREATE VIEW v AS SELECT 1",
        ] {
            assert!(read_only(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn select_into_and_runtime_settings_are_refused() {
        let check = |sql: &str| check_statements(sql, &super::super::rewrite::prepare(sql));
        for sql in [
            "SELECT 1 INTO t",
            "SELECT sha INTO TEMPORARY t FROM commits",
            "SELECT * FROM (SELECT 1) s UNION SELECT 2 INTO t",
            "EXPLAIN SELECT 1 INTO t",
            "DECLARE c CURSOR FOR SELECT 1 INTO t",
        ] {
            let err = check(sql).unwrap_err().to_string();
            assert!(err.contains("25006") || err.contains("read-only"), "{sql}: {err}");
        }
        for sql in [
            "SET datafusion.runtime.memory_limit = '1K'",
            "SET datafusion.runtime.temp_directory = '/etc'",
            // Quoted, the name is the same setting to DataFusion.
            "SET \"datafusion.runtime.memory_limit\" = '1TB'",
            "SET \"DataFusion\".\"Runtime\".memory_limit = '1TB'",
            "SET datafusion.sql_parser.dialect = 'MySQL'",
            "SET datafusion.sql_parser.recursion_limit = 100000000",
            "SET datafusion.execution.target_partitions = 10000",
            "SET datafusion.execution.batch_size = 100",
            "SET distributed.max_tasks_per_stage = 100000",
            "SET \"Distributed\".worker_connection_buffer_budget_bytes = 100000000000",
        ] {
            let err = check(sql).unwrap_err().to_string();
            assert!(err.contains("permission denied"), "{sql}: {err}");
        }
        for sql in [
            "SET datafusion.execution.time_zone = '+02:00'",
            "SET datafusion.format.null = 'NULL'",
            "SET statement_timeout = '2s'",
            "SET search_path = public",
        ] {
            assert!(check(sql).is_ok(), "{sql}");
        }
        assert!(check("SELECT 1").is_ok());
    }
}

#[cfg(test)]
mod fuzz {
    use std::borrow::Cow;

    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    use proptest::prelude::*;

    use super::super::rewrite::prepare;
    use super::*;
    use crate::fuzz::{fuzz, mutated};

    const SEEDS: &[&str] = &[
        "SELECT 1",
        "select count(*) from commits where author_email = 'a' or author_email = 'b' or author_email = 'c'",
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'",
        "SELECT sha, (SELECT count(*) FROM commits c2 WHERE c2.author_email = c.author_email) AS n FROM commits c",
        "SELECT CASE WHEN a.attnotnull THEN (SELECT t.typname FROM pg_catalog.pg_type t WHERE a.attnotnull AND t.oid = a.atttypid) END FROM pg_catalog.pg_attribute a",
        "SELECT 1 INTO t",
        "EXPLAIN SELECT 1 INTO t",
        "DECLARE c CURSOR FOR SELECT 1 INTO t",
        "CREATE TABLE t AS SELECT 1",
        "CREATE VIEW v AS SELECT 1",
        "INSERT INTO t VALUES (1)",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "DROP TABLE commits",
        "ABORT",
        "ABORT; SELECT 1",
        "BEGIN; SELECT 1; COMMIT",
        "SET datafusion.runtime.memory_limit = '1K'",
        "SET \"DataFusion\".\"Runtime\".memory_limit = '1TB'",
        "SET datafusion.execution.time_zone = '+02:00'",
        "SET search_path = public",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT ((((((((1))))))))",
        "/* c */ SELECT 1 -- x",
    ];

    /// A rewrite sqlparser cannot read back (found by the fuzz target) leaves the client's SQL
    /// as it was.
    #[test]
    fn a_rewrite_that_does_not_parse_again_is_not_used() {
        let sql =
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname. 1 NOT LIKE 'pg/_' || '%' ESCAPE '/'";
        let prepared = prepare(sql);
        assert_eq!(prepared.sql, Cow::Borrowed(sql));
        assert!(prepared.statements.is_some());
        let rewritten =
            prepare("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg/_%' ESCAPE '/'");
        assert!(
            matches!(rewritten.sql, Cow::Owned(_)),
            "the usual rewrite still applies"
        );
    }

    /// Whatever a client sends: preparing it never panics; what the guard lets through is what
    /// the engine's own parser reads from the rewritten SQL, with no write and no operator
    /// setting in it; a rewrite keeps the statements' number and kinds.
    #[test]
    fn fuzz_guard_and_rewriter() {
        let input = mutated(SEEDS, " ;()'\"*,.=-/%$1aINTOCREATE");
        fuzz("fuzz_guard_and_rewriter", input, |sql| {
            let prepared = prepare(&sql);
            let verdict = check_statements(&sql, &prepared);
            if let (Cow::Owned(rewritten), Some(statements)) = (&prepared.sql, &prepared.statements) {
                let again = Parser::parse_sql(&PostgreSqlDialect {}, rewritten).map_err(|e| {
                    TestCaseError::fail(format!("rewritten SQL does not parse: {e}: {rewritten}"))
                })?;
                prop_assert_eq!(again.len(), statements.len());
                for (a, b) in again.iter().zip(statements) {
                    prop_assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b));
                }
            }
            if verdict.is_ok() {
                if let Ok(statements) = engine_parser().parse(&prepared.sql) {
                    for statement in &statements {
                        prop_assert!(
                            writes(statement).is_none() && check_setting(statement).is_ok(),
                            "the guard passed '{}'; the engine reads '{}'",
                            sql,
                            statement
                        );
                    }
                }
            }
            Ok(())
        });
    }
}
