//! The `gh_*` tables: GitHub metadata through the REST client in `source::github`.
//!
//! Each table is a [`Spec`]: which filters it needs (owner, repo), where its rows come from
//! and how JSON fields become columns. `owner`/`repo`/`name` equalities and IN lists are
//! pushed down exactly and decide which listings are fetched (one partition each, fetched
//! concurrently, streamed page by page); `state` and `updated_at >= ...` go to the API where it
//! supports them. A query without the filters a table needs fails at planning, naming them.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int64Array, ListBuilder, StringArray, StringBuilder};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{plan_err, DataFusionError, Result as DFResult};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;
use serde_json::Value;

use super::columns::{boolean, int64, repeated, schema_of, timestamp, utf8, utf8_list};
use super::pushdown::{column_strings, lower_time_bound, narrow};
use crate::error::Error;
use crate::source::github::{GitHub, LazyGitHub, Media};

/// How a column's values are typed.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    Time,
    /// An array of strings, or of objects whose given field is taken.
    List(Option<&'static str>),
}

/// Where a column's values come from.
#[derive(Debug, Clone, Copy)]
enum From {
    /// A JSON pointer into each item.
    Json(&'static str),
    /// The listing's owner / repository / web address.
    Owner,
    Repo,
    RepoUrl,
    /// The parent's key the listing was read for (a pull request's number, a run's id).
    Key,
    /// The number at the end of the URL at this JSON pointer (`issue_url`: the issue's number).
    UrlNumber(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Column {
    name: &'static str,
    kind: Kind,
    from: From,
}

const fn col(name: &'static str, kind: Kind, pointer: &'static str) -> Column {
    Column {
        name,
        kind,
        from: From::Json(pointer),
    }
}

/// The parent's key (`number`, `run_id`, `head_sha`) as a column.
const fn key_col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        from: From::Key,
    }
}

const OWNER: Column = Column {
    name: "owner",
    kind: Kind::Str,
    from: From::Owner,
};
const REPO: Column = Column {
    name: "repo",
    kind: Kind::Str,
    from: From::Repo,
};
const REPO_URL: Column = Column {
    name: "repo_url",
    kind: Kind::Str,
    from: From::RepoUrl,
};
/// The item as GitHub sent it (JSON text), for fields without a column of their own.
const RAW: Column = col("raw", Kind::Str, "");

/// Which filters select a table's listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// `gh_repos`: owner required; `name` optional (one repository's details).
    OwnerAndOptionalName,
    /// owner and repo required.
    OwnerRepo,
    /// No filter: the authenticated user.
    None,
    /// One row per configured token.
    Tokens,
}

#[derive(Debug)]
struct Spec {
    name: &'static str,
    keys: Keys,
    columns: Vec<Column>,
    /// The listing's path under `/repos/{owner}/{repo}` (OwnerRepo tables).
    path: &'static str,
    media: Media,
    /// `state = 'open' | 'closed'` goes to the API.
    state: bool,
    /// `updated_at >= t` goes to the API as `since`.
    since: bool,
    /// Items the endpoint returns that are not rows (pull requests among issues).
    skip: fn(&Value) -> bool,
    /// The listing's items sit under this key of the page's object (`workflow_runs`), not at
    /// its top level.
    items: Option<&'static str>,
    /// A listing per parent (a pull request's reviews): `{key}` in `path` is the parent's key.
    parent: Option<Parent>,
}

