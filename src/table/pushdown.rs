//! Which filters a scan can use: repository selection (exact) and time ranges (pruning only).

use std::collections::BTreeSet;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, Operator};

use crate::source::git::commits::TimeBounds;

/// The repositories named by `repo = '...'`, `'...' = repo` or `repo IN (...)`.
pub(crate) fn repo_names(expr: &Expr) -> Option<Vec<String>> {
    column_strings(expr, "repo")
}

/// The values `column` is limited to by `column = '...'`, `'...' = column` or
/// `column IN (...)` (or ORed equalities on it).
pub(crate) fn column_strings(expr: &Expr, column: &str) -> Option<Vec<String>> {
    match expr {
        // The optimizer turns short IN lists into ORed equalities.
        Expr::BinaryExpr(b) if b.op == Operator::Or => {
            let mut names = column_strings(&b.left, column)?;
            names.extend(column_strings(&b.right, column)?);
            Some(names)
        }
        Expr::BinaryExpr(b) if b.op == Operator::Eq => match (&*b.left, &*b.right) {
            (Expr::Column(c), other) | (other, Expr::Column(c)) if c.name == column => {
                string_literal(other).map(|s| vec![s])
            }
            _ => None,
        },
        Expr::InList(list) if !list.negated => match &*list.expr {
            Expr::Column(c) if c.name == column => {
                list.list.iter().map(string_literal).collect::<Option<Vec<_>>>()
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether `column` (a boolean) must be true or false: `column`, `NOT column`,
/// `column = true|false` (either side), `column IS TRUE|FALSE`.
pub(crate) fn boolean_value(expr: &Expr, column: &str) -> Option<bool> {
    let is_column = |e: &Expr| matches!(e, Expr::Column(c) if c.name == column);
    match expr {
        e if is_column(e) => Some(true),
        Expr::Not(inner) if is_column(inner) => Some(false),
        Expr::IsTrue(inner) if is_column(inner) => Some(true),
        Expr::IsFalse(inner) if is_column(inner) => Some(false),
        Expr::BinaryExpr(b) if b.op == Operator::Eq => match (&*b.left, &*b.right) {
            (c, Expr::Literal(ScalarValue::Boolean(Some(v)), _))
            | (Expr::Literal(ScalarValue::Boolean(Some(v)), _), c)
                if is_column(c) =>
            {
                Some(*v)
            }
            _ => None,
        },
        _ => None,
    }
}

/// ANDs an equality / IN filter's `values` into `set` (None: not limited yet).
pub(crate) fn narrow(set: &mut Option<BTreeSet<String>>, values: Vec<String>) {
    let values: BTreeSet<String> = values.into_iter().collect();
    *set = Some(match set.take() {
        Some(current) => current.intersection(&values).cloned().collect(),
        None => values,
    });
}

/// `column LIKE 'prefix%'` (no other wildcard, no escape): the prefix.
pub(crate) fn like_prefix(expr: &Expr, column: &str) -> Option<String> {
    let Expr::Like(like) = expr else {
        return None;
    };
    if like.negated || like.case_insensitive || like.escape_char.is_some() {
        return None;
    }
    let Expr::Column(c) = like.expr.as_ref() else {
        return None;
    };
    let pattern = string_literal(&like.pattern)?;
    let prefix = pattern.strip_suffix('%')?;
    (c.name == column && !prefix.contains(['%', '_', '\\'])).then(|| prefix.to_string())
}

/// `column >= t` or `column > t` (either side) with a timestamp literal: t in whole seconds.
pub(crate) fn lower_time_bound(expr: &Expr, column: &str) -> Option<i64> {
    let Expr::BinaryExpr(b) = expr else {
        return None;
    };
    let (name, op, value) = match (&*b.left, &*b.right) {
        (Expr::Column(c), v) => (c.name.as_str(), b.op, v),
        (v, Expr::Column(c)) => (c.name.as_str(), b.op.swap()?, v),
        _ => return None,
    };
    (name == column && matches!(op, Operator::Gt | Operator::GtEq))
        .then(|| timestamp_seconds(value))
        .flatten()
}

/// The value of a string literal, of any of Arrow's string types.
pub(crate) fn utf8_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => Some(s.clone()),
        _ => None,
    }
}

/// A string literal, also behind the casts the optimizer adds for comparisons.
fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Cast(c) => string_literal(&c.expr),
        other => utf8_literal(other),
    }
}

