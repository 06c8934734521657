//! Table functions: every git table can name its repositories in the query, e.g.
//! `commits('/repo' [, 'rev'])`, `files('/repo' [, 'rev'])`, `refs('/repo')`,
//! `blame('/repo' [, 'path' [, 'rev']])`, `file_history('/repo', 'path' [, 'rev'])`,
//! `repos('/a', '/b', ...)`; each table's [`Args`] says which.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::plan_err;
use datafusion::error::Result as DFResult;

use super::def::{Args, TableDef};
use super::provider::GitTableProvider;
use super::settings::{RepoSource, SessionSettings};

#[derive(Debug)]
pub(crate) struct GitTableFunction {
    table: &'static TableDef,
    settings: Arc<SessionSettings>,
}

impl GitTableFunction {
    pub(crate) fn new(table: &'static TableDef, settings: Arc<SessionSettings>) -> Self {
        GitTableFunction { table, settings }
    }
}

impl TableFunctionImpl for GitTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DFResult<Arc<dyn TableProvider>> {
        let (name, usage) = (self.table.name, self.table.usage());
        let mut strings = Vec::new();
        for expr in args.exprs() {
            match super::pushdown::utf8_literal(expr) {
                Some(s) => strings.push(s),
                None => return plan_err!("{name}(): arguments must be string literals; usage: {usage}"),
            }
        }
        if strings.is_empty() {
            return plan_err!("{name}() needs a repository; usage: {usage}");
        }
        let most = match self.table.args {
            Args::Repositories => usize::MAX,
            Args::RepositoryOnly => 1,
            Args::Revision(_) => 2,
            Args::PathAndRevision => 4,
            Args::FileAndRevision => 3,
        };
        if strings.len() > most {
            return plan_err!("{name}(): too many arguments; usage: {usage}");
        }
        let provider = |repos: Vec<String>, rev: Option<String>| {
            GitTableProvider::new(self.table, self.settings.clone(), RepoSource::Fixed(repos), rev)
        };
        Ok(Arc::new(match self.table.args {
            Args::Repositories => provider(strings, None),
            Args::RepositoryOnly | Args::Revision(_) => {
                let rev = strings.get(1).cloned();
                provider(vec![strings.swap_remove(0)], rev)
            }
            Args::FileAndRevision if strings.get(1).is_none_or(|p| p.is_empty()) => {
                return plan_err!("{name}() needs the path of a file; usage: {usage}");
            }
            Args::PathAndRevision | Args::FileAndRevision => {
                let path = strings.get(1).cloned().filter(|p| !p.is_empty());
                let rev = strings.get(2).cloned();
                let ignore_revs = strings.get(3).cloned();
                provider(vec![strings.swap_remove(0)], rev)
                    .with_path(path)
                    .with_ignore_revs(ignore_revs)
            }
        }))
    }
}