/// A listing per parent (a pull request, a workflow run, a commit): the column that names the
/// parent (`number = 5` and IN lists read just those), the path for one parent, and, when the
/// API can list the parents, where (path and query under the repository, the items' key, each
/// one's key as a JSON pointer), so that no key filter reads every parent's listing. With
/// neither a key filter nor a parent listing, the table's own `path` is read (the repository's
/// issue comments), or the key is required.
#[derive(Debug, Clone, Copy)]
struct Parent {
    column: &'static str,
    keyed_path: &'static str,
    listing: Option<(&'static str, Option<&'static str>, &'static str)>,
}

fn keep(_: &Value) -> bool {
    false
}

impl Spec {
    /// A table read as plain JSON, every item a row, no state/since pushdown.
    fn new(name: &'static str, keys: Keys, path: &'static str, columns: Vec<Column>) -> Self {
        Spec {
            name,
            keys,
            columns,
            path,
            media: Media::Json,
            state: false,
            since: false,
            skip: keep,
            items: None,
            parent: None,
        }
    }
}

fn is_pull_request(item: &Value) -> bool {
    item.get("pull_request").is_some()
}

fn specs() -> Vec<Spec> {
    use Kind::*;
    let repo_scoped = |name, path, columns: Vec<Column>| {
        let columns = [OWNER, REPO]
            .into_iter()
            .chain(columns)
            .chain([REPO_URL, RAW])
            .collect();
        Spec::new(name, Keys::OwnerRepo, path, columns)
    };
    vec![
        Spec::new(
            "gh_repos",
            Keys::OwnerAndOptionalName,
            "",
            vec![
                col("owner", Str, "/owner/login"),
                col("name", Str, "/name"),
                col("full_name", Str, "/full_name"),
                col("description", Str, "/description"),
                col("html_url", Str, "/html_url"),
                col("clone_url", Str, "/clone_url"),
                col("default_branch", Str, "/default_branch"),
                col("language", Str, "/language"),
                col("topics", List(None), "/topics"),
                col("license", Str, "/license/spdx_id"),
                col("is_fork", Bool, "/fork"),
                col("is_archived", Bool, "/archived"),
                col("visibility", Str, "/visibility"),
                col("stargazers_count", Int, "/stargazers_count"),
                col("forks_count", Int, "/forks_count"),
                col("watchers_count", Int, "/watchers_count"),
                col("open_issues_count", Int, "/open_issues_count"),
                col("size_kb", Int, "/size"),
                col("created_at", Time, "/created_at"),
                col("updated_at", Time, "/updated_at"),
                col("pushed_at", Time, "/pushed_at"),
                REPO_URL,
                RAW,
            ],
        ),
        repo_scoped(
            "gh_contributors",
            "/contributors",
            vec![
                col("login", Str, "/login"),
                col("id", Int, "/id"),
                col("type", Str, "/type"),
                col("contributions", Int, "/contributions"),
            ],
        ),
        repo_scoped(
            "gh_branches",
            "/branches",
            vec![
                col("name", Str, "/name"),
                col("sha", Str, "/commit/sha"),
                col("protected", Bool, "/protected"),
            ],
        ),
        Spec {
            state: true,
            since: true,
            skip: is_pull_request,
            ..repo_scoped(
                "gh_issues",
                "/issues",
                vec![
                    col("number", Int, "/number"),
                    col("title", Str, "/title"),
                    col("state", Str, "/state"),
                    col("author", Str, "/user/login"),
                    col("labels", List(Some("name")), "/labels"),
                    col("assignees", List(Some("login")), "/assignees"),
                    col("comments", Int, "/comments"),
                    col("created_at", Time, "/created_at"),
                    col("updated_at", Time, "/updated_at"),
                    col("closed_at", Time, "/closed_at"),
                    col("body", Str, "/body"),
                ],
            )
        },
        Spec {
            state: true,
            ..repo_scoped(
                "gh_pulls",
                "/pulls",
                vec![
                    col("number", Int, "/number"),
                    col("title", Str, "/title"),
                    col("state", Str, "/state"),
                    col("author", Str, "/user/login"),
                    col("draft", Bool, "/draft"),
                    col("base_ref", Str, "/base/ref"),
                    col("head_ref", Str, "/head/ref"),
                    col("created_at", Time, "/created_at"),
                    col("updated_at", Time, "/updated_at"),
                    col("closed_at", Time, "/closed_at"),
                    col("merged_at", Time, "/merged_at"),
                    col("merge_commit_sha", Str, "/merge_commit_sha"),
                    col("labels", List(Some("name")), "/labels"),
                ],
            )
        },
        Spec {
            parent: Some(Parent {
                column: "number",
                keyed_path: "/pulls/{key}/reviews",
                listing: Some(("/pulls?state=all", None, "/number")),
            }),
            ..repo_scoped(
                "gh_pull_reviews",
                "",
                vec![
                    key_col("number", Int),
                    col("review_id", Int, "/id"),
                    col("reviewer", Str, "/user/login"),
                    col("state", Str, "/state"),
                    col("submitted_at", Time, "/submitted_at"),
                    col("commit_id", Str, "/commit_id"),
                    col("body", Str, "/body"),
                ],
            )
        },
        Spec {
            parent: Some(Parent {
                column: "number",
                keyed_path: "/pulls/{key}/files",
                listing: Some(("/pulls?state=all", None, "/number")),
            }),
            ..repo_scoped(
                "gh_pull_files",
                "",
                vec![
                    key_col("number", Int),
                    col("path", Str, "/filename"),
                    col("previous_path", Str, "/previous_filename"),
                    col("status", Str, "/status"),
                    col("additions", Int, "/additions"),
                    col("deletions", Int, "/deletions"),
                    col("changes", Int, "/changes"),
                ],
            )
        },
        Spec {
            parent: Some(Parent {
                column: "number",
                keyed_path: "/issues/{key}/comments",
                listing: None,
            }),
            ..repo_scoped(
                "gh_issue_comments",
                "/issues/comments",
                vec![
                    Column {
                        name: "number",
                        kind: Int,
                        from: From::UrlNumber("/issue_url"),
                    },
                    col("id", Int, "/id"),
                    col("author", Str, "/user/login"),
                    col("created_at", Time, "/created_at"),
                    col("updated_at", Time, "/updated_at"),
                    col("body", Str, "/body"),
                ],
            )
        },
        // No filter goes to the API here: GitHub returns at most 1,000 runs when `status`,
        // `branch` or `event` is given, and a capped answer would pass for the whole one.
        Spec {
            items: Some("workflow_runs"),
            ..repo_scoped(
                "gh_workflow_runs",
                "/actions/runs",
                vec![
                    col("id", Int, "/id"),
                    col("workflow_id", Int, "/workflow_id"),
                    col("name", Str, "/name"),
                    col("event", Str, "/event"),
                    col("status", Str, "/status"),
                    col("conclusion", Str, "/conclusion"),
                    col("head_branch", Str, "/head_branch"),
                    col("head_sha", Str, "/head_sha"),
                    col("run_attempt", Int, "/run_attempt"),
                    col("created_at", Time, "/created_at"),
                    col("run_started_at", Time, "/run_started_at"),
                    col("updated_at", Time, "/updated_at"),
                    col("actor", Str, "/actor/login"),
                ],
            )
        },
        Spec {
            items: Some("jobs"),
            parent: Some(Parent {
                column: "run_id",
                keyed_path: "/actions/runs/{key}/jobs?filter=all",
                listing: Some(("/actions/runs", Some("workflow_runs"), "/id")),
            }),
            ..repo_scoped(
                "gh_workflow_jobs",
                "",
                vec![
                    key_col("run_id", Int),
                    col("run_attempt", Int, "/run_attempt"),
                    col("id", Int, "/id"),
                    col("name", Str, "/name"),
                    col("status", Str, "/status"),
                    col("conclusion", Str, "/conclusion"),
                    col("started_at", Time, "/started_at"),
                    col("completed_at", Time, "/completed_at"),
                    col("runner_name", Str, "/runner_name"),
                ],
            )
        },
        Spec {
            items: Some("check_runs"),
            parent: Some(Parent {
                column: "head_sha",
                keyed_path: "/commits/{key}/check-runs?filter=all",
                listing: None,
            }),
            ..repo_scoped(
                "gh_check_runs",
                "",
                vec![
                    key_col("head_sha", Str),
                    col("id", Int, "/id"),
                    col("name", Str, "/name"),
                    col("status", Str, "/status"),
                    col("conclusion", Str, "/conclusion"),
                    col("started_at", Time, "/started_at"),
                    col("completed_at", Time, "/completed_at"),
                    col("app", Str, "/app/slug"),
                ],
            )
        },
        repo_scoped(
            "gh_releases",
            "/releases",
            vec![
                col("id", Int, "/id"),
                col("tag_name", Str, "/tag_name"),
                col("name", Str, "/name"),
                col("draft", Bool, "/draft"),
                col("prerelease", Bool, "/prerelease"),
                col("author", Str, "/author/login"),
                col("created_at", Time, "/created_at"),
                col("published_at", Time, "/published_at"),
            ],
        ),
        Spec {
            media: Media::Star,
            ..repo_scoped(
                "gh_stargazers",
                "/stargazers",
                vec![
                    col("login", Str, "/user/login"),
                    col("starred_at", Time, "/starred_at"),
                ],
            )
        },
        Spec::new(
            "gh_user",
            Keys::None,
            "",
            vec![
                col("login", Str, "/login"),
                col("id", Int, "/id"),
                col("name", Str, "/name"),
                col("email", Str, "/email"),
                col("company", Str, "/company"),
                col("location", Str, "/location"),
                col("bio", Str, "/bio"),
                col("type", Str, "/type"),
                col("public_repos", Int, "/public_repos"),
                col("followers", Int, "/followers"),
                col("following", Int, "/following"),
                col("html_url", Str, "/html_url"),
                col("created_at", Time, "/created_at"),
                RAW,
            ],
        ),
        Spec::new(
            "gh_rate_limit",
            Keys::Tokens,
            "",
            vec![
                col("token", Str, ""),
                col("resource", Str, ""),
                col("limit", Int, "/limit"),
                col("remaining", Int, "/remaining"),
                col("used", Int, "/used"),
                col("reset_at", Time, "/reset"),
            ],
        ),
    ]
}

/// Every `gh_*` table over one client. Without `strict`, a query over several repositories
/// (or owners) leaves out the ones GitHub does not know (404), with a warning on stderr, as a
/// failed clone does not hide the other repositories' rows; with it, that is the query's error.
pub(crate) fn tables(github: Arc<LazyGitHub>, strict: bool) -> Vec<(&'static str, Arc<dyn TableProvider>)> {
    specs()
        .into_iter()
        .map(|spec| {
            let name = spec.name;
            let schema = schema_of(spec.columns.iter().map(field).collect());
            let table: Arc<dyn TableProvider> = Arc::new(GitHubTable {
                spec: Arc::new(spec),
                schema,
                github: github.clone(),
                strict,
            });
            (name, table)
        })
        .collect()
}

fn field(c: &Column) -> arrow::datatypes::Field {
    match c.kind {
        Kind::Str => utf8(c.name),
        Kind::Int => int64(c.name),
        Kind::Bool => boolean(c.name),
        Kind::Time => timestamp(c.name),
        Kind::List(_) => utf8_list(c.name),
    }
}

pub(crate) struct GitHubTable {
    spec: Arc<Spec>,
    schema: SchemaRef,
    github: Arc<LazyGitHub>,
    strict: bool,
}

impl fmt::Debug for GitHubTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitHubTable({})", self.spec.name)
    }
}

