//! Table functions: `commits('/repo' [, 'rev'])`, `commit_files(...)`, `files('/repo' [, 'rev'])`,
//! `refs('/repo')` and `repos('/a', '/b', ...)` name repositories directly in a query.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::plan_err;
use datafusion::error::Result as DFResult;

use super::scan::{GitTableProvider, RepoSource, SessionSettings};
use super::TableKind;

#[derive(Debug)]
pub struct GitTableFunction {
    kind: TableKind,
    settings: Arc<SessionSettings>,
}

impl GitTableFunction {
    pub fn new(kind: TableKind, settings: Arc<SessionSettings>) -> Self {
        GitTableFunction { kind, settings }
    }

    fn usage(&self) -> &'static str {
        match self.kind {
            TableKind::Repos => "repos('/path/or/url', ...)",
            TableKind::Commits => "commits('/path/or/url' [, 'revision range'])",
            TableKind::CommitFiles => "commit_files('/path/or/url' [, 'revision range'])",
            TableKind::Files => "files('/path/or/url' [, 'revision'])",
            TableKind::Refs => "refs('/path/or/url')",
            TableKind::Blame => "blame('/path/or/url' [, 'path' [, 'revision']])",
        }
    }
}

impl TableFunctionImpl for GitTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DFResult<Arc<dyn TableProvider>> {
        let name = self.kind.name();
        let mut strings = Vec::new();
        for expr in args.exprs() {
            match super::pushdown::utf8_literal(expr) {
                Some(s) => strings.push(s),
                None => {
                    return plan_err!(
                        "{name}(): arguments must be string literals; usage: {}",
                        self.usage()
                    )
                }
            }
        }
        let takes_rev = matches!(
            self.kind,
            TableKind::Commits | TableKind::CommitFiles | TableKind::Files
        );
        if self.kind == TableKind::Blame {
            if strings.is_empty() || strings.len() > 3 {
                return plan_err!("{name}(): usage: {}", self.usage());
            }
            let path = strings.get(1).cloned().filter(|p| !p.is_empty());
            let rev = strings.get(2).cloned();
            return Ok(Arc::new(
                GitTableProvider::new(
                    self.kind,
                    self.settings.clone(),
                    RepoSource::Fixed(vec![strings[0].clone()]),
                    rev,
                )
                .with_path(path),
            ));
        }
        let (repos, rev) = match (self.kind, strings.len()) {
            (_, 0) => return plan_err!("{name}() needs a repository; usage: {}", self.usage()),
            (TableKind::Repos, _) => (strings, None),
            (_, 1) => (strings, None),
            (_, 2) if takes_rev => (vec![strings[0].clone()], Some(strings[1].clone())),
            _ => return plan_err!("{name}(): too many arguments; usage: {}", self.usage()),
        };
        Ok(Arc::new(GitTableProvider::new(
            self.kind,
            self.settings.clone(),
            RepoSource::Fixed(repos),
            rev,
        )))
    }
}
