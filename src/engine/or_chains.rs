//! Long `OR` chains of equalities on one column become `IN` lists before planning.
//!
//! Dashboards filter with `author_email = 'a' OR author_email = 'b' OR ...`, thousands of terms.
//! DataFusion plans such a chain one nesting level per term, in time quadratic in its length
//! (3,000 terms: 37 s in the debug build), and its depth trips [`super::MAX_NESTING`]; the
//! same filter as `author_email IN ('a', 'b', ...)` is flat and plans in a fraction of a second.
//! SQL defines `x IN (a, b)` as `x = a OR x = b`, NULLs included, so the answer is the same.
//! Only `WHERE`, `HAVING` and join conditions are rewritten: a chain in the select list would
//! change its column's name.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, JoinConstraint, JoinOperator, Select, Statement, Value, VisitMut, VisitorMut,
};

/// Fewer terms than this are left as written (planning them is cheap).
const MIN_TERMS: usize = 16;

/// Rewrites every long equality `OR` chain of `statement`'s filters into an `IN` list; whether
/// anything changed.
pub(crate) fn flatten_or_chains(statement: &mut Statement) -> bool {
    let mut filters = Filters { changed: false };
    let _ = statement.visit(&mut filters);
    filters.changed
}

struct Filters {
    changed: bool,
}

impl VisitorMut for Filters {
    type Break = ();

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        let joins = select
            .from
            .iter_mut()
            .flat_map(|t| t.joins.iter_mut())
            .filter_map(|j| match &mut j.join_operator {
                JoinOperator::Join(JoinConstraint::On(on))
                | JoinOperator::Inner(JoinConstraint::On(on))
                | JoinOperator::Left(JoinConstraint::On(on))
                | JoinOperator::LeftOuter(JoinConstraint::On(on))
                | JoinOperator::Right(JoinConstraint::On(on))
                | JoinOperator::RightOuter(JoinConstraint::On(on))
                | JoinOperator::FullOuter(JoinConstraint::On(on)) => Some(on),
                _ => None,
            });
        let filters: Vec<&mut Expr> = select
            .selection
            .iter_mut()
            .chain(select.having.iter_mut())
            .chain(joins)
            .collect();
        for filter in filters {
            let mut chains = Chains {
                depth: 0,
                changed: false,
            };
            let _ = filter.visit(&mut chains);
            self.changed |= chains.changed;
        }
        ControlFlow::Continue(())
    }
}

/// Replaces chains top-down, so the walk never descends into a chain it rewrote. It does not
/// descend past the nesting limit either: such a statement is refused anyway.
struct Chains {
    depth: usize,
    changed: bool,
}

impl VisitorMut for Chains {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Some(list) = in_list(expr) {
            *expr = list;
            self.changed = true;
        }
        self.depth += 1;
        if self.depth > super::MAX_NESTING {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _expr: &mut Expr) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

/// `expr` as `column IN (values)` when it is an `OR` chain of at least [`MIN_TERMS`]
/// `column = literal` terms (either side), one column, literals of one kind.
fn in_list(expr: &Expr) -> Option<Expr> {
    if !matches!(
        expr,
        Expr::BinaryOp {
            op: BinaryOperator::Or,
            ..
        }
    ) {
        return None;
    }
    // The chain's terms in order, without recursion: chains are thousands deep.
    let mut stack = vec![expr];
    let mut terms = Vec::new();
    while let Some(e) = stack.pop() {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                stack.push(right);
                stack.push(left);
            }
            Expr::Nested(inner)
                if matches!(
                    **inner,
                    Expr::BinaryOp {
                        op: BinaryOperator::Or,
                        ..
                    }
                ) =>
            {
                stack.push(inner)
            }
            term => terms.push(term),
        }
    }
    if terms.len() < MIN_TERMS {
        return None;
    }
    let mut column: Option<&Expr> = None;
    let mut values = Vec::with_capacity(terms.len());
    for term in terms {
        let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = term
        else {
            return None;
        };
        let (c, v) = match (&**left, &**right) {
            (c, v @ Expr::Value(_)) if is_column(c) => (c, v),
            (v @ Expr::Value(_), c) if is_column(c) => (c, v),
            _ => return None,
        };
        if !is_plain_literal(v) || column.is_some_and(|prev| prev != c) {
            return None;
        }
        if let (Some(Expr::Value(first)), Expr::Value(this)) = (values.first(), v) {
            if std::mem::discriminant(&first.value) != std::mem::discriminant(&this.value) {
                return None;
            }
        }
        column = Some(c);
        values.push(v.clone());
    }
    Some(Expr::InList {
        expr: Box::new(column?.clone()),
        list: values,
        negated: false,
    })
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// A literal whose comparison means the same in a list: not a placeholder, not NULL.
fn is_plain_literal(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if !matches!(v.value, Value::Placeholder(_) | Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&GenericDialect {}, sql).unwrap();
        flatten_or_chains(&mut statements[0]);
        statements[0].to_string()
    }

    fn chain(column: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{column} = 'a{i}'"))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    #[test]
    fn equality_chains_in_filters_become_in_lists() {
        let sql = format!(
            "SELECT sha FROM commits WHERE repo = 'r' AND ({})",
            chain("author_email", 20)
        );
        let out = rewritten(&sql);
        assert!(out.contains("author_email IN ('a0', 'a1', "), "{out}");
        assert!(out.contains("'a19')"), "{out}");
        assert!(!out.contains(" OR "), "{out}");
        // Literal on the left, HAVING, and join conditions too.
        let flipped: Vec<String> = (0..20).map(|i| format!("{i} = c.n")).collect();
        let out = rewritten(&format!("SELECT 1 FROM a JOIN c ON {}", flipped.join(" OR ")));
        assert!(out.contains("ON c.n IN (0, 1, 2"), "{out}");
        // A chain whose first part qualifies: that part becomes a list.
        let out = rewritten(&format!("SELECT 1 FROM t WHERE {} OR b = 'x'", chain("a", 20)));
        assert!(out.ends_with("'a19') OR b = 'x'"), "{out}");
    }

    #[test]
    fn other_chains_are_left_alone() {
        for sql in [
            // Too short to matter.
            format!("SELECT 1 FROM t WHERE {}", chain("a", 3)),
            // Another column, a non-equality, a placeholder, mixed literal kinds (first, as
            // a chain's left part alone would qualify), the select list.
            format!("SELECT 1 FROM t WHERE b = 'x' OR {}", chain("a", 20)),
            format!("SELECT 1 FROM t WHERE a > 'x' OR {}", chain("a", 20)),
            format!("SELECT 1 FROM t WHERE a = $1 OR {}", chain("a", 20)),
            format!("SELECT 1 FROM t WHERE a = 5 OR {}", chain("a", 20)),
            format!("SELECT {} FROM t", chain("a", 20)),
        ] {
            assert_eq!(
                rewritten(&sql),
                Parser::parse_sql(&GenericDialect {}, &sql).unwrap()[0].to_string()
            );
        }
    }
}