/// What the filters of one scan ask the API for.
#[derive(Debug, Default, Clone)]
struct Selection {
    owners: Option<BTreeSet<String>>,
    repos: Option<BTreeSet<String>>,
    state: Option<String>,
    since: Option<i64>,
    /// The parents named by the parent column (`number IN (1, 2)`).
    keys: Option<BTreeSet<String>>,
}

impl GitHubTable {
    fn parent_keys(&self, filter: &Expr) -> Option<Vec<String>> {
        literal_values(filter, self.spec.parent?.column)
    }

    /// The column that names repositories in this table (`repo`, or `name` for gh_repos).
    fn repo_column(&self) -> Option<&'static str> {
        match self.spec.keys {
            Keys::OwnerRepo => Some("repo"),
            Keys::OwnerAndOptionalName => Some("name"),
            _ => None,
        }
    }

    fn key_values(&self, filter: &Expr) -> Option<(&'static str, Vec<String>)> {
        if !matches!(self.spec.keys, Keys::OwnerRepo | Keys::OwnerAndOptionalName) {
            return None;
        }
        for column in ["owner"].into_iter().chain(self.repo_column()) {
            if let Some(values) = column_strings(filter, column) {
                return Some((column, values));
            }
        }
        None
    }

    fn state_value(&self, filter: &Expr) -> Option<String> {
        if !self.spec.state {
            return None;
        }
        let values = column_strings(filter, "state")?;
        match values.as_slice() {
            [one] if one == "open" || one == "closed" => Some(one.clone()),
            _ => None,
        }
    }

    fn since_value(&self, filter: &Expr) -> Option<i64> {
        if !self.spec.since {
            return None;
        }
        lower_time_bound(filter, "updated_at")
    }

    fn selection(&self, filters: &[Expr]) -> Selection {
        let mut selection = Selection::default();
        for filter in filters {
            if let Some((column, values)) = self.key_values(filter) {
                if column == "owner" {
                    narrow(&mut selection.owners, values);
                } else {
                    narrow(&mut selection.repos, values);
                }
            } else if let Some(state) = self.state_value(filter) {
                selection.state = Some(state);
            } else if let Some(since) = self.since_value(filter) {
                selection.since = Some(selection.since.map_or(since, |s: i64| s.max(since)));
            } else if let Some(keys) = self.parent_keys(filter) {
                narrow(&mut selection.keys, keys);
            }
        }
        selection
    }
}

