//! The `gitfleet` command as a user runs it: subcommands, formats, stdin, errors, exit codes.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

fn gitfleet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .current_dir(dir)
        .env("GITFLEET_CACHE_DIR", scratch_dir("cli-cache"))
        .args(args)
        .output()
        .expect("gitfleet runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_line(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn default_repository_is_the_current_one() {
    let repo = fixture("basic");
    let subdir = repo.join("src");
    let out = stdout(&gitfleet(
        &subdir,
        &["sql", "SELECT count(*) AS n FROM commits", "--format", "csv"],
    ));
    let count = git(&repo, &["rev-list", "--count", "HEAD"]);
    assert_eq!(out, format!("n\n{}", count));
}

#[test]
fn formats() {
    let repo = fixture("basic");
    let dir = repo.as_path();
    let q = "SELECT sha, parents FROM commits WHERE summary = 'Tune main.c constants'";
    let line = git(dir, &["log", "--format=%H %P", "--grep=^Tune main.c constants$"]);
    let (sha, parent) = line.trim().split_once(' ').unwrap();
    assert_eq!(
        stdout(&gitfleet(dir, &["sql", q, "--format", "csv"])),
        format!("sha,parents\n{sha},[{parent}]\n")
    );
    assert_eq!(
        stdout(&gitfleet(dir, &["sql", q, "--format", "tsv"])),
        format!("sha\tparents\n{sha}\t[{parent}]\n")
    );
    assert_eq!(
        stdout(&gitfleet(dir, &["sql", q, "--format", "ndjson"])),
        format!("{{\"sha\":\"{sha}\",\"parents\":[\"{parent}\"]}}\n")
    );
    assert_eq!(
        stdout(&gitfleet(dir, &["sql", q, "--format", "json"])),
        format!("[{{\"sha\":\"{sha}\",\"parents\":[\"{parent}\"]}}]\n")
    );
    let table = stdout(&gitfleet(dir, &["sql", q]));
    assert!(table.contains(sha) && table.contains("| sha"), "{table}");

    let out_dir = scratch_dir("cli-formats");
    for format in ["parquet", "arrow"] {
        let path = out_dir.join(format!("out.{format}"));
        stdout(&gitfleet(
            dir,
            &[
                "sql",
                "SELECT * FROM commits",
                "--format",
                format,
                "-o",
                path.to_str().unwrap(),
            ],
        ));
        let bytes = std::fs::read(&path).unwrap();
        let magic: &[u8] = if format == "parquet" { b"PAR1" } else { b"ARROW1" };
        assert!(bytes.starts_with(magic), "{format} file");
    }
    // Parquet round trip through the engine's own reader is not available (trimmed features),
    // so check the row count recorded in the footer via the parquet crate instead.
    let file = std::fs::File::open(out_dir.join("out.parquet")).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
    use parquet::file::reader::FileReader;
    let expected: i64 = git(dir, &["rev-list", "--count", "HEAD"]).trim().parse().unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), expected);
}

