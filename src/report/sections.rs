//! The report's sections: each one query over the session's tables, shown to the reader as is
//! (runnable with `gitfleet sql`). How a section is drawn and captioned lives with the page
//! (`report.js`); this file says only what is asked.
//!
//! Rows for a single repository carry its name in `repo`. Sections whose numbers cannot be
//! added up across repositories (distinct authors, shares, percentiles) also have rows with
//! `repo` NULL: the same numbers for the whole fleet, from `GROUPING SETS`.

/// One section of the report.
#[derive(Debug, Clone)]
pub(super) struct Section {
    /// Stable id: the page's element ids and `report.js`'s drawing code are keyed by it.
    pub id: &'static str,
    pub title: &'static str,
    /// The query whose rows the section draws: its own id, or one several sections share.
    pub query: &'static str,
    pub sql: String,
}

/// The query behind the three sections about the code at HEAD.
pub(super) const LINES_AT_HEAD: &str = "lines_at_head";

impl Section {
    fn own(id: &'static str, title: &'static str, sql: String) -> Self {
        Section {
            id,
            title,
            query: id,
            sql,
        }
    }

    fn sharing(id: &'static str, title: &'static str, query: &'static str, sql: String) -> Self {
        Section {
            id,
            title,
            query,
            sql,
        }
    }
}

/// A GitHub repository of the session: the session's name for it and where it lives on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GitHubRepo {
    pub repo: String,
    pub owner: String,
    pub name: String,
}

/// What the sections read: commits from `since` on (a validated `YYYY-MM-DD`), and only the
/// repositories `only` names when some of the session's cannot be read (a missing local path
/// would fail every query; `repo IN (...)` leaves it out before it is opened).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Scope<'a> {
    pub since: Option<&'a str>,
    pub only: Option<&'a [String]>,
}

impl Scope<'_> {
    /// The conditions on a table whose columns are prefixed `prefix` (`""` or `"f."`); `time`:
    /// whether it has `committer_time`.
    fn conditions(&self, repo_prefix: &str, time_prefix: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(only) = self.only {
            let list: Vec<String> = only.iter().map(|r| quote(r)).collect();
            out.push(format!("{repo_prefix}repo IN ({})", list.join(", ")));
        }
        if let (Some(day), Some(prefix)) = (self.since, time_prefix) {
            // Commits committed on or after the day, as `git log --since` counts them; a lower
            // bound on committer_time also stops the history walk early.
            out.push(format!("{prefix}committer_time >= '{day}T00:00:00Z'"));
        }
        out
    }
}

/// `\n{indent}WHERE a AND b`, or nothing.
fn where_(conditions: &[String], indent: &str) -> String {
    if conditions.is_empty() {
        return String::new();
    }
    format!("\n{indent}WHERE {}", conditions.join(" AND "))
}

/// `\n{indent}  AND a AND b`, or nothing (after a WHERE of the query's own).
fn and(conditions: &[String], indent: &str) -> String {
    conditions
        .iter()
        .map(|c| format!("\n{indent}  AND {c}"))
        .collect()
}