#[async_trait]
impl TableProvider for GitHubTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DFResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if self.key_values(f).is_some()
                    || self.state_value(f).is_some()
                    || self.parent_keys(f).is_some()
                {
                    TableProviderFilterPushDown::Exact
                } else if self.since_value(f).is_some() {
                    // `since` is a lower bound on updated_at; DataFusion still checks it.
                    TableProviderFilterPushDown::Inexact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let name = self.spec.name;
        let selection = self.selection(filters);
        let targets: Vec<Target> = match self.spec.keys {
            Keys::OwnerRepo => {
                let (Some(owners), Some(repos)) = (&selection.owners, &selection.repos) else {
                    return plan_err!(
                        "{name} needs the repositories to read: add WHERE owner = '...' AND repo = '...' \
                         (or IN lists)"
                    );
                };
                let repos: Vec<Target> = owners
                    .iter()
                    .flat_map(|o| repos.iter().map(move |r| Target::repo(o, r)))
                    .collect();
                match (self.spec.parent, &selection.keys) {
                    (Some(_), Some(keys)) => repos
                        .iter()
                        .flat_map(|t| {
                            keys.iter().map(move |k| Target {
                                key: Some(k.clone()),
                                ..t.clone()
                            })
                        })
                        .collect(),
                    (Some(parent), None) if parent.listing.is_none() && self.spec.path.is_empty() => {
                        let column = parent.column;
                        return plan_err!(
                            "{name} needs the {column} to read: add WHERE {column} = '...' (or an IN list)"
                        );
                    }
                    _ => repos,
                }
            }
            Keys::OwnerAndOptionalName => {
                let Some(owners) = &selection.owners else {
                    return plan_err!(
                        "{name} needs an owner: add WHERE owner = '...' (a user or organisation), \
                         and name = '...' for one repository"
                    );
                };
                match &selection.repos {
                    Some(names) => owners
                        .iter()
                        .flat_map(|o| names.iter().map(move |n| Target::repo(o, n)))
                        .collect(),
                    None => owners.iter().map(|o| Target::owner(o)).collect(),
                }
            }
            Keys::None | Keys::Tokens => vec![Target::default()],
        };
        let github = self.github.get().map_err(DataFusionError::Plan)?;
        // A single repository that does not exist is the query's error: there are no other
        // rows to keep.
        let skip_missing = !self.strict && targets.len() > 1;
        let wanted = projection.map(|columns| {
            Arc::new(
                columns
                    .iter()
                    .filter_map(|i| self.spec.columns.get(*i).map(|c| c.name))
                    .collect::<BTreeSet<_>>(),
            )
        });
        let partitions: Vec<Arc<dyn PartitionStream>> = targets
            .into_iter()
            .map(|target| {
                Arc::new(Listing {
                    spec: self.spec.clone(),
                    schema: self.schema.clone(),
                    github: github.clone(),
                    target,
                    state: selection.state.clone(),
                    since: selection.since,
                    skip_missing,
                    wanted: wanted.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        if partitions.is_empty() {
            // owner IN ('a') AND owner IN ('b'): nothing to fetch.
            return Ok(Arc::new(datafusion::physical_plan::empty::EmptyExec::new(
                project(&self.schema, projection)?,
            )));
        }
        Ok(Arc::new(StreamingTableExec::try_new(
            self.schema.clone(),
            partitions,
            projection,
            [],
            false,
            limit,
        )?))
    }
}

fn project(schema: &SchemaRef, projection: Option<&Vec<usize>>) -> DFResult<SchemaRef> {
    Ok(match projection {
        Some(p) => Arc::new(schema.project(p)?),
        None => schema.clone(),
    })
}

/// One listing: a repository's (or an owner's) rows, or one parent's (`key`: a pull request's
/// number, a run's id, a commit).
#[derive(Debug, Clone, Default)]
struct Target {
    owner: String,
    repo: Option<String>,
    key: Option<String>,
}

impl Target {
    fn repo(owner: &str, repo: &str) -> Self {
        Target {
            owner: owner.to_string(),
            repo: Some(repo.to_string()),
            key: None,
        }
    }
    fn owner(owner: &str) -> Self {
        Target {
            owner: owner.to_string(),
            repo: None,
            key: None,
        }
    }
}

/// A page's items: the array itself, the array under `key`, or the one object.
fn items_of<'v>(body: &'v Value, key: Option<&str>) -> Vec<&'v Value> {
    let body = match key {
        Some(key) => body.get(key).unwrap_or(&Value::Null),
        None => body,
    };
    match body {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The values `column` is limited to by `column = v`, `v = column` or `column IN (...)` (or
/// ORed equalities), for text and integer literals, as text.
fn literal_values(expr: &Expr, column: &str) -> Option<Vec<String>> {
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::Operator;
    let value = |e: &Expr| -> Option<String> {
        let Expr::Literal(v, _) = e else { return None };
        match v {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                Some(s.clone())
            }
            ScalarValue::Int8(Some(_))
            | ScalarValue::Int16(Some(_))
            | ScalarValue::Int32(Some(_))
            | ScalarValue::Int64(Some(_))
            | ScalarValue::UInt8(Some(_))
            | ScalarValue::UInt16(Some(_))
            | ScalarValue::UInt32(Some(_))
            | ScalarValue::UInt64(Some(_)) => Some(v.to_string()),
            _ => None,
        }
    };
    let is_column = |e: &Expr| matches!(e, Expr::Column(c) if c.name == column);
    match expr {
        Expr::BinaryExpr(b) if b.op == Operator::Or => {
            let mut values = literal_values(&b.left, column)?;
            values.extend(literal_values(&b.right, column)?);
            Some(values)
        }
        Expr::BinaryExpr(b) if b.op == Operator::Eq => match (&*b.left, &*b.right) {
            (c, v) | (v, c) if is_column(c) => value(v).map(|v| vec![v]),
            _ => None,
        },
        Expr::InList(list) if !list.negated && is_column(&list.expr) => list.list.iter().map(value).collect(),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct Listing {
    spec: Arc<Spec>,
    schema: SchemaRef,
    github: Arc<GitHub>,
    target: Target,
    state: Option<String>,
    since: Option<i64>,
    /// A 404 before the first page ends this listing with a warning instead of the query.
    skip_missing: bool,
    /// The columns the query reads (None: all), so a GraphQL read asks for those fields only.
    wanted: Option<Arc<BTreeSet<&'static str>>>,
}

/// Where a listing is in its pages.
enum Cursor {
    Start,
    Next(String),
    Done,
}

impl PartitionStream for Listing {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let listing = Arc::new(self.clone());
        let batches = match listing.parents() {
            // Every pull request's reviews: one GraphQL query per 100 pull requests instead of
            // a REST request per pull request.
            Some(parents) if listing.spec.name == "gh_pull_reviews" && listing.github.uses_graphql() => {
                listing.reviews_by_graphql(parents)
            }
            Some(parents) => listing.each_parent(parents),
            None => listing.pages(),
        };
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

type Batches = std::pin::Pin<Box<dyn futures::Stream<Item = DFResult<RecordBatch>> + Send>>;

impl Listing {
    /// The parents' listing to walk (path and query, items key, key pointer), for a per-parent
    /// table read without a key filter.
    fn parents(&self) -> Option<(&'static str, Option<&'static str>, &'static str)> {
        match (self.spec.parent, &self.target.key) {
            (Some(parent), None) if self.spec.path.is_empty() => parent.listing,
            _ => None,
        }
    }

    /// Every parent's listing, one after the other: the parents' pages are read as needed.
    fn each_parent(
        self: Arc<Self>,
        (path, items, pointer): (&'static str, Option<&'static str>, &'static str),
    ) -> Batches {
        use futures::TryStreamExt;
        let (path, extra) = path.split_once('?').unwrap_or((path, ""));
        let first = (|| -> Result<String, Error> {
            let Target { owner, repo, .. } = &self.target;
            let (o, r) = (segment(owner)?, segment(repo.as_deref().unwrap_or_default())?);
            let query = ["per_page=100", extra]
                .iter()
                .filter(|q| !q.is_empty())
                .copied()
                .collect::<Vec<_>>();
            Ok(self
                .github
                .url(&format!("/repos/{o}/{r}{path}?{}", query.join("&"))))
        })();
        let listing = self.clone();
        let pages = futures::stream::try_unfold(Some(first), move |url| {
            let listing = listing.clone();
            async move {
                let Some(url) = url else { return Ok(None) };
                let page = match url {
                    Ok(url) => listing.github.get(&url, Media::Json).await,
                    Err(e) => Err(e),
                };
                let page = match page {
                    Ok(page) => page,
                    Err(Error::GitHubNotFound(what)) if listing.skip_missing => {
                        tracing::warn!("{what}; its rows are left out");
                        return Ok(None);
                    }
                    Err(e) => return Err(DataFusionError::from(e)),
                };
                let keys: Vec<DFResult<String>> = items_of(&page.body, items)
                    .into_iter()
                    .filter_map(|item| item.pointer(pointer).filter(|v| !v.is_null()).map(text))
                    .map(Ok)
                    .collect();
                Ok(Some((futures::stream::iter(keys), page.next.map(Ok))))
            }
        });
        let batches = pages.try_flatten().map_ok(move |key| {
            let mut child = (*self).clone();
            child.target.key = Some(key);
            // A parent listed a moment ago is there; a 404 now is the query's error.
            child.skip_missing = false;
            Arc::new(child).pages()
        });
        Box::pin(batches.try_flatten())
    }

    /// `gh_pull_reviews` for every pull request over GraphQL: pull requests 100 at a time with
    /// their first 100 reviews each, then more queries for a pull request with more. Reviews
    /// are rebuilt in REST's shape (`id`, `user.login`, `state`, `submitted_at`, `commit_id`,
    /// `body`), so the columns and `raw` read as the REST path's do. A server without GraphQL
    /// (404) is read over REST instead.
    fn reviews_by_graphql(
        self: Arc<Self>,
        parents: (&'static str, Option<&'static str>, &'static str),
    ) -> Batches {
        use futures::TryStreamExt;
        let listing = self;
        let fields = review_fields(listing.wanted.as_deref());
        let (pulls_query, more_query) = (
            PULL_REVIEWS.replace("REVIEW_FIELDS", &fields),
            MORE_REVIEWS.replace("REVIEW_FIELDS", &fields),
        );
        let steps = futures::stream::try_unfold(Some(None::<String>), move |cursor| {
            let listing = listing.clone();
            let (pulls_query, more_query) = (pulls_query.clone(), more_query.clone());
            async move {
                let Some(after) = cursor else { return Ok(None) };
                let owner = listing.target.owner.clone();
                let name = listing.target.repo.clone().unwrap_or_default();
                let variables = serde_json::json!({ "owner": owner, "name": name, "after": after });
                let answer = match listing.github.graphql(&owner, &pulls_query, variables).await {
                    Ok(Some(answer)) => answer,
                    Ok(None) if after.is_none() => {
                        let rest: Batches = listing.clone().each_parent(parents);
                        return Ok(Some((rest, None)));
                    }
                    Ok(None) => {
                        return Err(DataFusionError::External(Box::new(Error::GitHub(
                            "GitHub GraphQL: the endpoint went away mid-listing".into(),
                        ))))
                    }
                    Err(Error::GitHubNotFound(what)) if after.is_none() && listing.skip_missing => {
                        tracing::warn!("{what}; its rows are left out");
                        return Ok(None);
                    }
                    Err(e) => return Err(DataFusionError::from(e)),
                };
                let pulls = &answer["repository"]["pullRequests"];
                let mut batches = Vec::new();
                for pull in pulls["nodes"].as_array().into_iter().flatten() {
                    let Some(number) = pull["number"].as_i64() else {
                        continue;
                    };
                    let mut reviews: Vec<Value> = review_nodes(&pull["reviews"]);
                    let mut more = next_cursor(&pull["reviews"]);
                    while let Some(cursor) = more {
                        let variables = serde_json::json!({
                            "owner": owner, "name": name, "number": number, "after": cursor
                        });
                        let answer = listing
                            .github
                            .graphql(&owner, &more_query, variables)
                            .await
                            .map_err(DataFusionError::from)?
                            .ok_or_else(|| {
                                DataFusionError::External(Box::new(Error::GitHub(
                                    "GitHub GraphQL: the endpoint went away mid-listing".into(),
                                )))
                            })?;
                        let page = &answer["repository"]["pullRequest"]["reviews"];
                        reviews.extend(review_nodes(page));
                        more = next_cursor(page);
                    }
                    let mut child = (*listing).clone();
                    child.target.key = Some(number.to_string());
                    batches.push(child.batch(&Value::Array(reviews)));
                }
                let next = next_cursor(pulls).map(Some);
                let batches: Batches = Box::pin(futures::stream::iter(batches));
                Ok(Some((batches, next)))
            }
        });
        Box::pin(steps.try_flatten())
    }

    /// The listing's pages as batches, following `Link` headers.
    fn pages(self: Arc<Self>) -> Batches {
        let listing = self;
        let pages = futures::stream::try_unfold(Cursor::Start, move |cursor| {
            let listing = listing.clone();
            async move {
                let first = matches!(cursor, Cursor::Start);
                let url = match cursor {
                    Cursor::Done => return Ok(None),
                    Cursor::Next(url) => Ok(url),
                    Cursor::Start if listing.spec.keys == Keys::Tokens => {
                        return Ok(Some((listing.rate_limits().await?, Cursor::Done)));
                    }
                    Cursor::Start => listing.first_url().await,
                };
                let page = match url {
                    Ok(url) => listing.github.get(&url, listing.spec.media).await,
                    Err(e) => Err(e),
                };
                let page = match page {
                    Ok(page) => page,
                    Err(Error::GitHubNotFound(what)) if first && listing.skip_missing => {
                        tracing::warn!("{what}; its rows are left out");
                        return Ok(None);
                    }
                    Err(e) => return Err(DataFusionError::from(e)),
                };
                let batch = listing.batch(&page.body)?;
                let next = page.next.map_or(Cursor::Done, Cursor::Next);
                Ok(Some((batch, next)))
            }
        });
        Box::pin(pages)
    }

    /// The first page's URL (`per_page=100`; later pages follow `Link` exactly).
    async fn first_url(&self) -> Result<String, Error> {
        let gh = &self.github;
        let Target { owner, repo, key } = &self.target;
        let o = segment(owner)?;
        let r = repo.as_deref().map(segment).transpose()?;
        let mut query = vec!["per_page=100".to_string()];
        let path = match (self.spec.keys, r) {
            (Keys::OwnerAndOptionalName, Some(name)) => return Ok(gh.url(&format!("/repos/{o}/{name}"))),
            (Keys::OwnerAndOptionalName, None) => {
                // Organisations list all the repositories the token can see; users their own.
                let who = gh.get(&gh.url(&format!("/users/{o}")), Media::Json).await?;
                if who.body.get("type").and_then(Value::as_str) == Some("Organization") {
                    query.push("type=all".into());
                    format!("/orgs/{o}/repos")
                } else {
                    query.push("type=owner".into());
                    format!("/users/{o}/repos")
                }
            }
            (Keys::None, _) => return Ok(gh.url("/user")),
            (_, r) => {
                if self.spec.state {
                    query.push(format!("state={}", self.state.as_deref().unwrap_or("all")));
                }
                if let Some(since) = self.since.and_then(iso8601) {
                    query.push(format!("since={since}"));
                }
                let path = match (self.spec.parent, key) {
                    (Some(parent), Some(key)) => {
                        // A keyed path may carry parameters of its own (`filter=all`: the jobs
                        // of every attempt, not only the latest).
                        let (path, fixed) = parent
                            .keyed_path
                            .split_once('?')
                            .unwrap_or((parent.keyed_path, ""));
                        if !fixed.is_empty() {
                            query.push(fixed.to_string());
                        }
                        path.replace("{key}", &segment(key)?)
                    }
                    _ => self.spec.path.to_string(),
                };
                format!("/repos/{o}/{}{path}", r.unwrap_or_default())
            }
        };
        Ok(gh.url(&format!("{path}?{}", query.join("&"))))
    }

    /// One page of JSON as a batch of the table's full schema.
    fn batch(&self, body: &Value) -> DFResult<RecordBatch> {
        let items: Vec<&Value> = items_of(body, self.spec.items)
            .into_iter()
            .filter(|i| !(self.spec.skip)(i))
            .collect();
        let owner = self.target.owner.as_str();
        let repo = self.target.repo.as_deref().unwrap_or_default();
        let repo_url = self.github.repo_url(owner, repo);
        let columns = self
            .spec
            .columns
            .iter()
            .map(|c| match c.from {
                From::Owner => Ok(repeated(owner, items.len())),
                From::Repo => Ok(repeated(repo, items.len())),
                From::RepoUrl if self.spec.keys == Keys::OwnerAndOptionalName => {
                    // A listing's rows are many repositories: each one's own address.
                    let urls = items.iter().map(|i| {
                        let o = i.pointer("/owner/login").and_then(Value::as_str)?;
                        let n = i.pointer("/name").and_then(Value::as_str)?;
                        Some(self.github.repo_url(o, n))
                    });
                    Ok(Arc::new(urls.collect::<StringArray>()) as ArrayRef)
                }
                From::RepoUrl => Ok(repeated(&repo_url, items.len())),
                From::Key => {
                    let key = self.target.key.as_deref();
                    Ok(match c.kind {
                        Kind::Int => Arc::new(Int64Array::from(vec![
                            key.and_then(|k| k.parse::<i64>().ok());
                            items.len()
                        ])) as ArrayRef,
                        _ => Arc::new(StringArray::from(vec![key; items.len()])) as ArrayRef,
                    })
                }
                From::UrlNumber(pointer) => {
                    let numbers = items.iter().map(|i| {
                        let url = i.pointer(pointer).and_then(Value::as_str)?;
                        url.rsplit('/').next()?.parse::<i64>().ok()
                    });
                    Ok(Arc::new(numbers.collect::<Int64Array>()) as ArrayRef)
                }
                From::Json(pointer) => json_column(&items, pointer, c.kind),
            })
            .collect::<DFResult<Vec<_>>>()?;
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }

    /// `gh_rate_limit`: `/rate_limit` asked with each token (it costs no quota).
    async fn rate_limits(&self) -> DFResult<RecordBatch> {
        let gh = &self.github;
        let url = gh.url("/rate_limit");
        let mut answers = Vec::new();
        if gh.tokens().is_empty() {
            answers.push(("anonymous".to_string(), gh.get(&url, Media::Json).await?));
        }
        // A token GitHub already rejected has no quota to report.
        for token in gh.tokens().tokens().iter().filter(|t| !t.quota().invalid) {
            answers.push((token.id.clone(), gh.get_with(&url, token).await?));
        }
        let (mut token, mut resource, mut limit, mut remaining, mut used, mut reset) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (id, page) in &answers {
            let Some(resources) = page.body.get("resources").and_then(Value::as_object) else {
                continue;
            };
            for (name, r) in resources {
                token.push(id.clone());
                resource.push(name.clone());
                limit.push(r.get("limit").and_then(Value::as_i64));
                remaining.push(r.get("remaining").and_then(Value::as_i64));
                used.push(r.get("used").and_then(Value::as_i64));
                reset.push(r.get("reset").and_then(Value::as_i64).map(|s| s * 1_000_000));
            }
        }
        let reset: ArrayRef =
            Arc::new(arrow::array::TimestampMicrosecondArray::from(reset).with_timezone("UTC"));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(token)),
            Arc::new(StringArray::from(resource)),
            Arc::new(Int64Array::from(limit)),
            Arc::new(Int64Array::from(remaining)),
            Arc::new(Int64Array::from(used)),
            reset,
        ];
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// One column from each item's value at `pointer`.
/// Every pull request's first 100 reviews (`rateLimit` is how GraphQL's cost is read).
const PULL_REVIEWS: &str = "query PullReviews($owner: String!, $name: String!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number
        reviews(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes { REVIEW_FIELDS }
        }
      }
    }
  }
}";

/// The next 100 reviews of one pull request.
const MORE_REVIEWS: &str =
    "query MoreReviews($owner: String!, $name: String!, $number: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { REVIEW_FIELDS }
      }
    }
  }
}";