#[test]
fn sql_from_file_and_stdin_with_several_statements() {
    let repo = fixture("basic");
    let file = scratch_dir("cli-sql").join("q.sql");
    std::fs::write(
        &file,
        "-- two statements\nSELECT 1 AS a;\nSELECT count(*) AS refs FROM refs;\n",
    )
    .unwrap();
    let out = stdout(&gitfleet(
        &repo,
        &["sql", "-f", file.to_str().unwrap(), "--format", "csv"],
    ));
    assert_eq!(out, "a\n1\nrefs\n5\n");

    let mut child = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .current_dir(&repo)
        .args(["sql", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 'x;y' AS s;")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "s\nx;y\n");
}

#[test]
fn every_analysis_runs() {
    let repo = fixture("basic");
    let listing = stdout(&gitfleet(&repo, &["run"]));
    let names: Vec<&str> = listing
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(names.len() >= 5, "{listing}");
    for name in names {
        if gitfleet::analyses::find(name).is_some_and(|a| !a.params().is_empty()) {
            // The GitHub analyses (a repository as parameters): tests/github.rs.
            continue;
        }
        let out = stdout(&gitfleet(&repo, &["run", name, "--format", "csv"]));
        // The fixture has no CODEOWNERS file: ownership_drift's rows are checked in
        // tests/oracle.rs on a repository that has one.
        let rows = if name == "ownership_drift" { 0 } else { 1 };
        assert!(out.lines().count() > rows, "{name} returned no rows: {out}");
    }
    let top = stdout(&gitfleet(&repo, &["run", "top_contributors", "--format", "csv"]));
    let first = top.lines().nth(1).unwrap();
    assert!(first.contains("Alice Smith,alice@example.com,4,"), "{top}");
}

#[test]
fn tables_lists_every_table_and_column() {
    let repo = fixture("basic");
    let out = stdout(&gitfleet(&repo, &["tables"]));
    for needle in [
        "commits",
        "commit_files",
        "refs",
        "files",
        "repos",
        "clone_status",
        "author_email",
        "Timestamp(µs, \"UTC\")",
    ] {
        assert!(out.contains(needle), "missing {needle}: {out}");
    }
}

#[test]
fn errors_are_one_line_with_nonzero_exit() {
    let repo = fixture("basic");
    let outside = scratch_dir("cli-outside");
    let err = stderr_line(&gitfleet(&repo, &["sql", "SELEC 1"]));
    assert!(err.starts_with("error: "), "{err}");
    let err = stderr_line(&gitfleet(
        &repo,
        &["-r", "/no/such/repo", "sql", "SELECT * FROM commits"],
    ));
    assert!(err.contains("repository not found: /no/such/repo"), "{err}");
    let err = stderr_line(&gitfleet(&outside, &["sql", "SELECT * FROM commits"]));
    assert!(err.contains("no repository to scan"), "{err}");
    let err = stderr_line(&gitfleet(&repo, &["run", "nope"]));
    assert!(err.contains("no analysis named 'nope'"), "{err}");
    let err = stderr_line(&gitfleet(
        &repo,
        &[
            "sql",
            "SELECT 1",
            "--format",
            "parquet",
            "-o",
            "/no/dir/x.parquet",
        ],
    ));
    assert!(err.contains("cannot create /no/dir/x.parquet"), "{err}");
    // Queries that need no repository work anywhere.
    assert_eq!(
        stdout(&gitfleet(
            &outside,
            &["sql", "SELECT 1 AS one", "--format", "csv"]
        )),
        "one\n1\n"
    );
}

/// `-o FILE` is replaced only by a complete result: a failing query leaves the old file (and
/// no temporary) behind.
#[test]
fn output_files_are_replaced_only_on_success() {
    let repo = fixture("basic");
    let dir = scratch_dir("cli-output");
    let file = dir.join("result.csv");
    std::fs::write(&file, "old\n").unwrap();
    let path = file.to_str().unwrap();
    let out = gitfleet(
        &repo,
        &["sql", "SELECT nope FROM commits", "-o", path, "--format", "csv"],
    );
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\n");
    let out = gitfleet(
        &repo,
        &[
            "sql",
            "SELECT 1 AS x; SELECT nope FROM commits",
            "-o",
            path,
            "--format",
            "csv",
        ],
    );
    assert!(
        !out.status.success(),
        "a later statement failing fails the whole output"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\n");
    let out = gitfleet(&repo, &["sql", "SELECT 1 AS x", "-o", path, "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x\n1\n");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["result.csv".to_string()], "no temporaries left");
}

/// A reader that stops early (`| head -1`) ends the output normally: exit 0, nothing on stderr.
#[test]
fn a_closed_pipe_is_a_normal_end() {
    let repo = fixture("basic");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .current_dir(&repo)
        .env("GITFLEET_CACHE_DIR", scratch_dir("cli-pipe-cache"))
        // Far more than a pipe holds, so the writer meets the closed pipe.
        .args([
            "sql",
            "SELECT repeat('x', 200000) AS big FROM commits CROSS JOIN commits c2",
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    use std::io::Read;
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// A statement nested deeper than the engine plans safely is one clear error, not a stack
/// overflow that aborts the process; a dashboard's long `OR` of equalities still runs (as an
/// `IN` list) and answers as git does.
#[test]
fn deep_statements_fail_cleanly_and_long_or_filters_run() {
    let repo = fixture("basic");
    let chain = format!("SELECT 1{}", "+1".repeat(2_999));
    let out = gitfleet(&repo, &["sql", &chain]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_line(&out));
    let err = stderr_line(&out);
    assert!(err.starts_with("error: statement too complex"), "{err}");
    // Under the limit, the same chain plans and answers.
    let chain = format!("SELECT 1{} AS n", "+1".repeat(399));
    assert_eq!(
        stdout(&gitfleet(&repo, &["sql", &chain, "--format", "csv"])),
        "n\n400\n"
    );

    let email = git(&repo, &["log", "-1", "--format=%ae"]);
    let expected = git(&repo, &["log", "--format=%ae"])
        .lines()
        .filter(|e| *e == email.trim())
        .count();
    let mut terms: Vec<String> = (0..3_000)
        .map(|i| format!("author_email = 'nobody{i}@example.com'"))
        .collect();
    terms.insert(1_500, format!("author_email = '{}'", email.trim()));
    let sql = format!("SELECT count(*) AS n FROM commits WHERE {}", terms.join(" OR "));
    assert_eq!(
        stdout(&gitfleet(&repo, &["sql", &sql, "--format", "csv"])),
        format!("n\n{expected}\n")
    );
}

/// The library's warnings reach stderr as `warning:` lines; `-q` silences them, `-vv` adds what
/// each scan did.
#[test]
fn warnings_quiet_and_verbose() {
    let repo = fixture("basic");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("git://127.0.0.1:{port}/gone.git");
    let sql = format!(
        "SELECT count(*) AS n FROM commits WHERE repo IN ('{}', '{url}')",
        repo.display()
    );
    let cache = scratch_dir("cli-warnings-cache");
    let run = |extra: &[&str]| {
        let mut args = vec!["--cache-dir", cache.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["sql", &sql, "--format", "csv"]);
        gitfleet(&repo, &args)
    };
    let commits = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let out = run(&[]);
    assert_eq!(stdout(&out), format!("n\n{commits}\n"));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.starts_with(&format!("warning: cannot clone {url}")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = run(&["-q"]);
    assert_eq!(stdout(&out), format!("n\n{commits}\n"));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let out = run(&["-vv"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("debug: the commits scan of") && err.contains("commits_read="),
        "{err}"
    );
    assert!(err.contains("clone job finished"), "{err}");
}

/// What `gitfleet ARGS` (a shell word list) draws on a pseudo-terminal (`script`), 160 columns
/// wide; it must succeed.
fn on_a_terminal(args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_gitfleet"));
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("COLUMNS", "160")
        .env("GITFLEET_CACHE_DIR", scratch_dir("cli-cache"))
        .output()
        .expect("script runs");
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{screen}");
    screen
}

/// A long scan shows a bar on a terminal (here a pseudo-terminal from `script`): the commits
/// done of the walk's total, for the repository being read; the bars are gone before the
/// result prints. Without a terminal nothing is drawn. A report draws which of its steps
/// runs above the scans' bars.
#[test]
fn long_scans_show_progress_on_a_terminal_only() {
    let repo = scratch_dir("progress").join("repo.git");
    common::history::build(
        &repo,
        &common::history::Spec {
            commits: 6000,
            initial_files: 30,
            seed: 29,
        },
    );
    // The total comes from a commit-graph walk (without one it stays unknown: a spinner).
    git(&repo, &["commit-graph", "write", "--reachable"]);
    let total = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let sql = "SELECT sum(additions) AS added FROM commits";
    let screen = on_a_terminal(&format!(
        "-r {} --no-stats-cache sql --format csv '{sql}'",
        repo.display()
    ));
    let bar = format!("/{total} commits of {}", repo.display());
    assert!(screen.contains(&bar), "no `{bar}` in {screen:?}");
    assert!(screen.contains("commits ["), "{screen:?}");
    // The result comes after the last bar was cleared.
    let (before, after) = screen.rsplit_once("added").expect("the header");
    assert!(before.contains(&bar) && !after.contains(&bar), "{screen:?}");

    let piped = gitfleet(&repo, &["--no-stats-cache", "sql", "--format", "csv", sql]);
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "nothing drawn without a terminal"
    );

    // A report: which section runs, over the scans' bars; then the one line saying it is done.
    let page = scratch_dir("progress").join("report.html");
    let screen = on_a_terminal(&format!(
        "-r {} --no-stats-cache report -o {}",
        repo.display(),
        page.display()
    ));
    assert!(
        screen.contains("report [") && screen.contains("/6 Top contributors"),
        "{screen:?}"
    );
    let (_, after) = screen.rsplit_once("wrote ").expect("the last line");
    assert!(!after.contains("report ["), "bars cleared before it: {screen:?}");
    let piped = gitfleet(&repo, &["-q", "report", "-o", page.to_str().unwrap()]);
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "-q: not even the last line"
    );
}

/// The rows of a JSON array of objects with null values left out (the CLI's JSON writer omits
/// them; the report writes `"repo": null` for the fleet's rows).
fn without_nulls(rows: &serde_json::Value) -> Vec<serde_json::Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let kept = row.as_object().unwrap().iter().filter(|(_, v)| !v.is_null());
            serde_json::Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
        })
        .collect()
}

fn fleet_rows(rows: &serde_json::Value) -> Vec<&serde_json::Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["repo"].is_null())
        .collect()
}

/// `gitfleet report` writes one page that needs nothing from the network; each section's rows
/// are what its SQL returns through `gitfleet sql`; Chromium draws every chart with one mark per
/// row shown and says nothing on its console, at a desktop and at a phone's width; captions
/// state the fixture's own numbers. Screenshots go to the target dir's `tmp/report-shots`.
#[test]
fn report_is_one_offline_page_drawn_from_the_sql_it_shows() {
    let repo = fixture("basic");
    let dir = scratch_dir("cli-report");
    let page = dir.join("report.html");
    let out = gitfleet(&repo, &["report", "-o", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote "));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.matches("<script").count() >= 5,
        "the data, three libraries and the page's own"
    );
    let markup = report::markup(&html);
    for remote in ["<script src", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!markup.contains(remote), "the page loads something ({remote})");
    }

    let sections = report::sections(&html);
    let ids: Vec<&str> = sections.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "commits_per_week",
            "authors_per_month",
            "activity",
            "top_contributors",
            "code_age",
            "ownership",
            "bus_factor",
            "churn_hotspots"
        ]
    );
    let data = report::data(&html);
    for (id, sql) in &sections {
        let printed = stdout(&gitfleet(&repo, &["sql", "--format", "json", sql]));
        let expected: serde_json::Value = serde_json::from_str(&printed).unwrap();
        let rows = report::rows(&data, id);
        assert!(!rows.as_array().unwrap().is_empty(), "{id} has no rows");
        assert_eq!(without_nulls(&rows), without_nulls(&expected), "{id}");
    }
    // The code at HEAD is one query, three charts: each equals its ready-made analysis.
    let analysis = |name: &str| -> Vec<serde_json::Value> {
        let printed = stdout(&gitfleet(&repo, &["run", name, "--format", "json"]));
        serde_json::from_str::<serde_json::Value>(&printed)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let (ages, owners, factors) = (
        analysis("code_age"),
        analysis("code_ownership"),
        analysis("bus_factor"),
    );

    let rows = |id: &str| report::rows(&data, id);
    let commits: i64 = rows("commits_per_week")
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["commits"].as_i64().unwrap())
        .sum();
    assert_eq!(
        commits.to_string(),
        git(&repo, &["rev-list", "--count", "HEAD"]).trim()
    );
    let shots = report::shots_dir();
    for width in [1280, 390] {
        let shown = report::render(&page, "", width);
        assert_eq!(shown.console, Vec::<String>::new(), "at {width} px");
        assert_eq!(report::body_attribute(&shown.dom, "data-errors"), None);
        assert_eq!(
            report::body_attribute(&shown.dom, "data-rendered").as_deref(),
            Some("9")
        );
        let marks = report::marks(&shown.dom);
        let top = rows("top_contributors");
        let people = fleet_rows(&top).len();
        let churn = rows("churn_hotspots");
        let expected = [
            ("activity", fleet_rows(&rows("activity")).len()),
            ("authors_per_month", fleet_rows(&rows("authors_per_month")).len()),
            ("bus_factor", factors.len().min(20)),
            (
                "churn_hotspots",
                churn
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["fleet_rank"].as_i64() <= Some(20))
                    .count(),
            ),
            ("code_age", ages.len()),
            (
                "commits_per_week",
                rows("commits_per_week").as_array().unwrap().len(),
            ),
            ("ownership", owners.len().min(10)),
            ("top_contributors_commits", people),
            ("top_contributors_lines", 2 * people),
        ];
        let expected: std::collections::BTreeMap<String, usize> =
            expected.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(marks, expected, "at {width} px");
        assert!(expected.values().all(|n| *n > 0));

        let caption = |id: &str| report::text_of(&shown.dom, &format!("caption-{id}")).unwrap();
        assert!(
            caption("commits_per_week").starts_with(&format!("{commits} commits in ")),
            "{}",
            caption("commits_per_week")
        );
        let first = fleet_rows(&top)[0].clone();
        assert_eq!(first["author"], "Alice Smith", "{top}");
        let text = caption("top_contributors");
        assert!(
            text.starts_with(&format!("Alice Smith made {}% of the commits", first["percent"])),
            "{text}"
        );
        let ones = factors.iter().filter(|r| r["bus_factor"] == 1).count();
        let text = caption("bus_factor");
        let expected = format!("{ones} of the {} top-level directories", factors.len());
        assert!(text.starts_with(&expected), "{text}");
        let text = caption("ownership");
        let expected = format!(
            "{} last changed {}% of the lines",
            owners[0]["author"].as_str().unwrap(),
            owners[0]["percent"]
        );
        assert!(text.starts_with(&expected), "{text} / {expected}");
        let lines: i64 = ages.iter().map(|r| r["lines"].as_i64().unwrap()).sum();
        let text = caption("code_age");
        assert!(
            text.contains(&format!("% of the {lines} lines at HEAD")),
            "{text}"
        );
        report::screenshot(&page, width, 4200, &shots.join(format!("report-{width}.png")));
    }
}