/// The sections, in page order. `github` lists the repositories whose pull requests are
/// charted (none: no GitHub section).
pub(super) fn sections(scope: Scope<'_>, github: &[GitHubRepo]) -> Vec<Section> {
    let commits = scope.conditions("", Some(""));
    let where_since = where_(&commits, "");
    let and_since = and(&commits, "  ");
    let lines_at_head = lines_at_head_sql(&scope.conditions("", None));
    let mut all = vec![
        Section {
            id: "commits_per_week",
            title: "Commits per week",
            query: "commits_per_week",
            sql: format!(
                "-- Commits per week (weeks start on Monday, by commit date) and repository.
SELECT repo, CAST(date_trunc('week', committer_time) AS DATE) AS week, count(*) AS commits
FROM commits{where_since}
GROUP BY 1, 2
ORDER BY week, repo"
            ),
        },
        Section {
            id: "authors_per_month",
            title: "Active authors per month",
            query: "authors_per_month",
            sql: format!(
                "-- People who authored commits each month (after .mailmap; bots left out).
-- repo NULL: the whole fleet (a person active in two repositories counts once).
SELECT repo, month, count(DISTINCT email) AS authors
FROM (
  SELECT repo, CAST(date_trunc('month', author_time) AS DATE) AS month, mailmap_author_email AS email
  FROM commits
  WHERE NOT author_is_bot{and_since}
)
GROUP BY GROUPING SETS ((repo, month), (month))
ORDER BY month, repo NULLS FIRST"
            ),
        },
        Section {
            id: "activity",
            title: "When people commit",
            query: "activity",
            sql: format!(
                "-- Commits by weekday (0 = Sunday) and hour, in each author's own time zone; bots left out.
-- repo NULL: the whole fleet.
SELECT repo, weekday, hour, count(*) AS commits
FROM (
  SELECT
    repo,
    CAST(date_part('dow', local_time) AS BIGINT) AS weekday,
    CAST(date_part('hour', local_time) AS BIGINT) AS hour
  FROM (
    SELECT repo, to_timestamp_seconds(CAST(to_unixtime(author_time) AS BIGINT) + author_offset * 60) AS local_time
    FROM commits
    WHERE NOT author_is_bot{and_since}
  )
)
GROUP BY GROUPING SETS ((repo, weekday, hour), (weekday, hour))
ORDER BY repo NULLS FIRST, weekday, hour"
            ),
        },
        Section {
            id: "top_contributors",
            title: "Top contributors",
            query: "top_contributors",
            sql: format!(
                "-- The 15 people with the most commits (after .mailmap; bots left out), with lines added and
-- removed (merges count as commits; their lines are against the first parent) and their share
-- of all commits. repo NULL: the whole fleet.
WITH people AS (
  SELECT repo, mailmap_author_name AS author, mailmap_author_email AS email,
         count(*) AS commits, sum(additions) AS added, sum(deletions) AS removed
  FROM commits
  WHERE NOT author_is_bot{and_since}
  GROUP BY GROUPING SETS ((repo, mailmap_author_name, mailmap_author_email),
                          (mailmap_author_name, mailmap_author_email))
),
ranked AS (
  SELECT *,
         round(100.0 * commits / sum(commits) OVER (PARTITION BY repo), 1) AS percent,
         row_number() OVER (PARTITION BY repo ORDER BY commits DESC, added DESC, email) AS rank
  FROM people
)
SELECT repo, rank, author, email, commits, added, removed, percent
FROM ranked
WHERE rank <= 15
ORDER BY repo NULLS FIRST, rank"
            ),
        },
        // The three views of the code at HEAD share one query: blame is by far the report's
        // dearest scan (135 s of git.git's whole HEAD on 2 cores), so it runs once.
        Section::sharing("code_age", "Age of the code at HEAD", LINES_AT_HEAD, lines_at_head.clone()),
        Section::sharing("ownership", "Who owns the lines at HEAD", LINES_AT_HEAD, lines_at_head.clone()),
        Section::sharing("bus_factor", "Bus factor per top-level directory", LINES_AT_HEAD, lines_at_head),
        Section {
            id: "churn_hotspots",
            title: "Churn hot spots",
            query: "churn_hotspots",
            sql: {
                let from = match scope.since {
                    Some(_) => "commit_files f\n  JOIN commits c ON c.repo = f.repo AND c.sha = f.sha",
                    None => "commit_files f",
                };
                let filter = where_(&scope.conditions("f.", Some("c.")), "  ");
                format!(
                    "-- Files changed by the most commits, with lines touched (paths as at each commit). The 20
-- busiest of each repository and of the whole fleet (fleet_rank).
WITH touched AS (
  SELECT f.repo, f.path, count(*) AS commits, sum(f.additions) AS added, sum(f.deletions) AS removed,
         sum(f.additions + f.deletions) AS churn
  FROM {from}{filter}
  GROUP BY f.repo, f.path
),
ranked AS (
  SELECT *,
         row_number() OVER (PARTITION BY repo ORDER BY commits DESC, churn DESC, path) AS repo_rank,
         row_number() OVER (ORDER BY commits DESC, churn DESC, repo, path) AS fleet_rank
  FROM touched
)
SELECT repo, path, commits, added, removed, churn, repo_rank, fleet_rank
FROM ranked
WHERE repo_rank <= 20 OR fleet_rank <= 20
ORDER BY fleet_rank"
                )
            },
        },
    ];
    if !github.is_empty() {
        all.push(Section::own(
            "pull_requests",
            "Pull requests",
            pull_requests_sql(scope.since, github),
        ));
    }
    all
}

