//! A scan as plain, serialisable data ([`ScanSpec`]: table, repositories, projection, pushed
//! filters, limit), so that it can be shipped to remote workers unchanged, and one partition
//! of it as a table's producer receives it ([`Partition`]).

use std::path::PathBuf;

use arrow::datatypes::SchemaRef;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::source::git::blame::PathSelection;
use crate::source::git::commits::{CommitNeeds, ScanCounters, TimeBounds};
use crate::source::git::parallel::ReadPlan;
use crate::source::git::RepoLocation;

/// One repository of a scan: the name the user gave and where it resolved to (or why not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RepoTarget {
    pub spec: String,
    pub location: Option<RepoLocation>,
    pub error: Option<String>,
}

impl RepoTarget {
    pub(super) fn resolve(spec: &str, cache_root: Option<&std::path::Path>) -> Self {
        // Kept without credentials: a repository that does not resolve shows its name as given
        // in the `repo` column (clones take credentials from the environment, never the URL).
        let shown = crate::source::fleet::remote::redact(spec);
        match RepoLocation::resolve_in(spec, cache_root) {
            Ok(location) => RepoTarget {
                spec: shown,
                location: Some(location),
                error: None,
            },
            Err(e) => RepoTarget {
                spec: shown,
                location: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// The value of the `repo` column: the normalised location, else the name as given.
    pub(crate) fn name(&self) -> &str {
        self.location.as_ref().map_or(&self.spec, |l| &l.name)
    }
}

/// Everything one scan needs, in plain serialisable fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ScanSpec {
    /// The table's SQL name (`table/mod.rs` has the registry).
    pub table: String,
    /// One partition per repository.
    pub repos: Vec<RepoTarget>,
    /// Revision spec from a table function (commits: a range; files: a tree-ish).
    pub rev: Option<String>,
    /// Column indices into the table schema; None for all.
    pub projection: Option<Vec<usize>>,
    /// Pruning bounds from time filters (rows outside may still be produced).
    pub times: TimeBounds,
    /// Stop each partition after this many rows.
    pub limit: Option<usize>,
    /// Where the per-commit stats cache lives (None: not cached).
    pub cache_dir: Option<PathBuf>,
    /// Which files to blame (blame only): `path` filters and `blame('/repo', 'path')`.
    pub paths: PathSelection,
    /// The user's bot patterns (`author_is_bot`), beyond the built-in rules.
    #[serde(default)]
    pub bots: Vec<String>,
    /// `is_merge` pushed down: only merges (true) or only other commits (false) are read.
    #[serde(default)]
    pub merges: Option<bool>,
    /// blame: the ignore-revs file from `blame('/repo', 'path', 'rev', 'file')` (`""`: none);
    /// None reads `blame.ignoreRevsFile` from the repository's configuration, as git does.
    #[serde(default)]
    pub ignore_revs: Option<String>,
}

/// Threads one repository's scan may use for its expensive part (diffs): every core.
pub(crate) fn workers_per_scan() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl ScanSpec {
    /// How to read `location`'s commits for this scan: its revision, time bounds and cache,
    /// on every core, counting into `counters`.
    pub(crate) fn read_plan<'a>(
        &'a self,
        location: &'a RepoLocation,
        needs: CommitNeeds,
        counters: &'a ScanCounters,
    ) -> ReadPlan<'a> {
        ReadPlan {
            location,
            rev: self.rev.as_deref(),
            times: self.times,
            needs,
            workers: workers_per_scan(),
            cache_root: self.cache_dir.as_deref(),
            counters,
            count_total: super::progress::watched(),
            repo: None,
        }
    }
}

/// One repository of a scan, as its table's producer sees it.
pub(crate) struct Partition<'a> {
    pub spec: &'a ScanSpec,
    pub target: &'a RepoTarget,
    /// Why a remote repository could not be cloned (no clone to read), or why its refresh
    /// failed (a stale clone to read).
    pub clone_error: Option<&'a str>,
    /// The table's full schema.
    pub schema: SchemaRef,
}

impl Partition<'_> {
    /// Whether column `name` is part of the output.
    pub(crate) fn wants(&self, name: &str) -> bool {
        match &self.spec.projection {
            None => true,
            Some(p) => p.iter().any(|&i| self.schema.field(i).name() == name),
        }
    }

    /// The repository to read; an error when it did not resolve.
    pub(crate) fn location(&self) -> Result<&RepoLocation> {
        self.target
            .location
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument(self.target.error.clone().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_spec_round_trips_through_json() {
        let spec = ScanSpec {
            paths: Default::default(),
            table: "commits".into(),
            repos: vec![RepoTarget::resolve("/no/such/repo", None)],
            rev: Some("v1.0..main".into()),
            projection: Some(vec![1, 15]),
            times: TimeBounds {
                author_min: Some(1),
                ..Default::default()
            },
            limit: Some(10),
            cache_dir: Some("/tmp/cache".into()),
            bots: vec!["ci-*@corp.example".into()],
            merges: Some(false),
            ignore_revs: Some(".git-blame-ignore-revs".into()),
        };
        let json = serde_json::to_string(&spec).unwrap();
        let back: ScanSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        assert!(json.contains("repository not found: /no/such/repo"), "{json}");
    }
}