/// Narrows `bounds` with a comparison of author_time/committer_time against a timestamp
/// literal; returns false when the expression is not such a comparison.
pub(crate) fn narrow_time(expr: &Expr, bounds: &mut TimeBounds) -> bool {
    match expr {
        Expr::BinaryExpr(b) => {
            let (column, op, value) = match (&*b.left, &*b.right) {
                (Expr::Column(c), v) => (c.name.as_str(), b.op, v),
                (v, Expr::Column(c)) => match b.op.swap() {
                    Some(op) => (c.name.as_str(), op, v),
                    None => return false,
                },
                _ => return false,
            };
            let Some(seconds) = timestamp_seconds(value) else {
                return false;
            };
            let (min, max) = match column {
                "author_time" => (&mut bounds.author_min, &mut bounds.author_max),
                "committer_time" => (&mut bounds.committer_min, &mut bounds.committer_max),
                _ => return false,
            };
            match op {
                // Bounds are whole seconds (git's resolution), so keep them inclusive.
                Operator::Gt | Operator::GtEq => *min = Some(min.map_or(seconds, |m| m.max(seconds))),
                Operator::Lt | Operator::LtEq => *max = Some(max.map_or(seconds, |m| m.min(seconds))),
                Operator::Eq => {
                    *min = Some(seconds);
                    *max = Some(seconds);
                }
                _ => return false,
            }
            true
        }
        Expr::Between(b) if !b.negated => {
            let (Expr::Column(c), Some(low), Some(high)) =
                (&*b.expr, timestamp_seconds(&b.low), timestamp_seconds(&b.high))
            else {
                return false;
            };
            let (min, max) = match c.name.as_str() {
                "author_time" => (&mut bounds.author_min, &mut bounds.author_max),
                "committer_time" => (&mut bounds.committer_min, &mut bounds.committer_max),
                _ => return false,
            };
            *min = Some(min.map_or(low, |m| m.max(low)));
            *max = Some(max.map_or(high, |m| m.min(high)));
            true
        }
        _ => false,
    }
}

/// Whole seconds of a timestamp literal, rounded outward so that pruning never drops a match.
fn timestamp_seconds(expr: &Expr) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return match expr {
            Expr::Cast(c) => timestamp_seconds(&c.expr),
            _ => None,
        };
    };
    match value {
        ScalarValue::TimestampSecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(v.div_euclid(1_000)),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(v.div_euclid(1_000_000)),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000_000_000)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    #[test]
    fn repo_equality_and_in_list() {
        assert_eq!(
            repo_names(&col("repo").eq(lit("/a"))),
            Some(vec!["/a".to_string()])
        );
        assert_eq!(
            repo_names(&lit("/a").eq(col("repo"))),
            Some(vec!["/a".to_string()])
        );
        let in_list = col("repo").in_list(vec![lit("/a"), lit("/b")], false);
        assert_eq!(repo_names(&in_list).map(|v| v.len()), Some(2));
        let or = col("repo").eq(lit("/a")).or(col("repo").eq(lit("/b")));
        assert_eq!(repo_names(&or), Some(vec!["/a".to_string(), "/b".to_string()]));
        let mixed = col("repo").eq(lit("/a")).or(col("sha").eq(lit("x")));
        assert_eq!(repo_names(&mixed), None);
        assert_eq!(repo_names(&col("repo").not_eq(lit("/a"))), None);
        assert_eq!(repo_names(&col("sha").eq(lit("/a"))), None);
    }

    #[test]
    fn time_bounds_round_outward() {
        let mut b = TimeBounds::default();
        let ts = |us| lit(ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into())));
        assert!(narrow_time(&col("author_time").gt_eq(ts(1_500_000)), &mut b));
        assert!(narrow_time(&ts(9_999_999).gt(col("committer_time")), &mut b));
        assert_eq!(b.author_min, Some(1));
        assert_eq!(b.committer_max, Some(9));
        assert!(!narrow_time(&col("summary").gt_eq(ts(1)), &mut b));
    }
}
