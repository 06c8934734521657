//! `gitfleet report` and Python's `gitfleet.report()`: one self-contained HTML file of charts
//! over the session's repositories.
//!
//! A front end on the engine, like the CLI: every number comes from a SQL query run through
//! [`crate::engine`] (`sections.rs` holds the queries, which the page shows under each chart),
//! and the page (`page.rs`, `report.js`) draws the rows with Vega-Lite, inlined with the data
//! so the file opens offline.

mod page;
mod sections;

use std::path::Path;

use datafusion::prelude::SessionContext;
use futures::TryStreamExt;

use crate::engine::{execute_stream, plan_sql, EngineError, ErrorKind};
use sections::GitHubRepo;

/// What to report on, beyond the session's repositories.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Only commits committed on or after this day (`YYYY-MM-DD`); blame sections always show
    /// HEAD as it is.
    pub since: Option<String>,
    /// Add the pull-request section (GitHub tables) for repositories on GitHub.
    pub github: bool,
    /// The page's title (default: "GitFleet report").
    pub title: Option<String>,
}

/// The report's progress: section `index` (1-based) of `total` is starting.
#[derive(Debug, Clone)]
pub struct Step {
    pub index: usize,
    pub total: usize,
    pub title: String,
}

/// A built report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The whole page.
    pub html: String,
    /// Repositories reported on, and those that could not be read (each with why).
    pub repositories: Vec<String>,
    pub failed: Vec<(String, String)>,
    /// Sections whose query failed (`id: message`); the page shows each failure in place.
    pub section_errors: Vec<String>,
}

/// A repository of the session as `repos` lists it.
#[derive(Debug, Clone)]
struct RepoRow {
    repo: String,
    url: Option<String>,
    origin_url: Option<String>,
    head_ref: Option<String>,
    head_sha: Option<String>,
    error: Option<String>,
}

/// Builds the report: the session's repositories (cloning remote ones, as any query would),
/// then each section's query in turn, `on_step` told before each.
pub async fn build(
    ctx: &SessionContext,
    options: &ReportOptions,
    on_step: &(dyn Fn(&Step) + Send + Sync),
) -> Result<Report, EngineError> {
    let since = options.since.as_deref().map(check_since).transpose()?;
    let repos = repositories(ctx).await?;
    if repos.is_empty() {
        return Err(query_error(
            "no repository to report on: give -r PATH_OR_URL (or run inside a git repository)",
        ));
    }
    let ready: Vec<&RepoRow> = repos.iter().filter(|r| r.error.is_none()).collect();
    let hosts = github_hosts();
    let on_github: Vec<GitHubRepo> = if options.github {
        ready
            .iter()
            .filter_map(|r| sections::github_repo(&r.repo, r.url.as_deref(), r.origin_url.as_deref(), &hosts))
            .collect()
    } else {
        Vec::new()
    };
    if options.github && on_github.is_empty() {
        tracing::warn!(
            "--github: no repository of this report is on GitHub (by its name, URL or origin remote); no pull-request section"
        );
    }
    let readable: Vec<String> = ready.iter().map(|r| r.repo.clone()).collect();
    let scope = sections::Scope {
        since: since.as_deref(),
        only: (ready.len() < repos.len()).then_some(readable.as_slice()),
    };
    let sections = sections::sections(scope, &on_github);
    // Each query once, in page order; sections sharing one (the code at HEAD) draw its rows.
    let mut queries: Vec<&sections::Section> = Vec::new();
    for section in &sections {
        if !queries.iter().any(|q| q.query == section.query) {
            queries.push(section);
        }
    }
    let mut results: Vec<(&str, Result<String, String>)> = Vec::with_capacity(queries.len());
    let mut section_errors = Vec::new();
    for (i, first) in queries.iter().enumerate() {
        let title = match first.query {
            sections::LINES_AT_HEAD => "The code at HEAD (blame)",
            _ => first.title,
        };
        on_step(&Step {
            index: i + 1,
            total: queries.len(),
            title: title.to_string(),
        });
        let started = std::time::Instant::now();
        let rows = if ready.is_empty() {
            Ok("[]".to_string())
        } else {
            json_rows(ctx, &first.sql).await
        };
        tracing::debug!(query = first.query, elapsed = ?started.elapsed(), "report query");
        match rows {
            Ok(json) => results.push((first.query, Ok(json))),
            Err(e) => {
                // One query that cannot be answered (GitHub out of reach, say) fails its sections
                // in place; the others still tell their story.
                tracing::warn!("report section '{title}' failed: {}", e.message);
                section_errors.push(format!("{}: {}", first.query, e.message));
                results.push((first.query, Err(e.message)));
            }
        }
    }
    let page = page::Page {
        title: options.title.as_deref().unwrap_or("GitFleet report"),
        since: since.as_deref(),
        repos: &repos,
        github: options.github.then_some(on_github.as_slice()),
        sections: &sections,
        results: &results,
    };
    Ok(Report {
        html: page.render(),
        repositories: repos.iter().map(|r| r.repo.clone()).collect(),
        failed: repos
            .iter()
            .filter_map(|r| Some((r.repo.clone(), r.error.clone()?)))
            .collect(),
        section_errors,
    })
}