/// Several repositories: a selector (and `#repo=NAME` in the address) narrows every chart to
/// one; a repository that cannot be read is named in the header with why, the others reported.
/// `--since` keeps later commits only; a bad day and `--strict` with a failure are one-line
/// errors, and the old file stays.
#[test]
fn report_on_several_repositories_names_the_one_that_failed() {
    let basic = fixture("basic");
    let trees = fixture("trees");
    let dir = scratch_dir("cli-report-fleet");
    let page = dir.join("fleet.html");
    let missing = dir.join("gone");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["-r", basic.to_str().unwrap(), "-r", trees.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        gitfleet(&dir, &a)
    };
    let out = run(args(&[
        "-r",
        missing.to_str().unwrap(),
        "report",
        "-o",
        page.to_str().unwrap(),
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrote ") && err.contains("(2 repositories; 1 could not be read"),
        "{err}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let data = report::data(&html);
    assert_eq!(data["repos"].as_array().unwrap().len(), 2);
    let shown = report::render(&page, "", 1280);
    assert_eq!(shown.console, Vec::<String>::new());
    let failed = report::text_of(&shown.dom, "failed-repos").unwrap();
    assert!(
        failed.contains(missing.to_str().unwrap()) && failed.contains("not found"),
        "{failed}"
    );
    let options = shown.dom.matches("<option").count();
    assert_eq!(options, 3, "all, and each readable repository");

    // One repository's view: its rows only, and its numbers in the captions.
    let suffix = format!("#repo={}", trees.to_str().unwrap());
    let one = report::render(&page, &suffix, 1280);
    assert_eq!(report::body_attribute(&one.dom, "data-errors"), None);
    let weeks = report::rows(&data, "commits_per_week");
    let weeks = weeks.as_array().unwrap();
    let mine: Vec<_> = weeks
        .iter()
        .filter(|r| r["repo"] == trees.to_str().unwrap())
        .collect();
    let commits: i64 = mine.iter().map(|r| r["commits"].as_i64().unwrap()).sum();
    assert_eq!(
        commits.to_string(),
        git(&trees, &["rev-list", "--count", "HEAD"]).trim()
    );
    assert_eq!(report::marks(&one.dom)["commits_per_week"], mine.len());
    let caption = report::text_of(&one.dom, "caption-commits_per_week").unwrap();
    assert!(
        caption.starts_with(&format!("{commits} commits in ")),
        "{caption}"
    );
    let fleet = report::text_of(&shown.dom, "caption-commits_per_week").unwrap();
    assert_ne!(caption, fleet);

    // --since: only commits from that day on (the basic fixture's commits are in January 2024).
    let since = dir.join("since.html");
    let out = run(args(&[
        "report",
        "--since",
        "2024-01-05",
        "-o",
        since.to_str().unwrap(),
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let data = report::data(&std::fs::read_to_string(&since).unwrap());
    let counted: i64 = report::rows(&data, "commits_per_week")
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["repo"] == basic.to_str().unwrap())
        .map(|r| r["commits"].as_i64().unwrap())
        .sum();
    let expected = git(
        &basic,
        &["rev-list", "--count", "--since=2024-01-05T00:00:00Z", "HEAD"],
    );
    assert_eq!(counted.to_string(), expected.trim());

    let before = std::fs::read(&page).unwrap();
    let err = stderr_line(&run(args(&[
        "report",
        "--since",
        "last week",
        "-o",
        page.to_str().unwrap(),
    ])));
    assert!(err.contains("--since 'last week' is not a day"), "{err}");
    let err = stderr_line(&run(args(&[
        "--strict",
        "-r",
        missing.to_str().unwrap(),
        "report",
        "-o",
        page.to_str().unwrap(),
    ])));
    assert!(err.contains("cannot report on"), "{err}");
    assert_eq!(
        std::fs::read(&page).unwrap(),
        before,
        "a failed report left the old file"
    );
}