/// Pull requests opened and merged per month, and hours from opening to merge (median, p90) of
/// those merged that month. One `gh_pulls` read per repository: its required `owner`/`repo`
/// filters pushed down exactly (an IN list over several owners would also ask for pairs that
/// do not exist).
fn pull_requests_sql(since: Option<&str>, github: &[GitHubRepo]) -> String {
    let reads: Vec<String> = github
        .iter()
        .map(|g| {
            format!(
                "  SELECT {} AS repo, created_at, merged_at FROM gh_pulls WHERE owner = {} AND repo = {}",
                quote(&g.repo),
                quote(&g.owner),
                quote(&g.name)
            )
        })
        .collect();
    let (opened_since, merged_since) = match since {
        Some(d) => (
            format!(" AND p.created_at >= '{d}T00:00:00Z'"),
            format!(" AND p.merged_at >= '{d}T00:00:00Z'"),
        ),
        None => (String::new(), String::new()),
    };
    // Each pull request is an opening and, once merged, a merge: a join with two kinds rather
    // than a UNION of two SELECTs over `pulls`, which would list every repository's pulls twice.
    format!(
        "-- Pull requests opened and merged per month, and hours from opening to merge (median and
-- 90th percentile) of those merged that month. repo NULL: the whole fleet.
WITH pulls AS (
{reads}
),
events AS (
  SELECT p.repo,
         k.kind,
         CAST(date_trunc('month', CASE k.kind WHEN 'opened' THEN p.created_at ELSE p.merged_at END) AS DATE) AS month,
         CASE k.kind WHEN 'merged' THEN (to_unixtime(p.merged_at) - to_unixtime(p.created_at)) / 3600.0 END AS hours
  FROM pulls p CROSS JOIN (VALUES ('opened'), ('merged')) AS k(kind)
  WHERE (k.kind = 'opened'{opened_since})
     OR (k.kind = 'merged' AND p.merged_at IS NOT NULL{merged_since})
)
SELECT repo, month,
       count(*) FILTER (WHERE kind = 'opened') AS opened,
       count(*) FILTER (WHERE kind = 'merged') AS merged,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hours), 1) AS median_hours_to_merge,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY hours), 1) AS p90_hours_to_merge
FROM events
GROUP BY GROUPING SETS ((repo, month), (month))
ORDER BY month, repo NULLS FIRST",
        reads = reads.join("\n  UNION ALL\n")
    )
}

/// The lines at HEAD (blame) counted by repository, top-level directory, author and age: the
/// rows the age histogram, the ownership shares and the bus factors are drawn from (the same
/// numbers as the `code_age`, `code_ownership` and `bus_factor` analyses, which the tests check).
/// Lines are grouped by their commit time before the ages are worked out, so the window over
/// each repository holds one row per author, directory and time rather than one per line.
fn lines_at_head_sql(conditions: &[String]) -> String {
    format!(
        "-- The lines at HEAD (blame), counted by repository, top-level directory ('.': files at the
-- root), author, whether the author is a bot, and age: how long before the repository's
-- newest change each line was last changed. The three sections on the code at HEAD are drawn
-- from these rows (bots left out of ownership and bus factor, as in the `code_ownership` and
-- `bus_factor` analyses).
WITH grouped AS (
  SELECT repo,
         CASE WHEN strpos(path, '/') > 0 THEN split_part(path, '/', 1) ELSE '.' END AS directory,
         author_name AS author,
         author_email AS email,
         is_bot(author_name, author_email) AS is_bot,
         to_unixtime(author_time) AS changed,
         count(*) AS lines
  FROM blame{}
  GROUP BY 1, 2, 3, 4, 5, 6
),
aged AS (
  SELECT *, (max(changed) OVER (PARTITION BY repo) - changed) / 86400 AS days
  FROM grouped
)
SELECT repo, directory, author, email, is_bot,
       CASE
         WHEN days < 30 THEN '1: < 1 month'
         WHEN days < 182 THEN '2: 1-6 months'
         WHEN days < 365 THEN '3: 6-12 months'
         WHEN days < 730 THEN '4: 1-2 years'
         ELSE '5: 2+ years'
       END AS age,
       sum(lines) AS lines
FROM aged
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY repo, directory, lines DESC, email, age",
        where_(conditions, "  ")
    )
}