/// The review fields a query asks for: those of the columns read (`raw`: all of them), at
/// least the id (a node needs a field; `count(*)` reads none).
fn review_fields(wanted: Option<&BTreeSet<&'static str>>) -> String {
    const FIELDS: [(&str, &str); 6] = [
        ("review_id", "databaseId"),
        ("reviewer", "author { login }"),
        ("state", "state"),
        ("submitted_at", "submittedAt"),
        ("commit_id", "commit { oid }"),
        ("body", "body"),
    ];
    let all = wanted.is_none_or(|w| w.contains("raw"));
    let mut fields: Vec<&str> = FIELDS
        .iter()
        .filter(|(column, _)| all || wanted.is_some_and(|w| w.contains(column)))
        .map(|(_, field)| *field)
        .collect();
    if fields.is_empty() {
        fields.push("databaseId");
    }
    fields.join(" ")
}

/// A GraphQL reviews connection's nodes in REST's shape (what the columns' pointers read).
fn review_nodes(connection: &Value) -> Vec<Value> {
    connection["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            serde_json::json!({
                "id": n["databaseId"],
                "user": if n["author"].is_null() { Value::Null } else { serde_json::json!({ "login": n["author"]["login"] }) },
                "state": n["state"],
                "submitted_at": n["submittedAt"],
                "commit_id": n["commit"]["oid"],
                "body": n["body"],
            })
        })
        .collect()
}

