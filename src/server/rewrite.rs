//! SQL rewrites applied to every client statement before datafusion-postgres' compatibility
//! parser sees it.
//!
//! Two kinds: Postgres forms DataFusion cannot run but that mean the same thing in a form it
//! can (`LIKE ... ESCAPE '/'`, unaggregated correlated subqueries over the catalog), and a guard
//! against one of the compatibility parser's own rules, which replaces every correlated scalar
//! subquery in a projection with NULL — right for the catalog queries it was written for, a
//! silent wrong answer for a user's query over git tables.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, GroupByExpr, Ident, ObjectName, ObjectNamePart, Query, Select, SelectItem, SetExpr,
    Statement, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// The UDF that turns a LIKE pattern with a custom escape character into one escaped with
/// backslashes, the only escape DataFusion's LIKE knows (registered in `functions.rs`).
pub(super) const LIKE_ESCAPE_UDF: &str = "gitfleet_like_escape";

/// A client's SQL, parsed once: what the read-only guard inspects and what the engine runs.
pub(super) struct Prepared<'a> {
    /// `sql` rewritten where needed; unchanged (borrowed) when nothing applies or it does not
    /// parse (the engine then reports the syntax error).
    pub sql: Cow<'a, str>,
    /// The statements (after rewriting, which never changes a statement's kind); None when
    /// the SQL does not parse as Postgres.
    pub statements: Option<Vec<Statement>>,
    /// Why the statements are refused as nested too deep (PostgreSQL's "stack depth limit
    /// exceeded").
    pub too_complex: Option<String>,
}

pub(super) fn prepare(sql: &str) -> Prepared<'_> {
    if let Err(e) = crate::engine::check_text(sql, &PostgreSqlDialect {}) {
        return Prepared {
            sql: Cow::Borrowed(sql),
            statements: None,
            too_complex: Some(e.message),
        };
    }
    let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Prepared {
            sql: Cow::Borrowed(sql),
            statements: None,
            too_complex: None,
        };
    };
    let mut rewriter = Rewriter { changed: false };
    for statement in &mut statements {
        rewriter.changed |= crate::engine::flatten_or_chains(statement);
        if let Err(e) = crate::engine::check_nesting(statement) {
            // Refused before anything else walks its depth.
            return Prepared {
                sql: Cow::Borrowed(sql),
                statements: Some(statements),
                too_complex: Some(e.message),
            };
        }
    }
    for statement in &mut statements {
        let _ = statement.visit(&mut rewriter);
    }
    let rewritten = rewriter.changed.then(|| {
        statements
            .iter()
            .map(Statement::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    });
    // sqlparser prints a few odd inputs in a form it cannot read back (`nspname. 1` as
    // `nspname.1`). The client's SQL then goes to the engine unchanged, which says what it
    // cannot run; the rewrite never changes a statement's kind, so the guard's view holds.
    let sql = match rewritten {
        Some(text) if Parser::parse_sql(&PostgreSqlDialect {}, &text).is_ok() => Cow::Owned(text),
        _ => Cow::Borrowed(sql),
    };
    Prepared {
        sql,
        statements: Some(statements),
        too_complex: None,
    }
}