/// Writes `html` to `path` whole or not at all: a temporary file beside it, renamed over it.
pub fn write(path: &Path, html: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.display();
    let mut file = tempfile::Builder::new()
        .prefix(".gitfleet-report")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write {name}: {e}"))?;
    std::io::Write::write_all(&mut file, html.as_bytes()).map_err(|e| format!("cannot write {name}: {e}"))?;
    // A temporary file is private to its owner; a report is for sharing: keep the mode of the
    // file it replaces, else readable by all as a new file usually is.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    file.persist(path)
        .map_err(|e| format!("cannot write {name}: {}", e.error))?;
    Ok(())
}

/// `YYYY-MM-DD`, a real day.
fn check_since(text: &str) -> Result<String, EngineError> {
    let t = text.trim();
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .filter(|_| t.len() == 10)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| {
            query_error(&format!(
                "--since '{text}' is not a day (YYYY-MM-DD, e.g. 2025-01-31)"
            ))
        })
}

fn query_error(message: &str) -> EngineError {
    EngineError {
        kind: ErrorKind::Query,
        message: message.to_string(),
    }
}

/// The hosts GitHub repositories live on: github.com, and the Enterprise host `GITHUB_API_URL`
/// names.
fn github_hosts() -> Vec<String> {
    let mut hosts = vec!["github.com".to_string()];
    if let Ok(api) = std::env::var("GITHUB_API_URL") {
        if let Ok(url) = url::Url::parse(&api) {
            if let Some(host) = url.host_str().filter(|h| *h != "api.github.com") {
                hosts.push(host.to_string());
            }
        }
    }
    hosts
}

/// The session's repositories, as `repos` lists them (this clones the remote ones).
async fn repositories(ctx: &SessionContext) -> Result<Vec<RepoRow>, EngineError> {
    let json = json_rows(
        ctx,
        "SELECT repo, url, origin_url, head_ref, head_sha, status, error FROM repos ORDER BY repo",
    )
    .await?;
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&json).map_err(|e| query_error(&e.to_string()))?;
    let text = |row: &serde_json::Value, key: &str| row.get(key).and_then(|v| v.as_str()).map(String::from);
    Ok(rows
        .iter()
        .map(|row| RepoRow {
            repo: text(row, "repo").unwrap_or_default(),
            url: text(row, "url"),
            origin_url: text(row, "origin_url"),
            head_ref: text(row, "head_ref"),
            head_sha: text(row, "head_sha"),
            error: (text(row, "status").as_deref() != Some("ready"))
                .then(|| text(row, "error").unwrap_or_else(|| "cannot be read".into())),
        })
        .collect())
}

/// A query's rows as a JSON array of objects, nulls written out (`"repo": null` is the fleet's
/// row), in the shape `gitfleet sql --format json` prints.
async fn json_rows(ctx: &SessionContext, sql: &str) -> Result<String, EngineError> {
    let frame = plan_sql(ctx, sql).await?;
    let batches: Vec<_> = execute_stream(frame).await?.try_collect().await?;
    let mut out = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::JsonArray>(&mut out);
        for batch in &batches {
            writer.write(batch).map_err(|e| query_error(&e.to_string()))?;
        }
        writer.finish().map_err(|e| query_error(&e.to_string()))?;
    }
    if out.is_empty() {
        return Ok("[]".to_string());
    }
    String::from_utf8(out).map_err(|e| query_error(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_day() {
        assert_eq!(check_since(" 2025-01-31 ").unwrap(), "2025-01-31");
        for bad in ["2025-02-30", "2025-1-3", "yesterday", "2025-01-31'; DROP", ""] {
            let e = check_since(bad).unwrap_err();
            assert!(e.message.contains("is not a day"), "{bad}: {}", e.message);
        }
    }
}