/// A connection's `endCursor` when it has a next page.
fn next_cursor(connection: &Value) -> Option<String> {
    let info = &connection["pageInfo"];
    info["hasNextPage"]
        .as_bool()
        .filter(|more| *more)
        .and(info["endCursor"].as_str())
        .map(str::to_string)
}

fn json_column(items: &[&Value], pointer: &str, kind: Kind) -> DFResult<ArrayRef> {
    let values = items.iter().map(|i| i.pointer(pointer).filter(|v| !v.is_null()));
    Ok(match kind {
        Kind::Str => Arc::new(values.map(|v| v.map(text)).collect::<StringArray>()),
        Kind::Int => Arc::new(values.map(|v| v.and_then(Value::as_i64)).collect::<Int64Array>()),
        Kind::Bool => Arc::new(
            values
                .map(|v| v.and_then(Value::as_bool))
                .collect::<BooleanArray>(),
        ),
        Kind::Time => {
            let text: StringArray = values.map(|v| v.and_then(Value::as_str)).collect();
            arrow::compute::cast(
                &text,
                &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
            )?
        }
        Kind::List(field) => {
            let mut list = ListBuilder::new(StringBuilder::new());
            for v in values {
                match v.and_then(Value::as_array) {
                    Some(elements) => {
                        for e in elements {
                            let e = match field {
                                Some(f) => e.get(f),
                                None => Some(e),
                            };
                            list.values().append_option(e.filter(|e| !e.is_null()).map(text));
                        }
                        list.append(true);
                    }
                    None => list.append(false),
                }
            }
            Arc::new(list.finish())
        }
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An owner or repository name as one path segment of an API URL. They are user input: `.`
/// and `..` would walk out of the API's base path (with the token), so they are refused.
fn segment(name: &str) -> Result<String, Error> {
    if matches!(name, "." | "..") {
        return Err(Error::InvalidArgument(format!(
            "'{name}' is not a GitHub owner or repository name"
        )));
    }
    Ok(encode(name))
}

/// Path segments are user input: keep them to one segment.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn iso8601(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_items_become_typed_columns() {
        let items: Vec<Value> = serde_json::from_str(
            r#"[{"n": 1, "t": "2024-01-02T03:04:05Z", "l": [{"name": "bug"}, {"name": null}], "b": true, "s": "x"},
                {"n": null, "t": null, "l": null, "b": null}]"#,
        )
        .unwrap();
        let refs: Vec<&Value> = items.iter().collect();
        let n = json_column(&refs, "/n", Kind::Int).unwrap();
        assert_eq!(n.null_count(), 1);
        let t = json_column(&refs, "/t", Kind::Time).unwrap();
        let t = t
            .as_any()
            .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(t.value(0), 1_704_164_645_000_000);
        let l = json_column(&refs, "/l", Kind::List(Some("name"))).unwrap();
        assert_eq!(l.null_count(), 1);
        let s = json_column(&refs, "/s", Kind::Str).unwrap();
        assert_eq!(s.null_count(), 1);
    }

    #[test]
    fn graphql_asks_for_the_fields_of_the_columns_read() {
        let wanted = |names: &[&'static str]| names.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(
            review_fields(None),
            "databaseId author { login } state submittedAt commit { oid } body"
        );
        assert_eq!(
            review_fields(Some(&wanted(&["number", "reviewer"]))),
            "author { login }"
        );
        assert_eq!(review_fields(Some(&wanted(&[]))), "databaseId");
        assert_eq!(review_fields(Some(&wanted(&["raw"]))), review_fields(None));
        assert!(!PULL_REVIEWS.replace("REVIEW_FIELDS", "state").contains("body"));
    }

    #[test]
    fn path_segments_are_encoded_and_times_formatted() {
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("pallets").unwrap(), "pallets");
        for bad in [".", ".."] {
            let err = segment(bad).unwrap_err().to_string();
            assert!(err.contains("is not a GitHub owner or repository name"), "{err}");
        }
        assert_eq!(iso8601(1_704_164_645).as_deref(), Some("2024-01-02T03:04:05Z"));
    }
}