struct Rewriter {
    changed: bool,
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else {
                    continue;
                };
                if matches!(expr, Expr::Subquery(sub) if !over_catalog_only(sub)) {
                    // Parenthesised, the compatibility rule no longer matches it; DataFusion
                    // plans it or says why it cannot.
                    *expr = Expr::Nested(Box::new(expr.clone()));
                    self.changed = true;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Like {
                pattern, escape_char, ..
            }
            | Expr::ILike {
                pattern, escape_char, ..
            } => {
                let custom = escape_char
                    .as_ref()
                    .and_then(|v| v.value.clone().into_string())
                    .filter(|c| c != "\\");
                if let Some(escape) = custom {
                    let original = std::mem::replace(pattern.as_mut(), Expr::value(Value::Null));
                    **pattern = call(
                        LIKE_ESCAPE_UDF,
                        vec![original, Expr::value(Value::SingleQuotedString(escape))],
                    );
                    *escape_char = None;
                    self.changed = true;
                }
            }
            // generate_subscripts(a, dim): a set-returning function DataFusion lacks. Arrays
            // here are one-dimensional, so it is 1..cardinality(a) for dim 1 and nothing
            // otherwise; as an unnest it zips with an `unnest(a)` beside it, as Postgres' SRFs
            // do (SQLAlchemy's constraint and index queries pair them). `dim` stays in the
            // statement: clients bind parameters by position.
            Expr::Function(f) if last_part(&f.name) == "generate_subscripts" => {
                if let FunctionArguments::List(list) = &f.args {
                    if let [FunctionArg::Unnamed(FunctionArgExpr::Expr(array)), FunctionArg::Unnamed(FunctionArgExpr::Expr(dim))] =
                        list.args.as_slice()
                    {
                        let one = || Expr::value(Value::Number("1".into(), false));
                        let length = call("cardinality", vec![array.clone()]);
                        let subscripts = Expr::Case {
                            case_token: AttachedToken::empty(),
                            end_token: AttachedToken::empty(),
                            operand: None,
                            conditions: vec![CaseWhen {
                                condition: Expr::BinaryOp {
                                    left: Box::new(dim.clone()),
                                    op: BinaryOperator::Eq,
                                    right: Box::new(one()),
                                },
                                result: call("generate_series", vec![one(), length]),
                            }],
                            else_result: None,
                        };
                        *expr = call("unnest", vec![subscripts]);
                        self.changed = true;
                    }
                }
            }
            // A bound name cast to regclass: DataFusion would parse the text as an oid.
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } if data_type.to_string().eq_ignore_ascii_case("regclass")
                && matches!(inner.as_ref(), Expr::Value(v) if matches!(v.value, Value::Placeholder(_))) =>
            {
                *expr = call("to_regclass", vec![inner.as_ref().clone()]);
                self.changed = true;
            }
            // The emulated catalog keeps regproc columns (pg_type.typinput, ...) as function
            // names, so a regproc literal compares as its bare name (DBeaver's type probe).
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } if data_type
                .to_string()
                .to_ascii_lowercase()
                .trim_start_matches("pg_catalog.")
                == "regproc"
                && matches!(inner.as_ref(), Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_))) =>
            {
                if let Expr::Value(v) = inner.as_ref() {
                    if let Value::SingleQuotedString(name) = &v.value {
                        let bare = name.trim_start_matches("pg_catalog.").to_string();
                        *expr = Expr::value(Value::SingleQuotedString(bare));
                        self.changed = true;
                    }
                }
            }
            Expr::Subquery(sub) if is_correlated(sub) && over_always_empty(sub) => {
                // A lookup in a catalog table that is empty in gitfleet (no sequences, no
                // column defaults) is NULL whatever the outer row; DataFusion cannot decorrelate
                // the forms clients write there (outer columns in the subquery's SELECT list), so
                // the outer columns become NULL. The subquery stays, with its parameters: the
                // client binds them by position.
                uncorrelate(sub);
                aggregate_single_value(sub);
                self.changed = true;
            }
            Expr::Subquery(sub) if is_correlated(sub) && over_catalog_only(sub) => {
                if !aggregate_single_value(sub) {
                    return ControlFlow::Continue(());
                }
                self.changed = true;
                // DataFusion cannot decorrelate a filter on outer columns alone; with the
                // subquery aggregated (always one row) it is the same as a CASE around it.
                if let Some(condition) = take_outer_only_conjuncts(sub) {
                    let lookup = std::mem::replace(expr, Expr::value(Value::Null));
                    *expr = Expr::Case {
                        case_token: AttachedToken::empty(),
                        end_token: AttachedToken::empty(),
                        operand: None,
                        conditions: vec![CaseWhen {
                            condition,
                            result: lookup,
                        }],
                        else_result: None,
                    };
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn plain_select(query: &Query) -> Option<&Select> {
    match query.body.as_ref() {
        SetExpr::Select(select) => Some(select),
        _ => None,
    }
}

/// Every relation of a SELECT's FROM clause, joined ones included.
fn relations(select: &Select) -> impl Iterator<Item = &TableFactor> {
    select
        .from
        .iter()
        .flat_map(|f| std::iter::once(&f.relation).chain(f.joins.iter().map(|j| &j.relation)))
}

/// The names a subquery's own FROM clause binds: aliases, else the table's last name part.
fn bound_names(select: &Select) -> HashSet<String> {
    relations(select)
        .filter_map(|factor| match factor {
            TableFactor::Table { name, alias, .. } => Some(match alias {
                Some(alias) => alias.name.value.to_lowercase(),
                None => last_part(name),
            }),
            _ => None,
        })
        .collect()
}

/// Whether a qualified column name (`t.c`, `s.t.c`) is qualified by a table not in `bound`.
fn qualified_outside(parts: &[Ident], bound: &HashSet<String>) -> bool {
    parts.len() >= 2 && !bound.contains(&parts[parts.len() - 2].value.to_lowercase())
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(ObjectNamePart::as_ident)
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

/// Whether the subquery names a column qualified by a table its own FROM does not bind.
fn is_correlated(query: &Query) -> bool {
    let Some(select) = plain_select(query) else {
        return false;
    };
    let bound = bound_names(select);
    let mut outer = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(query, |e: &Expr| {
        if matches!(e, Expr::CompoundIdentifier(parts) if qualified_outside(parts, &bound)) {
            outer = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    outer
}

/// Catalog tables with no rows in gitfleet: nothing is a sequence, has a default, a trigger,
/// a policy, a parent table or partitions (`tests/server.rs` checks they stay empty).
pub(super) const ALWAYS_EMPTY: [&str; 7] = [
    "pg_sequence",
    "pg_attrdef",
    "pg_trigger",
    "pg_policy",
    "pg_inherits",
    "pg_partitioned_table",
    "pg_statistic_ext",
];

/// Whether the subquery reads only catalog tables that are always empty here.
fn over_always_empty(query: &Query) -> bool {
    over_catalog_only(query)
        && plain_select(query).is_some_and(|select| {
            relations(select).all(
                |t| matches!(t, TableFactor::Table { name, .. } if ALWAYS_EMPTY.contains(&last_part(name).as_str())),
            )
        })
}

/// Replaces the subquery's references to outer columns with NULL.
fn uncorrelate(query: &mut Query) {
    let Some(select) = plain_select(query) else {
        return;
    };
    let bound = bound_names(select);
    let _ = datafusion::sql::sqlparser::ast::visit_expressions_mut(query, |e: &mut Expr| {
        if matches!(e, Expr::CompoundIdentifier(parts) if qualified_outside(parts, &bound)) {
            *e = Expr::value(Value::Null);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Whether every table the subquery reads is a Postgres catalog table.
fn over_catalog_only(query: &Query) -> bool {
    let Some(select) = plain_select(query) else {
        return false;
    };
    let catalog = |factor: &TableFactor| match factor {
        TableFactor::Table { name, .. } => {
            let first = name
                .0
                .first()
                .and_then(ObjectNamePart::as_ident)
                .map(|i| i.value.to_lowercase())
                .unwrap_or_default();
            first == "pg_catalog" || first == "information_schema" || last_part(name).starts_with("pg_")
        }
        _ => false,
    };
    !select.from.is_empty() && relations(select).all(catalog)
}

/// `(SELECT x FROM catalog WHERE <correlated>)` -> `(SELECT max(x) ...)`: the same value
/// whenever Postgres would not fail with "more than one row returned by a subquery" (a catalog
/// lookup by key), and a form DataFusion can decorrelate.
fn aggregate_single_value(query: &mut Query) -> bool {
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return false;
    }
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if grouped || select.having.is_some() || select.distinct.is_some() {
        return false;
    }
    if select.projection.len() != 1 || has_aggregate(&select.projection[0]) {
        return false;
    }
    let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = &mut select.projection[0]
    else {
        return false;
    };
    let inner = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = call("max", vec![inner]);
    true
}

/// Removes the WHERE conjuncts that name only outer columns and returns them ANDed.
fn take_outer_only_conjuncts(query: &mut Query) -> Option<Expr> {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return None;
    };
    let bound = bound_names(select);
    let mut conjuncts = Vec::new();
    split_and(select.selection.take()?, &mut conjuncts);
    let (outer, local): (Vec<Expr>, Vec<Expr>) =
        conjuncts.into_iter().partition(|c| names_only_outer(c, &bound));
    select.selection = join_and(local);
    join_and(outer)
}

fn split_and(expr: Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(*left, out);
            split_and(*right, out);
        }
        other => out.push(other),
    }
}

fn join_and(exprs: Vec<Expr>) -> Option<Expr> {
    exprs.into_iter().reduce(|left, right| Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(right),
    })
}

/// Whether `expr` reads columns, all of them qualified by names the subquery does not bind.
fn names_only_outer(expr: &Expr, bound: &HashSet<String>) -> bool {
    let (mut outer, mut local) = (false, false);
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e: &Expr| {
        match e {
            Expr::CompoundIdentifier(parts) if qualified_outside(parts, bound) => outer = true,
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Subquery(_) => local = true,
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    outer && !local
}

fn has_aggregate(item: &SelectItem) -> bool {
    const AGGREGATES: [&str; 8] = [
        "count",
        "max",
        "min",
        "sum",
        "avg",
        "array_agg",
        "string_agg",
        "bool_and",
    ];
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(item, |e: &Expr| {
        if let Expr::Function(f) = e {
            if AGGREGATES.contains(&last_part(&f.name).as_str()) {
                found = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_with_a_custom_escape_becomes_a_backslash_pattern() {
        let sql =
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'";
        let out = prepare(sql).sql;
        assert!(out.contains("gitfleet_like_escape('pg/_' || '%', '/')"), "{out}");
        assert!(!out.contains("ESCAPE"), "{out}");
        let plain = "SELECT 1 WHERE 'a' LIKE 'a%'";
        assert!(matches!(prepare(plain).sql, Cow::Borrowed(_)));
    }

    #[test]
    fn user_correlated_subqueries_are_shielded_catalog_ones_aggregated() {
        let user = "SELECT sha, (SELECT count(*) FROM commits c2 WHERE c2.author_email = c.author_email) AS n FROM commits c";
        let out = prepare(user).sql;
        assert!(out.contains("((SELECT count(*)"), "{out}");
        let catalog = "SELECT a.attname, CASE WHEN a.attnum > 0 THEN (SELECT format_type(t.oid, NULL) FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) END FROM pg_catalog.pg_attribute a";
        let out = prepare(catalog).sql;
        assert!(out.contains("SELECT max(format_type(t.oid, NULL))"), "{out}");
        // An outer-only filter moves out of the subquery into a CASE around it.
        let hoisted = "SELECT CASE WHEN a.attnotnull THEN (SELECT t.typname FROM pg_catalog.pg_type t WHERE a.attnotnull AND t.oid = a.atttypid) END FROM pg_catalog.pg_attribute a";
        let out = prepare(hoisted).sql;
        assert!(
            out.contains("CASE WHEN a.attnotnull THEN CASE WHEN a.attnotnull THEN (SELECT max(t.typname) FROM pg_catalog.pg_type AS t WHERE t.oid = a.atttypid) END END")
                || out.contains("CASE WHEN a.attnotnull THEN CASE WHEN a.attnotnull THEN (SELECT max(t.typname) FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) END END"),
            "{out}"
        );
        // Lookups in tables that are always empty here are NULL.
        let sequence = "SELECT CASE WHEN a.attidentity <> '' THEN (SELECT json_build_object('always', a.attidentity = 'a') FROM pg_catalog.pg_sequence s WHERE s.seqrelid = a.attrelid) END FROM pg_catalog.pg_attribute a";
        let out = prepare(sequence).sql;
        assert!(
            out.contains("(SELECT max(json_build_object('always', NULL = 'a')) FROM pg_catalog.pg_sequence AS s WHERE s.seqrelid = NULL)")
                || out.contains("(SELECT max(json_build_object('always', NULL = 'a')) FROM pg_catalog.pg_sequence s WHERE s.seqrelid = NULL)"),
            "{out}"
        );
        let catalog_lookup = "SELECT (SELECT oid FROM pg_catalog.pg_namespace LIMIT 1) AS n";
        assert!(matches!(prepare(catalog_lookup).sql, Cow::Borrowed(_)));
    }
}
