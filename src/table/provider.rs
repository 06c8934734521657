//! The one DataFusion table provider behind every git table: it resolves the repositories a
//! query names (checking them against the server's grants first), pushes filters down, and
//! plans a [`GitScanExec`].

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::plan_err;
use datafusion::datasource::TableType;
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::access::Rules;
use super::def::{Args, Pushdown, TableDef};
use super::exec::GitScanExec;
use super::pushdown;
use super::settings::{RepoSource, SessionSettings};
use super::spec::{RepoTarget, ScanSpec};
use crate::error::{Error, Result};
use crate::source::git::blame::PathSelection;
use crate::source::git::commits::TimeBounds;
use crate::source::git::RepoLocation;

/// A git table as a DataFusion table provider.
#[derive(Debug)]
pub(crate) struct GitTableProvider {
    table: &'static TableDef,
    settings: Arc<SessionSettings>,
    repos: RepoSource,
    rev: Option<String>,
    /// The one file `blame('/repo', 'path')` names.
    path: Option<String>,
    /// blame's ignore-revs file, from the table function's fourth argument.
    ignore_revs: Option<String>,
}

impl GitTableProvider {
    /// Restricts a blame scan to one file, which must exist.
    pub(crate) fn with_path(mut self, path: Option<String>) -> Self {
        self.path = path;
        self
    }

    pub(crate) fn with_ignore_revs(mut self, file: Option<String>) -> Self {
        self.ignore_revs = file;
        self
    }

    pub(crate) fn new(
        table: &'static TableDef,
        settings: Arc<SessionSettings>,
        repos: RepoSource,
        rev: Option<String>,
    ) -> Self {
        GitTableProvider {
            table,
            settings,
            repos,
            rev,
            path: None,
            ignore_revs: None,
        }
    }

    fn targets(&self, state: &dyn Session, filters: &[Expr]) -> Result<Vec<RepoTarget>> {
        let rules = Rules::of(self.settings.access.as_deref(), state.config());
        let mut named: Option<Vec<String>> = None;
        for filter in filters {
            if let Some(names) = pushdown::repo_names(filter) {
                named = Some(match named {
                    None => names,
                    Some(prev) => intersect_names(&prev, &names),
                });
            }
        }
        let base: Vec<String> = match (&self.repos, &named) {
            (RepoSource::Fixed(fixed), _) => fixed.clone(),
            (RepoSource::Session, Some(names)) => names.clone(),
            (RepoSource::Session, None) => self.settings.repos.clone(),
        };
        // Checked as text before anything below touches the disk or the network.
        if !rules.open() {
            for spec in base.iter().chain(named.iter().flatten()) {
                rules.check(spec)?;
            }
        }
        let cache_root = self.settings.cache_dir.as_deref();
        let mut targets: Vec<RepoTarget> = Vec::new();
        for spec in &base {
            let target = RepoTarget::resolve(spec, cache_root);
            if !targets.iter().any(|t| t.name() == target.name()) {
                targets.push(target);
            }
        }
        if !rules.open() {
            for target in &targets {
                if let Some(location) = &target.location {
                    rules.check_resolved(&target.spec, &location.name)?;
                }
            }
        }
        if let (RepoSource::Fixed(_), Some(names)) = (&self.repos, &named) {
            let wanted: Vec<String> = names.iter().map(|n| RepoLocation::normalised_name(n)).collect();
            targets.retain(|t| wanted.iter().any(|w| w == t.name()));
        }
        if base.is_empty() && named.is_none() {
            return Err(Error::NoRepository);
        }
        // Only `repos` reports unusable repositories as rows; elsewhere they are errors.
        if !self.table.lists_unusable_repos {
            if let Some(bad) = targets.iter().find(|t| t.error.is_some()) {
                // Resolved again for the typed error (a missing repository, not a bad argument).
                return Err(RepoLocation::resolve_in(&bad.spec, cache_root)
                    .err()
                    .unwrap_or_else(|| Error::InvalidArgument(bad.error.clone().unwrap_or_default())));
            }
        }
        Ok(targets)
    }
}

fn intersect_names(a: &[String], b: &[String]) -> Vec<String> {
    let norm = |s: &String| RepoLocation::normalised_name(s);
    let b_norm: Vec<String> = b.iter().map(norm).collect();
    a.iter().filter(|s| b_norm.contains(&norm(s))).cloned().collect()
}

#[async_trait]
impl TableProvider for GitTableProvider {
    fn schema(&self) -> SchemaRef {
        (self.table.schema)()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DFResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                let Pushdown {
                    paths,
                    commit_times,
                    merges,
                } = self.table.pushdown;
                if pushdown::repo_names(f).is_some()
                    || (paths && pushdown::column_strings(f, "path").is_some())
                {
                    TableProviderFilterPushDown::Exact
                } else if (paths && pushdown::like_prefix(f, "path").is_some())
                    || (merges && pushdown::boolean_value(f, "is_merge").is_some())
                    || (commit_times && pushdown::narrow_time(f, &mut TimeBounds::default()))
                {
                    // Prunes work; DataFusion still applies the filter.
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        if self.table.args == Args::FileAndRevision && self.path.is_none() {
            return plan_err!(
                "{} follows one file: use the table function, {}",
                self.table.name,
                self.table.usage()
            );
        }
        let mut times = TimeBounds::default();
        if self.table.pushdown.commit_times {
            for f in filters {
                pushdown::narrow_time(f, &mut times);
            }
        }
        let mut paths = PathSelection {
            required: self.path.clone(),
            ..Default::default()
        };
        if self.table.pushdown.paths {
            for f in filters {
                if let Some(values) = pushdown::column_strings(f, "path") {
                    pushdown::narrow(&mut paths.exact, values);
                } else if let Some(prefix) = pushdown::like_prefix(f, "path") {
                    paths.prefixes.push(prefix);
                }
            }
        }
        // With contradictory filters (`is_merge AND NOT is_merge`) the last one is pushed down and
        // DataFusion's own check leaves no row.
        let mut merges = None;
        if self.table.pushdown.merges {
            for f in filters {
                if let Some(wanted) = pushdown::boolean_value(f, "is_merge") {
                    merges = Some(wanted);
                }
            }
        }
        let spec = ScanSpec {
            merges,
            paths,
            table: self.table.name.to_string(),
            repos: self.targets(state, filters)?,
            rev: self.rev.clone(),
            projection: projection.cloned(),
            times,
            limit,
            cache_dir: self
                .settings
                .cache_dir
                .clone()
                .filter(|_| self.settings.stats_cache),
            bots: self.settings.bots.clone(),
            ignore_revs: self.ignore_revs.clone(),
        };
        let mut exec = GitScanExec::new(spec)?;
        exec.clones = self.settings.fleet.clone();
        exec.strict = self.settings.strict;
        exec.refresh = self.settings.refresh;
        Ok(Arc::new(exec))
    }
}
