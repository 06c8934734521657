//! How deep a query may nest, and the stacks that let the engine plan and run that deep.
//!
//! DataFusion recurses once per nesting level of an expression: `1+1+...+1` with 2,000 terms is
//! 2,000 levels deep in its display, planning and evaluation. Part of that recursion grows its
//! stack on the heap (`recursive_protection`), the rest (formatting, cloning, dropping) uses the
//! thread's own stack, and overflowing it aborts the process: every connection of `serve` or
//! the whole Python interpreter. So every thread that plans or runs queries gets
//! [`STACK_BYTES`] of stack (address space, touched only as deep as a query goes), and a
//! statement nesting deeper than [`MAX_NESTING`] is refused before planning with one clear
//! error, as PostgreSQL answers "stack depth limit exceeded".

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Expr, Query, Statement, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::Dialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

use super::EngineError;
use crate::error::ErrorKind;

/// Stack of every engine thread (the runtime's workers, the CLI's main task).
pub(crate) const STACK_BYTES: usize = 256 << 20;

/// Deepest nesting of expressions and subqueries a statement may have. DataFusion plans a
/// nested chain in time quadratic in its depth (2,000 levels: 25 s in the debug build, and a
/// planning step cannot be cancelled), so the bound is about time as much as stack: 1,000
/// levels plan in a second or two in the debug build (a planning step holds its thread, and a
/// statement timeout cannot interrupt it) and use a fraction of [`STACK_BYTES`]. Long
/// equality `OR` chains are rewritten into flat `IN` lists first ([`super::or_chains`]).
pub(crate) const MAX_NESTING: usize = 500;

/// Most operators a statement's text may hold, counted on the tokens before parsing. A parsed
/// chain is as deep as its operators are many, and freeing a tree millions of levels deep
/// overflows any stack: a 10 MB `1+1+...` would abort the process in the parser's output alone.
/// Lists (`IN (...)`, `VALUES`) are commas, not operators, and are not limited.
pub(crate) const MAX_OPERATORS: usize = 100_000;

/// A tokio runtime whose threads have the engine's stack size; every front end runs queries on
/// one of these.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(STACK_BYTES)
        .thread_name("gitfleet-worker")
        .build()
}

/// Runs `f` on a new thread with the engine's stack size and waits for it: for front ends whose
/// own thread (a process's main thread) has a small stack.
pub fn on_engine_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> std::io::Result<T> {
    let thread = std::thread::Builder::new()
        .name("gitfleet-main".into())
        .stack_size(STACK_BYTES)
        .spawn(f)?;
    match thread.join() {
        Ok(value) => Ok(value),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Counts nesting as the visitor walks down and back up; stops at the first level too deep.
struct Nesting {
    depth: usize,
}

impl Nesting {
    fn enter(&mut self) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn leave(&mut self) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

impl Visitor for Nesting {
    type Break = ();

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.leave()
    }

    fn pre_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.leave()
    }
}

fn too_deep() -> EngineError {
    EngineError {
        kind: ErrorKind::TooComplex,
        message: format!(
            "statement too complex: its expressions nest more than {MAX_NESTING} levels deep \
             (split long chains of AND/OR/+ into IN lists or several queries)"
        ),
    }
}

/// Refuses SQL text with more than [`MAX_OPERATORS`] operators, before it is parsed into a tree
/// that deep. Text that does not tokenize is left to the parser, which reports the error.
pub fn check_text(sql: &str, dialect: &dyn Dialect) -> Result<(), EngineError> {
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize() else {
        return Ok(());
    };
    let operators = tokens.iter().filter(|t| is_operator(t)).count();
    if operators > MAX_OPERATORS {
        return Err(EngineError {
            kind: ErrorKind::TooComplex,
            message: format!(
                "statement too complex: {operators} operators, at most {MAX_OPERATORS} \
                 (split long chains of AND/OR/+ into IN lists or several queries)"
            ),
        });
    }
    Ok(())
}

/// Tokens that can add a nesting level to an expression.
fn is_operator(token: &Token) -> bool {
    match token {
        Token::Word(w) => matches!(
            w.keyword,
            Keyword::AND | Keyword::OR | Keyword::NOT | Keyword::IS | Keyword::COLLATE | Keyword::AT
        ),
        Token::Comma
        | Token::Whitespace(_)
        | Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::Period
        | Token::SemiColon
        | Token::RParen
        | Token::RBracket
        | Token::EOF => false,
        _ => true,
    }
}

/// Refuses a statement that nests deeper than [`MAX_NESTING`] (rewrite it with
/// [`super::flatten_or_chains`] first).
pub(crate) fn check_nesting(statement: &Statement) -> Result<(), EngineError> {
    match statement.visit(&mut Nesting { depth: 0 }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(too_deep()),
    }
}

/// [`super::flatten_or_chains`], then [`check_nesting`], for DataFusion's statements (the
/// CLI's parser).
pub fn check_df_nesting(statement: &mut DfStatement) -> Result<(), EngineError> {
    match statement {
        DfStatement::Statement(inner) => {
            super::flatten_or_chains(inner);
            check_nesting(inner)
        }
        DfStatement::Explain(explain) => check_df_nesting(&mut explain.statement),
        DfStatement::CopyTo(copy) => match &copy.source {
            CopyToSource::Query(query) => match query.visit(&mut Nesting { depth: 0 }) {
                ControlFlow::Continue(()) => Ok(()),
                ControlFlow::Break(()) => Err(too_deep()),
            },
            CopyToSource::Relation(_) => Ok(()),
        },
        DfStatement::CreateExternalTable(_) | DfStatement::Reset(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn chain(terms: usize) -> String {
        format!("SELECT 1{}", "+1".repeat(terms - 1))
    }

    fn check(sql: &str) -> Result<(), EngineError> {
        let mut statements = DFParser::parse_sql(sql).unwrap();
        check_df_nesting(&mut statements[0])
    }

    #[test]
    fn nesting_is_counted_per_level_not_per_term() {
        // A chain of n terms nests n-1 binary operators deep, under the query and the select item.
        on_engine_stack(|| {
            assert!(check(&chain(MAX_NESTING - 10)).is_ok());
            let err = check(&chain(MAX_NESTING + 10)).unwrap_err();
            assert_eq!(err.kind, ErrorKind::TooComplex);
            assert!(err.message.contains("nest more than 500"), "{}", err.message);
            // A long IN list is wide, not deep.
            let list: Vec<String> = (0..50_000).map(|i| format!("'a{i}'")).collect();
            assert!(check(&format!("SELECT 1 WHERE 'x' IN ({})", list.join(","))).is_ok());
            // EXPLAIN looks at the statement it explains.
            assert!(check(&format!("EXPLAIN {}", chain(MAX_NESTING + 10))).is_err());
            // The text check refuses what would be too deep to even free, before parsing.
            let generic = datafusion::sql::sqlparser::dialect::GenericDialect {};
            let huge = chain(MAX_OPERATORS + 10);
            let err = check_text(&huge, &generic).unwrap_err();
            assert_eq!(err.kind, ErrorKind::TooComplex);
            assert!(check_text(&chain(400), &generic).is_ok());
            let wide: Vec<String> = (0..200_000).map(|i| format!("'{i}'")).collect();
            assert!(check_text(&format!("SELECT 1 WHERE 'x' IN ({})", wide.join(",")), &generic).is_ok());
        })
        .unwrap();
    }
}
