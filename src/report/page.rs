//! The report page: a header naming every repository (and those that could not be read), one
//! skeleton per section with its SQL, the rows as JSON, and the scripts inlined (Vega, Vega-Lite
//! and vega-embed from `assets/`, then `report.js`), so the file opens offline, from a file://
//! URL or an e-mail attachment.

use std::fmt::Write;

use super::sections::{GitHubRepo, Section};
use super::RepoRow;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
/// The chart library, as published (`assets/README.md`: versions, licences, how to update).
const LIBRARIES: [&str; 3] = [
    include_str!("assets/vega.min.js"),
    include_str!("assets/vega-lite.min.js"),
    include_str!("assets/vega-embed.min.js"),
];

pub(super) struct Page<'a> {
    pub title: &'a str,
    pub since: Option<&'a str>,
    pub repos: &'a [RepoRow],
    /// `Some` when GitHub sections were asked for: the repositories found on GitHub.
    pub github: Option<&'a [GitHubRepo]>,
    pub sections: &'a [Section],
    /// Each query's rows (a JSON array), or why it failed, by query id.
    pub results: &'a [(&'a str, Result<String, String>)],
}

impl Page<'_> {
    pub(super) fn render(&self) -> String {
        let mut html = String::with_capacity(LIBRARIES.iter().map(|l| l.len()).sum::<usize>() + 64 * 1024);
        let title = escape(self.title);
        let version = env!("CARGO_PKG_VERSION");
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n\
             <meta name=\"generator\" content=\"gitfleet {version}\">\n<title>{title}</title>\n\
             <style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n"
        );
        self.header(&mut html);
        html.push_str("</header>\n<main>\n");
        for section in self.sections {
            let id = section.id;
            let rows = self.rows(section.query);
            let _ = write!(
                html,
                "<section class=\"section\" id=\"{id}\" data-section=\"{id}\">\n<h2>{}</h2>\n\
                 <p class=\"caption\" id=\"caption-{id}\"></p>\n",
                escape(section.title)
            );
            if let Some(Err(message)) = rows {
                let _ = writeln!(
                    html,
                    "<p class=\"error\" role=\"alert\">This section could not be computed: {}</p>",
                    escape(message)
                );
            }
            let _ = write!(
                html,
                "<div class=\"charts\" id=\"charts-{id}\"></div>\n\
                 <details class=\"sql\"><summary>SQL</summary><pre><code>{}</code></pre></details>\n</section>\n",
                escape(&section.sql)
            );
        }
        let _ = write!(
            html,
            "</main>\n<footer>\n<p>Every chart is drawn from the SQL under it, which runs as it is with \
             <code>gitfleet{} sql</code>. Made with gitfleet {version}; charts by \
             <a href=\"https://vega.github.io/vega-lite/\">Vega-Lite</a> (BSD-3-Clause), inlined.</p>\n\
             </footer>\n<noscript><p class=\"error\">The charts need JavaScript; the SQL under each \
             section shows what they would draw.</p></noscript>\n",
            self.repo_args()
        );
        let _ = writeln!(
            html,
            "<script type=\"application/json\" id=\"gitfleet-data\">{}</script>",
            self.data()
        );
        for library in LIBRARIES {
            let _ = write!(html, "<script>{library}\n</script>\n");
        }
        let _ = write!(html, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
        html
    }

    /// What the report covers, the repositories that could not be read, and the selector.
    fn header(&self, html: &mut String) {
        let ready: Vec<&RepoRow> = self.repos.iter().filter(|r| r.error.is_none()).collect();
        let failed: Vec<&RepoRow> = self.repos.iter().filter(|r| r.error.is_some()).collect();
        let generated = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| chrono::DateTime::from_timestamp(d.as_secs() as i64, 0))
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let range = match self.since {
            Some(day) => format!("commits since {day}"),
            None => "the whole history".to_string(),
        };
        let _ = writeln!(
            html,
            "<p class=\"meta\">{} · {range} · lines as at HEAD · generated {generated}</p>",
            plural(ready.len(), "repository", "repositories"),
        );
        if !failed.is_empty() {
            let _ = writeln!(
                html,
                "<div class=\"failed\" role=\"alert\" id=\"failed-repos\"><strong>Not in this report \
                 ({}):</strong>\n<ul>",
                plural(
                    failed.len(),
                    "repository could not be read",
                    "repositories could not be read"
                )
            );
            for r in &failed {
                let _ = writeln!(
                    html,
                    "<li><code>{}</code>: {}</li>",
                    escape(&r.repo),
                    escape(r.error.as_deref().unwrap_or(""))
                );
            }
            html.push_str("</ul></div>\n");
        }
        if let Some(github) = self.github {
            let missing: Vec<&str> = ready
                .iter()
                .filter(|r| !github.iter().any(|g| g.repo == r.repo))
                .map(|r| r.repo.as_str())
                .collect();
            if !missing.is_empty() {
                let _ = writeln!(
                    html,
                    "<p class=\"note\" id=\"not-on-github\">Not on GitHub (by name, URL or origin remote), so \
                     without pull requests: {}</p>",
                    missing
                        .iter()
                        .map(|m| format!("<code>{}</code>", escape(m)))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if ready.len() > 1 {
            // One selector for the whole page, not a section per repository: at 50 repositories
            // that would be 400 charts to scroll through, and the fleet's own view would be lost.
            let _ = write!(
                html,
                "<label class=\"picker\">Showing <select id=\"repo-select\">\n<option value=\"\">all {} \
                 repositories</option>\n",
                ready.len()
            );
            for r in &ready {
                let _ = writeln!(html, "<option>{}</option>", escape(&r.repo));
            }
            html.push_str("</select></label>\n");
        }
        let _ = writeln!(
            html,
            "<details class=\"repos\"><summary>Repositories</summary>\n<table>\n\
             <tr><th>repository</th><th>HEAD</th><th>commit</th><th>state</th></tr>"
        );
        for r in self.repos {
            let _ = writeln!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&r.repo),
                escape(
                    r.head_ref
                        .as_deref()
                        .map_or("(detached)", |h| h.trim_start_matches("refs/heads/"))
                ),
                escape(r.head_sha.as_deref().map_or("", |s| &s[..s.len().min(12)])),
                if r.error.is_some() {
                    "could not be read"
                } else {
                    "ready"
                }
            );
        }
        html.push_str("</table></details>\n");
    }

    fn rows(&self, query: &str) -> Option<&Result<String, String>> {
        self.results
            .iter()
            .find(|(id, _)| *id == query)
            .map(|(_, rows)| rows)
    }

    /// `-r A -r B` as a shell would take them.
    fn repo_args(&self) -> String {
        self.repos
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| format!(" -r {}", escape(&shell_quote(&r.repo))))
            .collect()
    }

    /// The rows of every section and the readable repositories, as JSON for `report.js`. A `<`
    /// is written `\u003c` (the same string to JSON), so no value can end the script element.
    fn data(&self) -> String {
        let ready: Vec<&str> = self
            .repos
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| r.repo.as_str())
            .collect();
        let sections: serde_json::Map<String, serde_json::Value> = self
            .sections
            .iter()
            .map(|s| (s.id.to_string(), s.query.into()))
            .collect();
        let mut json = format!(
            "{{\"repos\":{},\"sections\":{},\"queries\":{{",
            serde_json::Value::from(ready),
            serde_json::Value::Object(sections)
        );
        for (i, (query, rows)) in self.results.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            let (rows, error) = match rows {
                Ok(rows) => (rows.as_str(), serde_json::Value::Null),
                Err(message) => ("[]", serde_json::Value::String(message.clone())),
            };
            let _ = write!(json, "\"{query}\":{{\"rows\":{rows},\"error\":{error}}}");
        }
        json.push_str("}}");
        json.replace('<', "\\u003c")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A shell word: as it is when it needs no quoting, else in single quotes.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@+=,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_library_can_end_its_script_element() {
        for library in LIBRARIES.iter().chain([&SCRIPT]) {
            let lower = library.to_ascii_lowercase();
            assert!(!lower.contains("</script"), "an inlined script holds </script");
            assert!(
                !lower.contains("sourcemappingurl"),
                "an inlined script asks for a source map"
            );
        }
    }

    #[test]
    fn hostile_names_stay_text() {
        let repos = [RepoRow {
            repo: "/src/<script>alert(1)</script>".into(),
            url: None,
            origin_url: None,
            head_ref: Some("refs/heads/x\"><b>".into()),
            head_sha: Some("0123456789abcdef".into()),
            error: None,
        }];
        let sections = [Section {
            id: "commits_per_week",
            title: "Commits",
            query: "commits_per_week",
            sql: "SELECT '</script>'".into(),
        }];
        let results = [(
            "commits_per_week",
            Ok(r#"[{"repo":"</script><script>alert(2)</script>"}]"#.to_string()),
        )];
        let page = Page {
            title: "<i>t</i>",
            since: None,
            repos: &repos,
            github: None,
            sections: &sections,
            results: &results,
        };
        let html = page.render();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<i>t"));
        assert!(html.contains("\\u003c/script>\\u003cscript>alert(2)"));
        assert!(html.contains("&lt;script&gt;alert(1)"));
        assert_eq!(shell_quote("/src/it's"), "'/src/it'\\''s'");
    }
}