/// A SQL string literal.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The GitHub repository a session repository lives in: its name when that is a GitHub URL,
/// else its `origin` remote's. `hosts` are the GitHub hosts (github.com, and an Enterprise
/// host from `GITHUB_API_URL`).
pub(super) fn github_repo(
    repo: &str,
    url: Option<&str>,
    origin: Option<&str>,
    hosts: &[String],
) -> Option<GitHubRepo> {
    [Some(repo), url, origin]
        .into_iter()
        .flatten()
        .find_map(|candidate| {
            let (owner, name) = parse_github_url(candidate, hosts)?;
            Some(GitHubRepo {
                repo: repo.to_string(),
                owner,
                name,
            })
        })
}

/// `owner` and `name` of `https://HOST/owner/name[.git]`, `ssh://git@HOST/owner/name`,
/// `git@HOST:owner/name.git` or `github:owner/name`, for a GitHub host.
fn parse_github_url(url: &str, hosts: &[String]) -> Option<(String, String)> {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix("github:") {
        rest
    } else if let Some((_, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?.split(':').next()?;
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return None;
        }
        path
    } else {
        let (user_host, path) = url.split_once(':')?;
        let host = user_host.rsplit('@').next()?;
        if !user_host.contains('@') || !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return None;
        }
        path
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.split_once('/')?;
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (valid(owner) && valid(name)).then(|| (owner.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_of_every_form() {
        let hosts = vec!["github.com".to_string(), "git.corp.example".to_string()];
        let parse = |u: &str| parse_github_url(u, &hosts);
        let acme = Some(("acme".to_string(), "widgets".to_string()));
        assert_eq!(parse("https://github.com/acme/widgets"), acme);
        assert_eq!(parse("https://github.com/acme/widgets.git"), acme);
        assert_eq!(parse("https://***@github.com/acme/widgets/"), acme);
        assert_eq!(parse("ssh://git@github.com/acme/widgets.git"), acme);
        assert_eq!(parse("git@github.com:acme/widgets.git"), acme);
        assert_eq!(parse("github:acme/widgets"), acme);
        assert_eq!(parse("https://git.corp.example/acme/widgets"), acme);
        assert_eq!(parse("https://gitlab.com/acme/widgets"), None);
        assert_eq!(parse("/srv/git/acme/widgets"), None);
        assert_eq!(parse("https://github.com/acme"), None);
        assert_eq!(parse("https://github.com/acme/wid gets"), None);
        let local = github_repo("/src/w", None, Some("git@github.com:acme/widgets.git"), &hosts).unwrap();
        assert_eq!((local.repo.as_str(), local.owner.as_str()), ("/src/w", "acme"));
    }

    #[test]
    fn since_reaches_every_history_section() {
        let github = [GitHubRepo {
            repo: "/src/o'brien".into(),
            owner: "acme".into(),
            name: "widgets".into(),
        }];
        let only = ["/src/a".to_string(), "/src/o'brien".to_string()];
        let scope = Scope {
            since: Some("2025-03-01"),
            only: Some(&only),
        };
        let all = sections(scope, &github);
        for s in &all {
            let blame = s.sql.contains("FROM blame");
            assert_eq!(s.sql.contains("2025-03-01T00:00:00Z"), !blame, "{}", s.id);
            if s.id != "pull_requests" {
                assert!(s.sql.contains("repo IN ('/src/a', '/src/o''brien')"), "{}", s.sql);
            }
        }
        let pulls = all.last().unwrap();
        assert!(
            pulls.sql.contains("SELECT '/src/o''brien' AS repo"),
            "{}",
            pulls.sql
        );
        let plain = sections(Scope::default(), &[]);
        assert_eq!(plain.len(), all.len() - 1);
        assert!(plain.iter().all(|s| !s.sql.contains("repo IN")));
    }
}
