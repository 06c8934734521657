//! The tables against git itself: every answer is compared with the git CLI's own output.

mod common;

use std::path::Path;

use common::*;

#[test]
fn commits_match_git_log() {
    let repo = fixture("basic");
    let expected = sorted(
        git(
            &repo,
            &[
                "log",
                "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ai%x1f%cn%x1f%ce%x1f%ct%x1f%ci%x1f%s",
            ],
        )
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\x1f').collect();
            let offset = |iso: &str| {
                let tz = &iso[iso.len() - 5..];
                let sign = if tz.starts_with('-') { -1 } else { 1 };
                sign * (tz[1..3].parse::<i32>().unwrap() * 60 + tz[3..5].parse::<i32>().unwrap())
            };
            let parents = if f[1].is_empty() {
                "[]".to_string()
            } else {
                format!("[{}]", f[1].replace(' ', ", "))
            };
            [
                f[0].to_string(),
                parents,
                f[2].to_string(),
                f[3].to_string(),
                f[4].to_string(),
                offset(f[5]).to_string(),
                f[6].to_string(),
                f[7].to_string(),
                f[8].to_string(),
                offset(f[9]).to_string(),
                f[10].to_string(),
            ]
            .join("\x1f")
        })
        .collect(),
    );
    let actual = sorted_lines(&query(
        &repo,
        "SELECT sha, parents, author_name, author_email, CAST(to_unixtime(author_time) AS BIGINT), author_offset, \
         committer_name, committer_email, CAST(to_unixtime(committer_time) AS BIGINT), committer_offset, summary \
         FROM commits",
    ));
    assert_eq!(actual, expected);
    assert!(actual
        .iter()
        .any(|l| l.contains("José García") && l.contains("café crème")));
}

#[test]
fn commit_stats_match_numstat() {
    assert_stats_match_numstat(&fixture("basic"));
}

/// Each non-merge commit's stats equal `git log --numstat`'s.
fn assert_stats_match_numstat(repo: &Path) {
    let merges = merges(repo);
    let expected: Vec<String> = numstat(repo, &[])
        .into_iter()
        .filter(|(sha, _)| !merges.contains(sha))
        .map(|(sha, files)| {
            let a: i64 = files.iter().map(|f| f.2).sum();
            let d: i64 = files.iter().map(|f| f.3).sum();
            format!("{sha}\x1f{a}\x1f{d}\x1f{}", files.len())
        })
        .collect();
    let actual = sorted_lines(&query(
        repo,
        "SELECT sha, additions, deletions, files_changed FROM commits WHERE NOT is_merge",
    ));
    assert_eq!(actual, sorted(expected));
}

/// Scans that want no author, committer or message read parents, trees and dates from the
/// commit-graph, as `git log --format=%H` does; commits newer than the graph are decoded.
#[test]
fn commit_stats_match_numstat_through_a_partial_commit_graph() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("r");
    git(
        dir.path(),
        &["clone", "-q", &fixture("basic").display().to_string(), "r"],
    );
    git(&repo, &["commit-graph", "write", "--reachable"]);
    // Newer than the graph: a commit, a side commit and their merge.
    std::fs::write(repo.join("after-graph.txt"), "one\ntwo\n").unwrap();
    git(&repo, &["add", "."]);
    commit_as(&repo, ("A", "a@x"), &["-m", "after the graph"]);
    git(&repo, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    std::fs::write(repo.join("side.txt"), "s\n").unwrap();
    git(&repo, &["add", "."]);
    commit_as(&repo, ("A", "a@x"), &["-m", "side"]);
    git(&repo, &["checkout", "-q", "-"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=M",
            "-c",
            "user.email=m@x",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "merge side",
            "side",
        ],
    );

    assert!(!merges(&repo).is_empty());
    assert_stats_match_numstat(&repo);

    let parents = sorted(
        git(&repo, &["log", "--format=%H %P"])
            .lines()
            .map(|l| {
                let (sha, parents) = l.split_once(' ').unwrap();
                let list = parents.split_whitespace().collect::<Vec<_>>().join(", ");
                format!("{sha}\x1f[{list}]\x1f{}", parents.contains(' '))
            })
            .collect(),
    );
    let actual = sorted_lines(&query(&repo, "SELECT sha, parents, is_merge FROM commits"));
    assert_eq!(actual, parents);

    // Committer-time bounds are checked against the graph's dates.
    let times: Vec<(String, i64)> = git(&repo, &["log", "--no-merges", "--format=%H %ct"])
        .lines()
        .map(|l| {
            let (sha, t) = l.split_once(' ').unwrap();
            (sha.to_string(), t.parse().unwrap())
        })
        .collect();
    let mut sorted_times: Vec<i64> = times.iter().map(|t| t.1).collect();
    sorted_times.sort();
    let since = sorted_times[sorted_times.len() / 2];
    let want = sorted(
        times
            .iter()
            .filter(|t| t.1 >= since)
            .map(|t| t.0.clone())
            .collect(),
    );
    let actual = sorted_lines(&query(
        &repo,
        &format!(
            "SELECT sha FROM commits WHERE NOT is_merge AND additions >= 0 \
             AND committer_time >= to_timestamp({since})"
        ),
    ));
    assert_eq!(actual, want);
}

#[test]
fn commit_files_match_numstat_and_name_status() {
    let repo = fixture("basic");
    let actual = our_commit_files(&repo);
    assert_eq!(actual, git_commit_files(&repo));
    // The fixture's interesting cases are really there.
    let joined = actual.join("\n");
    assert!(
        joined.contains("src/app.c\x1fsrc/main.c\x1fR\x1f1\x1f1"),
        "rename with an edit"
    );
    assert!(joined.contains("link-to-readme\x1fNULL\x1fT"), "type change");
}

#[test]
fn tree_shapes_match_numstat_and_name_status() {
    let repo = fixture("trees");
    let actual = our_commit_files(&repo);
    assert_eq!(actual, git_commit_files(&repo));
    let joined = actual.join("\n");
    for (case, needle) in [
        (
            "renamed directory",
            "lib/helpers/numbers.txt\x1flib/util/numbers.txt\x1fR\x1f0\x1f0",
        ),
        (
            "edit inside a renamed directory",
            "lib/support/strings.txt\x1flib/helpers/strings.txt\x1fR\x1f1\x1f1",
        ),
        (
            "last entry of the big directory",
            "big/f300.txt\x1fNULL\x1fM\x1f1\x1f1",
        ),
        (
            "file replaced by a directory",
            "a/inner.txt\x1fNULL\x1fA\x1f4\x1f0",
        ),
        ("nested deletion", "deep/a/b/c.txt\x1fNULL\x1fD\x1f0\x1f4"),
        ("symlink to file", "link\x1fNULL\x1fT"),
    ] {
        assert!(joined.contains(needle), "{case}: {needle:?} not in\n{joined}");
    }
}

#[test]
fn binary_files_are_flagged_and_count_zero() {
    let repo = fixture("basic");
    let actual = sorted_lines(&query(
        &repo,
        "SELECT change_type, additions, deletions, is_binary FROM commit_files WHERE path = 'logo.png'",
    ));
    assert_eq!(actual, vec!["A\x1f0\x1f0\x1ftrue", "M\x1f0\x1f0\x1ftrue"]);
}

#[test]
fn mailmap_columns_match_git() {
    let repo = fixture("basic");
    let expected = sorted(
        git(&repo, &["log", "--format=%H%x1f%aN%x1f%aE"])
            .lines()
            .map(str::to_string)
            .collect(),
    );
    let actual = sorted_lines(&query(
        &repo,
        "SELECT sha, mailmap_author_name, mailmap_author_email FROM commits",
    ));
    assert_eq!(actual, expected);
    assert!(actual.iter().any(|l| l.contains("Robert Jones")));
}

#[test]
fn revision_specs_match_rev_list() {
    let repo = fixture("basic");
    let sql_repo = repo.display().to_string();
    for (spec, args) in [
        ("v1.0..main", vec!["v1.0..main"]),
        ("--all", vec!["--all"]),
        ("feature", vec!["feature"]),
        ("main ^feature", vec!["main", "^feature"]),
        ("v2.0", vec!["v2.0"]),
        ("feature...main", vec!["feature...main"]),
        ("HEAD^!", vec!["HEAD^!"]),
    ] {
        let mut rev_list = vec!["rev-list"];
        rev_list.extend(args);
        let expected = sorted(git(&repo, &rev_list).lines().map(str::to_string).collect());
        let actual = sorted_lines(&query(
            &repo,
            &format!("SELECT sha FROM commits('{sql_repo}', '{spec}')"),
        ));
        assert_eq!(actual, expected, "revision spec {spec}");
    }
    // commit_files follows the same revision spec.
    let n = column_len(&query(
        &repo,
        &format!("SELECT sha FROM commit_files('{sql_repo}', 'v1.0..main')"),
    ));
    let expected: usize = numstat(&repo, &["v1.0..main"]).values().map(Vec::len).sum();
    // Merges: git shows no numstat for them; ours are against the first parent.
    let merge_files = column_len(&query(
        &repo,
        &format!("SELECT cf.sha FROM commit_files('{sql_repo}', 'v1.0..main') cf JOIN commits c ON cf.sha = c.sha WHERE c.is_merge"),
    ));
    assert_eq!(n - merge_files, expected);
}

#[test]
fn count_and_projection_only_scans() {
    let repo = fixture("basic");
    let expected: i64 = git(&repo, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        single_i64(&query(&repo, "SELECT count(*) FROM commits")),
        expected
    );
    assert_eq!(
        single_i64(&query(&repo, "SELECT count(sha) FROM commits")),
        expected
    );
    assert_eq!(column_len(&query(&repo, "SELECT sha FROM commits LIMIT 3")), 3);
}

#[test]
fn time_filters_prune_but_stay_exact() {
    let repo = fixture("basic");
    let expected = sorted(
        git(
            &repo,
            &[
                "log",
                "--format=%H",
                "--since=2024-01-05T00:00:00Z",
                "--until=2024-01-09T00:00:00Z",
            ],
        )
        .lines()
        .map(str::to_string)
        .collect(),
    );
    let actual = sorted_lines(&query(
        &repo,
        "SELECT sha FROM commits WHERE committer_time >= TIMESTAMP '2024-01-05T00:00:00Z' \
         AND committer_time <= TIMESTAMP '2024-01-09T00:00:00Z'",
    ));
    assert_eq!(actual, expected);
    let authored = sorted_lines(&query(
        &repo,
        "SELECT sha FROM commits WHERE author_time BETWEEN TIMESTAMP '2024-01-05T00:00:00Z' AND TIMESTAMP '2024-01-09T00:00:00Z'",
    ));
    assert_eq!(
        authored, expected,
        "author and committer dates are equal in this fixture"
    );
}

#[test]
fn refs_match_for_each_ref() {
    let repo = fixture("basic");
    let head = git(&repo, &["symbolic-ref", "HEAD"]).trim().to_string();
    let expected = sorted(
        git(
            &repo,
            &[
                "for-each-ref",
                "--format=%(refname)%1f%(refname:short)%1f%(objectname)%1f%(*objectname)",
            ],
        )
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\x1f').collect();
            let kind = if f[0].starts_with("refs/heads/") {
                "branch"
            } else if f[0].starts_with("refs/tags/") {
                "tag"
            } else if f[0].starts_with("refs/remotes/") {
                "remote"
            } else {
                "other"
            };
            let peeled = if f[3].is_empty() { "NULL" } else { f[3] };
            format!(
                "{}\x1f{}\x1f{kind}\x1f{}\x1f{peeled}\x1f{}",
                f[0],
                f[1],
                f[2],
                f[0] == head
            )
        })
        .collect(),
    );
    let actual = sorted_lines(&query(
        &repo,
        "SELECT name, shorthand, kind, target, peeled, is_head FROM refs",
    ));
    assert_eq!(actual, expected);
}

#[test]
fn files_match_ls_tree() {
    let repo = fixture("basic");
    for rev in ["HEAD", "v1.0"] {
        let out = git(&repo, &["ls-tree", "-r", "-l", "-z", rev]);
        let expected = sorted(
            out.split('\0')
                .filter(|e| !e.is_empty())
                .map(|e| {
                    let (meta, path) = e.split_once('\t').unwrap();
                    let m: Vec<&str> = meta.split_whitespace().collect();
                    let size = if m[3] == "-" { "NULL" } else { m[3] };
                    format!("{path}\x1f{}\x1f{size}\x1f{}", m[0], m[2])
                })
                .collect(),
        );
        let sql = if rev == "HEAD" {
            "SELECT path, mode, size, blob_sha FROM files".to_string()
        } else {
            format!(
                "SELECT path, mode, size, blob_sha FROM files('{}', '{rev}')",
                repo.display()
            )
        };
        assert_eq!(sorted_lines(&query(&repo, &sql)), expected, "tree at {rev}");
    }
}

#[test]
fn file_contents_and_line_counts() {
    let repo = fixture("basic");
    let rows = rows(&query(
        &repo,
        "SELECT path, is_binary, line_count, content, size FROM files WHERE path IN ('README.md', 'logo.png', 'windows.txt', 'empty.txt') ORDER BY path",
    ));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    assert_eq!(
        rows[0],
        vec![
            "README.md",
            "false",
            "4",
            readme.as_str(),
            &readme.len().to_string()
        ]
    );
    assert_eq!(rows[1], vec!["empty.txt", "false", "0", "", "0"]);
    assert_eq!(rows[2][..3], ["logo.png", "true", "NULL"]);
    assert_eq!(rows[3][..3], ["windows.txt", "false", "2"]);
}

#[test]
fn repos_table_reports_state() {
    let repo = fixture("basic");
    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let name = repo.display().to_string();
    let rows = rows(&query(
        &repo,
        "SELECT repo, path, url, head_ref, head_sha, is_bare, status, error FROM repos",
    ));
    assert_eq!(
        rows,
        vec![vec![
            name.clone(),
            name,
            "NULL".into(),
            "refs/heads/main".into(),
            head,
            "false".into(),
            "ready".into(),
            "NULL".into()
        ]]
    );
    let missing = rows_of(&repo, "SELECT repo, status, error FROM repos('/no/such/repo')");
    assert_eq!(
        missing,
        vec![vec![
            "/no/such/repo",
            "failed",
            "repository not found: /no/such/repo"
        ]]
    );
}

fn rows_of(repo: &Path, sql: &str) -> Vec<Vec<String>> {
    rows(&query(repo, sql))
}

#[test]
fn repo_filters_select_repositories() {
    let repo = fixture("basic");
    let empty = empty_repo();
    let sql = format!(
        "SELECT repo, count(*) FROM commits WHERE repo IN ('{}', '{}') GROUP BY repo",
        repo.display(),
        empty.display()
    );
    let expected_count = git(&repo, &["rev-list", "--count", "HEAD"]).trim().to_string();
    assert_eq!(
        rows_of(&empty, &sql),
        vec![vec![repo.display().to_string(), expected_count]]
    );
    // The filter is exact: no FilterExec remains above the scan.
    let plan = rows_of(
        &repo,
        &format!(
            "EXPLAIN SELECT sha FROM commits WHERE repo = '{}'",
            repo.display()
        ),
    );
    let physical = &plan.last().unwrap()[1];
    assert!(physical.contains("GitScanExec"), "{physical}");
    assert!(!physical.contains("FilterExec"), "{physical}");
}

#[test]
fn empty_repository_has_no_rows() {
    let empty = empty_repo();
    for table in ["commits", "commit_files", "refs", "files"] {
        assert_eq!(
            column_len(&query(&empty, &format!("SELECT * FROM {table}"))),
            0,
            "{table}"
        );
    }
    let rows = rows_of(&empty, "SELECT head_sha, status FROM repos");
    assert_eq!(rows, vec![vec!["NULL", "ready"]]);
}

#[test]
fn bad_input_is_one_clear_line() {
    let repo = fixture("basic");
    let not_repo = scratch_dir("plain-directory");
    let cases = [
        (
            "SELECT * FROM commits('/no/such/path')".to_string(),
            "repository not found: /no/such/path",
        ),
        (
            format!("SELECT * FROM commits('{}')", not_repo.display()),
            "not a git repository",
        ),
        (
            format!("SELECT * FROM commits('{}', 'no-such-branch')", repo.display()),
            "unknown revision 'no-such-branch'",
        ),
        (
            "SELECT * FROM commits(42)".to_string(),
            "arguments must be string literals",
        ),
        (
            "SELECT * FROM nope".to_string(),
            "table 'gitfleet.public.nope' not found",
        ),
    ];
    for (sql, needle) in cases {
        let err = try_query(&repo, &sql).expect_err(&sql);
        assert!(err.contains(needle), "{sql}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn stats_cache_serves_repeat_scans_with_equal_answers() {
    let repo = fixture("basic");
    let config = gitfleet::EngineConfig {
        repos: vec![repo.display().to_string()],
        cache_dir: Some(scratch_dir("stats-cache-test")),
        ..Default::default()
    };
    let run = |sql: &str| rows(&try_query_with(&config, sql).unwrap());
    let stats = "SELECT sha, additions, deletions, files_changed FROM commits ORDER BY sha";
    let analyze = |sql: &str| run(&format!("EXPLAIN ANALYZE {sql}"))[0][1].clone();
    let first = analyze(stats);
    assert!(
        first.contains("diffs_computed=11") && first.contains("stats_cache_hits=0"),
        "{first}"
    );
    let second = analyze(stats);
    assert!(
        second.contains("diffs_computed=0") && second.contains("stats_cache_hits=11"),
        "{second}"
    );
    // Without the cache everything is diffed again, with the same answers.
    let uncached = gitfleet::EngineConfig {
        no_stats_cache: true,
        ..config.clone()
    };
    assert_eq!(run(stats), rows(&try_query_with(&uncached, stats).unwrap()));
    let plan = rows(&try_query_with(&uncached, &format!("EXPLAIN ANALYZE {stats}")).unwrap())[0][1].clone();
    assert!(plan.contains("diffs_computed=11"), "{plan}");
}

/// The metrics line of the scan in `EXPLAIN ANALYZE` output.
fn scan_metrics(repo: &Path, sql: &str) -> String {
    let plan = rows_of(repo, &format!("EXPLAIN ANALYZE {sql}"))[0][1].clone();
    plan.lines()
        .find(|l| l.contains("GitScanExec"))
        .unwrap_or_else(|| panic!("no scan in {plan}"))
        .to_string()
}

fn metric(line: &str, name: &str) -> u64 {
    let start = line
        .find(&format!("{name}="))
        .unwrap_or_else(|| panic!("{name} in {line}"))
        + name.len()
        + 1;
    line[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn projection_limit_and_time_pushdown_save_work() {
    let repo = fixture("basic");
    // No diff, no commit decoding for count(*) or sha-only scans.
    let count = scan_metrics(&repo, "SELECT count(*) FROM commits");
    assert_eq!(metric(&count, "diffs_computed"), 0, "{count}");
    let people = scan_metrics(&repo, "SELECT sha, author_email FROM commits");
    assert_eq!(metric(&people, "diffs_computed"), 0, "{people}");
    assert_eq!(metric(&people, "commits_read"), 11, "{people}");
    // LIMIT stops the walk.
    let limited = scan_metrics(&repo, "SELECT sha FROM commits LIMIT 3");
    assert_eq!(metric(&limited, "commits_read"), 3, "{limited}");
    // Commits outside a time range are not diffed; the walk stops at a committer-time bound.
    let since = scan_metrics(
        &repo,
        "SELECT sum(additions) FROM commits WHERE author_time >= TIMESTAMP '2024-01-09T00:00:00Z'",
    );
    assert_eq!(
        metric(&since, "diffs_computed") + metric(&since, "stats_cache_hits"),
        3,
        "{since}"
    );
}

/// `NOT is_merge` and `is_merge` are pushed into the walk: the other commits are neither
/// diffed nor decoded, and the answers are git's `--no-merges` / `--merges`.
#[test]
fn merge_filters_skip_the_other_commits_and_match_git() {
    let repo = scratch_dir("merge-pushdown").join("repo.git");
    common::history::build(
        &repo,
        &common::history::Spec {
            commits: 200,
            initial_files: 15,
            seed: 23,
        },
    );
    let merges: u64 = git(&repo, &["rev-list", "--merges", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let others: u64 = git(&repo, &["rev-list", "--no-merges", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert!(merges > 3, "{merges} merges");
    let (mut added, mut deleted) = (0, 0);
    for files in numstat(&repo, &["--no-merges"]).values() {
        for (_, _, a, d) in files {
            added += a;
            deleted += d;
        }
    }
    let stats = "SELECT count(*), sum(additions), sum(deletions) FROM commits";
    let sql = format!("{stats} WHERE NOT is_merge");
    assert_eq!(
        rows_of(&repo, &sql)[0],
        [others.to_string(), added.to_string(), deleted.to_string()]
    );
    let no_merges = scan_metrics(&repo, &sql);
    assert_eq!(
        metric(&no_merges, "diffs_computed") + metric(&no_merges, "stats_cache_hits"),
        others,
        "{no_merges}"
    );
    for filter in [
        "is_merge",
        "is_merge = true",
        "true = is_merge",
        "is_merge IS TRUE",
    ] {
        let sql = format!("SELECT count(*), sum(additions) FROM commits WHERE {filter}");
        let only = scan_metrics(&repo, &sql);
        assert_eq!(metric(&only, "output_rows"), merges, "{filter}: {only}");
        assert_eq!(rows_of(&repo, &sql)[0][0], merges.to_string(), "{filter}");
    }
    for filter in ["is_merge = false", "is_merge IS FALSE", "NOT is_merge"] {
        let sql = format!("SELECT sha FROM commits WHERE {filter}");
        assert_eq!(rows_of(&repo, &sql).len() as u64, others, "{filter}");
    }
}

#[test]
fn commit_file_paths_without_line_stats_match_git() {
    let repo = fixture("basic");
    let out = git(
        &repo,
        &[
            "log",
            "--name-only",
            "--diff-merges=first-parent",
            "--format=%x01%H",
        ],
    );
    let mut expected = Vec::new();
    for record in out.split('\x01').filter(|r| !r.is_empty()) {
        let (sha, rest) = record.split_at(40);
        for path in rest.lines().filter(|l| !l.is_empty()) {
            expected.push(format!("{sha}\x1f{path}"));
        }
    }
    // Only paths selected: no blob is read for line counts, the rows are the same.
    let metrics = scan_metrics(&repo, "SELECT sha, path FROM commit_files");
    assert!(metrics.contains("commits_read=11"), "{metrics}");
    assert_eq!(
        sorted_lines(&query(&repo, "SELECT sha, path FROM commit_files")),
        sorted(expected)
    );
}

/// Trees written by git's first weeks hold modes such as 100664; git reads them as 100644, so a
/// later tree with 100644 and the same blob is no change (git.git has two such commits).
#[test]
fn legacy_file_modes_compare_as_git_canonicalises_them() {
    let repo = scratch_dir("legacy-modes").join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let blob = |content: &str| {
        let mut cmd = git_command(&repo);
        cmd.args(["hash-object", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped());
        cmd.stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(content.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (same, old, new) = (blob("same\n"), blob("one\n"), blob("one\ntwo\n"));
    let tree = |entries: &[(&str, &str, &str)]| {
        let mut raw = Vec::new();
        for (mode, name, id) in entries {
            raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            raw.extend((0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()));
        }
        let path = repo.join("tree.bin");
        std::fs::write(&path, raw).unwrap();
        git(
            &repo,
            &["hash-object", "-t", "tree", "-w", "--literally", "tree.bin"],
        )
        .trim()
        .to_string()
    };
    let first = tree(&[("100664", "kept.txt", &same), ("100664", "edited.txt", &old)]);
    let second = tree(&[("100644", "kept.txt", &same), ("100644", "edited.txt", &new)]);
    let env = [
        ("GIT_AUTHOR_NAME", "T"),
        ("GIT_AUTHOR_EMAIL", "t@example.com"),
        ("GIT_COMMITTER_NAME", "T"),
        ("GIT_COMMITTER_EMAIL", "t@example.com"),
    ];
    let commit = |tree: &str, parent: Option<&str>| {
        let mut cmd = git_command(&repo);
        cmd.envs(env).args(["commit-tree", tree, "-m", "c"]);
        if let Some(p) = parent {
            cmd.args(["-p", p]);
        }
        String::from_utf8(cmd.output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string()
    };
    let c1 = commit(&first, None);
    let c2 = commit(&second, Some(&c1));
    git(&repo, &["update-ref", "refs/heads/main", &c2]);
    let ours = our_commit_files(&repo);
    assert_eq!(ours, git_commit_files(&repo));
    assert!(
        !ours.iter().any(|l| l.starts_with(&format!("{c2}\x1fkept.txt"))),
        "{ours:#?}"
    );
}

/// A repository whose objects are gone (a clone with its pack deleted) is an error naming the
/// missing commit in every git table, and `failed` in `repos`: never an empty history.
#[test]
fn a_repository_missing_its_objects_is_an_error_not_empty() {
    let repo = scratch_dir("missing-objects").join("r.git");
    let _ = std::fs::remove_dir_all(&repo);
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(fixture("basic"))
        .arg(&repo)
        .status()
        .unwrap();
    assert!(status.success());
    git(&repo, &["repack", "-adq"]);
    for pack in std::fs::read_dir(repo.join("objects/pack")).unwrap() {
        let path = pack.unwrap().path();
        if path.extension().is_some_and(|e| e == "pack") {
            std::fs::remove_file(path).unwrap();
        }
    }
    for sql in [
        "SELECT count(*) FROM commits",
        "SELECT * FROM commits",
        "SELECT count(*) FROM commit_files",
        "SELECT count(*) FROM files",
        "SELECT count(*) FROM blame",
    ] {
        let err = try_query(&repo, sql).expect_err(sql);
        assert!(err.contains("HEAD cannot be read"), "{sql}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let rows = rows(&query(&repo, "SELECT status, error FROM repos"));
    assert_eq!(rows[0][0], "failed");
    assert!(rows[0][1].contains("cannot be read"), "{rows:?}");
}

/// Commit messages whose trailers are hard to find: git's own cases (the title is never a
/// trailer; a mostly-prose paragraph counts only with a git-generated line; continuation lines;
/// comments, scissors and old conflict blocks end the message) and random mixes of such lines.
fn trailer_messages() -> Vec<String> {
    let mut messages: Vec<String> = [
        "Title\n\nBody.\n\nSigned-off-by: A U Thor <a@x>\nCo-authored-by: Two <two@x>\nco-authored-by: Three <three@x>\n",
        "Fixes: the title only\n",
        "Title\n\nReviewed-by: A\n  and B\n\tand C\nAcked-by: D\n",
        "Title\n\nprose\nprose\nprose\nSigned-off-by: A\n",
        "Title\n\nprose\nprose\nprose\nprose\nSigned-off-by: A\n",
        "Title\n\nprose\nKey: v\n",
        "Title\n\nA: 1\n# a comment\n\n# ------------------------ >8 ------------------------\nB: 2\n",
        "Title\n\nBug #42: x\nKey : spaced\n",
        "Title\n\nKey:nospace\nEmpty:\n",
        "Title\n\n(cherry picked from commit 0123456789abcdef)\nsome prose\n",
        "Title\n\nFixes: 1234 (\"a: colon\")\n---\nnot a divider: in git log\n",
        "Title\n\nA: 1\n\nConflicts:\n\tpath.c\n",
        "Title\r\n\r\nKey: crlf\r\nOther: two\r\n",
        "\n\nTitle after blank lines\n\nKey: v\n",
        "Title\n\nKëy: non-ascii key\nKey: v\n",
        "Title\n\nKey: v\n   \n",
        "Title\n\n  indented: first\nKey: v\n",
        "Title\n\nKey: v\n# comment inside\nOther: w\n",
        "Title\nsecond title line\nKey: in the title\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let pool = [
        "Signed-off-by: A <a@x>",
        "Co-authored-by: B <b@x>",
        "CO-AUTHORED-BY: C <c@x>",
        "Reviewed-by: D",
        "  continued",
        "\tcontinued with a tab",
        "prose line",
        "Bug #1: x",
        "Key : spaced",
        "Key:nospace",
        ": leading colon",
        "# comment",
        "",
        "   ",
        "(cherry picked from commit abc)",
        "---",
        "Conflicts:",
        "\tpath.c",
        "Fixes: 12 (\"title: with colon\")",
        "Signed-off-by:",
        "Link: https://example.com/a:b",
    ];
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..300 {
        let mut message = String::from(if next(4) == 0 { "Title\n" } else { "Title\n\n" });
        for _ in 0..1 + next(10) {
            message.push_str(pool[next(pool.len())]);
            message.push('\n');
        }
        messages.push(message);
    }
    messages
}

#[test]
fn commit_trailers_and_co_authors_match_git() {
    let repo = scratch_dir("trailers").join("repo");
    git(scratch_dir("trailers").as_path(), &["init", "-q", "repo"]);
    let tree = git(&repo, &["mktree"]).trim().to_string();
    let mut parent: Option<String> = None;
    for message in trailer_messages() {
        let mut cmd = git_command(&repo);
        cmd.args(["commit-tree", &tree, "-F", "-"])
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@x")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@x");
        if let Some(p) = &parent {
            cmd.args(["-p", p]);
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(message.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        parent = Some(String::from_utf8(out.stdout).unwrap().trim().to_string());
    }
    git(&repo, &["update-ref", "HEAD", parent.as_deref().unwrap()]);

    // git's own answer: per commit, its trailers (key \x1e value, \x1f between trailers).
    let log = git(
        &repo,
        &[
            "log",
            "-z",
            "--format=%H%x1d%(trailers:only,unfold,separator=%x1f,key_value_separator=%x1e)",
        ],
    );
    let mut expected = Vec::new();
    let mut expected_co_authors = Vec::new();
    for record in log.split('\0').filter(|r| !r.is_empty()) {
        let (sha, trailers) = record.split_once('\x1d').unwrap();
        let mut co_authors = Vec::new();
        for (i, trailer) in trailers.split('\x1f').filter(|t| !t.is_empty()).enumerate() {
            let (key, value) = trailer.split_once('\x1e').unwrap();
            expected.push(format!("{sha}\x1f{key}\x1f{value}\x1f{}", i + 1));
            if key.eq_ignore_ascii_case("co-authored-by") {
                co_authors.push(value.to_string());
            }
        }
        expected_co_authors.push(format!("{sha}\x1f[{}]", co_authors.join(", ")));
    }
    let expected = sorted(expected);
    assert!(
        expected.len() > 200,
        "the messages have trailers: {}",
        expected.len()
    );
    let actual = sorted_lines(&query(
        &repo,
        "SELECT sha, key, value, position FROM commit_trailers",
    ));
    assert_eq!(actual, expected);
    let actual = sorted_lines(&query(&repo, "SELECT sha, co_authors FROM commits"));
    assert_eq!(actual, sorted(expected_co_authors));
    // The table function takes a revision range like `commits`.
    let head_only = query(
        &repo,
        &format!(
            "SELECT count(*) FROM commit_trailers('{}', 'HEAD~1..HEAD')",
            repo.display()
        ),
    );
    let head_count = git(&repo, &["log", "-1", "--format=%(trailers:only,unfold)"])
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(single_i64(&head_only) as usize, head_count);
}

#[test]
fn bots_co_authors_and_the_co_authorship_analysis() {
    let dir = scratch_dir("bots");
    let repo = dir.join("repo");
    git(&dir, &["init", "-q", "repo"]);
    // (author name, email, is a bot, commit message)
    let commits = [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", true, "Bump x\n"),
        ("Someone", "41898282+github-actions[bot]@users.noreply.github.com", true, "Build\n"),
        ("GitHub Action", "action@github.com", true, "Release\n"),
        ("CI Nightly", "ci-nightly@corp.example", true, "Nightly\n"),
        (
            "Ada Lovelace",
            "ada@example.com",
            false,
            "Pair work\n\nCo-authored-by: Grace H <grace@old.example>\nco-authored-by: Bob <bob@example.com>\n",
        ),
        (
            "Robot Fan",
            "1+robotfan@users.noreply.github.com",
            false,
            "More\n\nSigned-off-by: Robot Fan <r@x>\nCo-authored-by: Ada Lovelace <ada@example.com>\nCo-authored-by: renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>\n",
        ),
        ("Grace Hopper", "grace@example.com", false, "Solo\n\nCo-authored-by: Grace H <grace@old.example>\n"),
    ];
    std::fs::write(
        repo.join(".mailmap"),
        "Grace Hopper <grace@example.com> <grace@old.example>\n",
    )
    .unwrap();
    for (i, (name, email, _, message)) in commits.iter().enumerate() {
        std::fs::write(repo.join(format!("f{i}")), format!("{i}\n")).unwrap();
        git(&repo, &["add", "."]);
        commit_as(&repo, (name, email), &["--cleanup=verbatim", "-m", message]);
    }
    let cache = dir.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("bots"), "# our CI\nci-*@corp.example\n").unwrap();
    let config = gitfleet::EngineConfig {
        repos: vec![repo.display().to_string()],
        cache_dir: Some(cache),
        ..Default::default()
    };
    let run = |sql: &str| sorted_lines(&try_query_with(&config, sql).unwrap());

    // The built-in rules, and the pattern in the cache directory's `bots` file.
    let expected = sorted(
        commits
            .iter()
            .map(|(_, email, bot, _)| format!("{email}\x1f{bot}\x1f{bot}"))
            .collect(),
    );
    assert_eq!(
        run("SELECT author_email, author_is_bot, is_bot(author_name, author_email) FROM commits"),
        expected
    );
    // The same rule on blame's people (one line per file, each by its commit's author).
    assert_eq!(
        run("SELECT count(*) FROM blame WHERE path <> '.mailmap' AND is_bot(author_name, author_email)"),
        vec!["4"]
    );

    // Co-authors as written, and after .mailmap as `git check-mailmap` maps them.
    let mut expected_co = Vec::new();
    let mut credits: std::collections::BTreeMap<String, (std::collections::BTreeSet<String>, i64, i64)> =
        Default::default();
    let log = git(
        &repo,
        &[
            "log",
            "-z",
            "--format=%H%x1f%aN <%aE>%x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1e)",
        ],
    );
    for record in log.split('\0').filter(|r| !r.is_empty()) {
        let f: Vec<&str> = record.split('\x1f').collect();
        let written: Vec<&str> = f[2].split('\x1e').filter(|v| !v.is_empty()).collect();
        let mapped: Vec<String> = written
            .iter()
            .map(|p| git(&repo, &["check-mailmap", p]).trim().to_string())
            .collect();
        expected_co.push(format!(
            "{}\x1f[{}]\x1f[{}]",
            f[0],
            written.join(", "),
            mapped.join(", ")
        ));
        let mut credit = |person: &str, authored: bool| {
            let entry = credits.entry(person.to_string()).or_default();
            if entry.0.insert(format!("{}{authored}", f[0])) {
                if authored {
                    entry.1 += 1;
                } else {
                    entry.2 += 1;
                }
            }
        };
        credit(f[1], true);
        for person in &mapped {
            credit(person, false);
        }
    }
    assert_eq!(
        run("SELECT sha, co_authors, mailmap_co_authors FROM commits"),
        sorted(expected_co)
    );
    assert!(credits.contains_key("Grace Hopper <grace@example.com>"));

    // co_authorship: people credited as author or co-author, bots left out.
    let rules_bot = |person: &str| {
        commits
            .iter()
            .any(|(n, e, bot, _)| *bot && person == format!("{n} <{e}>"))
            || person.contains("[bot]")
    };
    let expected: Vec<String> = credits
        .iter()
        .filter(|(person, _)| !rules_bot(person))
        .map(|(person, (shas, authored, co))| {
            let commits: std::collections::BTreeSet<&str> = shas.iter().map(|s| &s[..40]).collect();
            let (name, email) = person.rsplit_once(" <").unwrap();
            format!(
                "{name}\x1f{}\x1f{}\x1f{authored}\x1f{co}",
                email.trim_end_matches('>'),
                commits.len()
            )
        })
        .collect();
    let sql = gitfleet::analyses::find("co_authorship")
        .unwrap()
        .sql
        .trim_end()
        .trim_end_matches(';');
    assert_eq!(
        run(&format!(
            "SELECT person, email, commits, authored, co_authored FROM ({sql})"
        )),
        sorted(expected)
    );
}

/// `git log -p -U0` with merges against their first parent, as rows of `diff_lines`:
/// sha, path, old line number, new line number, kind and text (numbers NULL where git has none).
fn git_patch_lines(repo: &Path) -> Vec<String> {
    let out = git(
        repo,
        &[
            "-c",
            "core.quotePath=false",
            "log",
            "-p",
            "-U0",
            "--diff-merges=first-parent",
            "--format=%x00%H",
        ],
    );
    let mut rows = Vec::new();
    for chunk in out.split('\0').skip(1) {
        let mut lines = chunk.split('\n');
        let sha = lines.next().unwrap().to_string();
        let (mut old, mut path) = (None::<String>, String::new());
        while let Some(l) = lines.next() {
            if let Some(p) = l.strip_prefix("--- ") {
                old = p.strip_prefix("a/").map(String::from);
            } else if let Some(p) = l.strip_prefix("+++ ") {
                path = p.strip_prefix("b/").map(String::from).or(old.clone()).unwrap();
            } else if let Some(header) = l.strip_prefix("@@ -") {
                let header = header.split(" @@").next().unwrap();
                let (before, after) = header.split_once(" +").unwrap();
                let range = |r: &str| -> (u32, u32) {
                    match r.split_once(',') {
                        Some((start, n)) => (start.parse().unwrap(), n.parse().unwrap()),
                        None => (r.parse().unwrap(), 1),
                    }
                };
                let ((old_start, removed), (new_start, added)) = (range(before), range(after));
                let mut content = lines.by_ref().filter(|l| !l.starts_with('\\'));
                for k in 0..removed {
                    let text = content.next().unwrap().strip_prefix('-').unwrap();
                    rows.push(format!(
                        "{sha}\x1f{path}\x1f{}\x1fNULL\x1f-\x1f{text}",
                        old_start + k
                    ));
                }
                for k in 0..added {
                    let text = content.next().unwrap().strip_prefix('+').unwrap();
                    rows.push(format!(
                        "{sha}\x1f{path}\x1fNULL\x1f{}\x1f+\x1f{text}",
                        new_start + k
                    ));
                }
            }
        }
    }
    sorted(rows)
}

#[test]
fn diff_lines_match_git_show_unified_zero() {
    let generated = scratch_dir("diff-lines").join("repo.git");
    common::history::build(
        &generated,
        &common::history::Spec {
            commits: 250,
            initial_files: 25,
            seed: 5,
        },
    );
    for repo in [fixture("basic"), fixture("trees"), generated.clone()] {
        let expected = git_patch_lines(&repo);
        assert!(
            expected.len() > 20,
            "{}: {} lines",
            repo.display(),
            expected.len()
        );
        let actual = sorted_lines(&query(
            &repo,
            "SELECT sha, path, old_line_no, new_line_no, kind, line FROM diff_lines",
        ));
        assert_eq!(actual.len(), expected.len(), "{}", repo.display());
        assert_eq!(actual, expected, "{}", repo.display());
    }

    // `git log -G`: the commits whose added or removed lines match.
    let regex = "buffer config";
    let by_git = sorted(
        git(&generated, &["log", "--no-merges", "-G", regex, "--format=%H"])
            .lines()
            .map(String::from)
            .collect(),
    );
    assert!(by_git.len() > 3 && by_git.len() < 200, "{}", by_git.len());
    let ours = sorted_lines(&query(
        &generated,
        &format!(
            "SELECT DISTINCT d.sha FROM diff_lines d JOIN commits c ON c.sha = d.sha \
             WHERE NOT c.is_merge AND regexp_like(d.line, '{regex}')"
        ),
    ));
    assert_eq!(ours, by_git);

    // Path filters choose the files diffed; a revision chooses the commits.
    let repo = fixture("basic");
    let app = sorted_lines(&query(
        &repo,
        "SELECT sha, path, old_line_no, new_line_no, kind, line FROM diff_lines WHERE path = 'src/app.c'",
    ));
    let expected: Vec<String> = git_patch_lines(&repo)
        .into_iter()
        .filter(|l| l.split('\x1f').nth(1) == Some("src/app.c"))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(app, expected);
    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let one = query(
        &repo,
        &format!(
            "SELECT count(*) FROM diff_lines('{}', '{head}^!')",
            repo.display()
        ),
    );
    let expected = git_patch_lines(&repo)
        .iter()
        .filter(|l| l.starts_with(&head))
        .count();
    assert_eq!(single_i64(&one) as usize, expected);
}

#[test]
fn codeowners_files_owners_and_ownership_drift() {
    let dir = scratch_dir("codeowners");
    let repo = dir.join("repo");
    git(&dir, &["init", "-q", "repo"]);
    // (path, author name, author email, lines): each file written whole by one author.
    let files = [
        ("README.md", "Ada", "ada@example.com", 4),
        ("src/app.js", "Octo Cat", "12+octocat@users.noreply.github.com", 6),
        ("src/lib/util.js", "Ada", "ada@example.com", 3),
        ("docs/guide.md", "Bob", "bob@example.com", 5),
        ("docs/deep/more.md", "Ada", "ada@example.com", 2),
        ("apps/github/x.rb", "Bob", "bob@example.com", 7),
        (
            "apps/web/y.rb",
            "dependabot[bot]",
            "1+dependabot[bot]@users.noreply.github.com",
            9,
        ),
    ];
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(
        repo.join(".github/CODEOWNERS"),
        "# team rules\n* @everyone\n*.js @octocat\ndocs/* bob@example.com\n/apps/ @apps-team\n/apps/github\n",
    )
    .unwrap();
    // A root CODEOWNERS is not read: .github/ comes first in GitHub's order.
    std::fs::write(repo.join("CODEOWNERS"), "* @ignored\n").unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.name=Setup",
            "-c",
            "user.email=setup@example.com",
            "commit",
            "-qm",
            "owners",
        ],
    );
    for (path, name, email, lines) in files {
        let file = repo.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            (1..=lines).map(|i| format!("{path} {i}\n")).collect::<String>(),
        )
        .unwrap();
        git(&repo, &["add", path]);
        commit_as(&repo, (name, email), &["-m", path]);
    }
    let sql = |q: &str| sorted_lines(&query(&repo, q));
    assert_eq!(
        sql("SELECT rule_order, pattern, owners, source_file FROM codeowners"),
        vec![
            "1\x1f*\x1f[@everyone]\x1f.github/CODEOWNERS",
            "2\x1f*.js\x1f[@octocat]\x1f.github/CODEOWNERS",
            "3\x1fdocs/*\x1f[bob@example.com]\x1f.github/CODEOWNERS",
            "4\x1f/apps/\x1f[@apps-team]\x1f.github/CODEOWNERS",
            "5\x1f/apps/github\x1f[]\x1f.github/CODEOWNERS",
        ]
    );
    assert_eq!(
        sql("SELECT path, owners, owners_rule FROM files"),
        sorted(
            [
                ".github/CODEOWNERS\x1f[@everyone]\x1f1",
                "CODEOWNERS\x1f[@everyone]\x1f1",
                "README.md\x1f[@everyone]\x1f1",
                "apps/github/x.rb\x1f[]\x1f5",
                "apps/web/y.rb\x1f[@apps-team]\x1f4",
                "docs/deep/more.md\x1f[@everyone]\x1f1",
                "docs/guide.md\x1f[bob@example.com]\x1f3",
                "src/app.js\x1f[@octocat]\x1f2",
                "src/lib/util.js\x1f[@octocat]\x1f2",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        )
    );
    // Per rule: lines by its owners (by email, or @login through the noreply address), the
    // top author; bots' lines left out. The two CODEOWNERS files are Setup's (6 and 1 lines).
    let sql_text = gitfleet::analyses::find("ownership_drift")
        .unwrap()
        .sql
        .trim_end()
        .trim_end_matches(';');
    assert_eq!(
        sql(&format!(
            "SELECT rule_order, lines, owner_lines, owner_percent, top_author, top_author_lines FROM ({sql_text})"
        )),
        sorted(
            [
                "1\x1f13\x1f0\x1f0.0\x1fsetup@example.com\x1f7",
                "2\x1f9\x1f6\x1f66.7\x1f12+octocat@users.noreply.github.com\x1f6",
                "3\x1f5\x1f5\x1f100.0\x1fbob@example.com\x1f5",
                "4\x1f0\x1f0\x1fNULL\x1fNULL\x1fNULL",
                "5\x1f7\x1f0\x1f0.0\x1fbob@example.com\x1f7",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        )
    );
}

/// `git log -p --full-index --diff-merges=first-parent`: each commit's patch text.
fn git_patches(repo: &Path) -> Vec<(String, String)> {
    let out = git_bytes(
        repo,
        &[
            "log",
            "-p",
            "--full-index",
            "--diff-merges=first-parent",
            "--format=%x01%H",
        ],
    );
    String::from_utf8_lossy(&out)
        .split('\x01')
        .filter(|r| !r.is_empty())
        .map(|r| (r[..40].to_string(), r[40..].trim_start_matches('\n').to_string()))
        .collect()
}

/// Ours: the `patch` of each file, concatenated in row order per commit (commits without
/// files have an empty patch, as git prints none).
fn our_patches(repo: &Path) -> Vec<(String, String)> {
    let mut patches: std::collections::BTreeMap<String, String> =
        rows(&query(repo, "SELECT sha FROM commits"))
            .into_iter()
            .map(|row| (row[0].clone(), String::new()))
            .collect();
    for row in rows(&query(repo, "SELECT sha, patch FROM commit_files")) {
        patches
            .get_mut(&row[0])
            .expect("a commit of the walk")
            .push_str(&row[1]);
    }
    patches.into_iter().collect()
}

/// A repository in scratch directory `name`, built by a bash `script` run in it after
/// `git init` (branch main, author P <p@x>, no system or global git config).
fn repo_from_script(name: &str, script: &str) -> std::path::PathBuf {
    let repo = scratch_dir(name).join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    let script = format!(
        "set -e
        export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
        git init -q -b main .
        git config user.name P; git config user.email p@x
        {script}"
    );
    let status = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(&repo)
        .status()
        .unwrap();
    assert!(status.success(), "the script of {name} failed");
    repo
}

/// A commit of the file shapes a patch writes differently: names git quotes (non-ASCII, tab,
/// double quote, backslash) and names with spaces (a tab ends their `---` line), a mode change
/// alone, a symlink turned into a file, empty files, missing final newlines, a rename with an
/// edit and a mode change, a binary file, hunks whose function line comes from far above, and
/// function lines that are not UTF-8 or are cut at 80 bytes inside a character (git ends the
/// header there).
fn patch_shapes_repo() -> std::path::PathBuf {
    repo_from_script(
        "patch-shapes",
        r#"
        printf 'int main()\n{\n  return 0;\n}\n' > f.c
        echo x > link; printf 'a b\n' > 'sp ace.txt'; printf 'x' > 'é.txt'
        printf 'q\n' > 'tab	"quote\.txt'; : > empty
        { echo 'void first(void)'; for i in $(seq 1 40); do echo "  line $i"; done;
          echo 'static int second'; for i in $(seq 41 80); do echo "  line $i"; done; } > long.c
        printf '\000\001binary' > blob.bin
        { printf 'caf\351 au lait(void)\n'; for i in $(seq 1 9); do echo "  latin $i"; done; } > latin1.c
        { echo 'msgstr "добавяне на тази НАЧАЛНА_ДИРЕКТОРИЯ към пътя"'; for i in $(seq 1 9); do echo "  utf8 $i"; done; } > cut.po
        git add -A; git commit -qm one
        sed -i 's/latin 8/LATIN 8/' latin1.c; sed -i 's/utf8 8/UTF8 8/' cut.po
        rm link; ln -s f.c link; chmod +x f.c
        printf 'a b\nc\n' > 'sp ace.txt'; printf 'y' > 'é.txt'; printf 'q\nr' > 'tab	"quote\.txt'
        echo 'now text' > empty
        sed -i 's/line 2$/LINE 2/; s/line 30$/LINE 30/; s/line 50$/LINE 50/; s/line 79$/LINE 79/' long.c
        printf '\000\002binary' > blob.bin
        git add -A; git commit -qm two
        git mv f.c g.c; echo '// more' >> g.c; chmod -x g.c; git rm -q empty; : > empty2
        git mv 'sp ace.txt' 'sp ace2.txt'
        git add -A; git commit -qm three
    "#,
    )
}

/// Commits whose patches are megabytes, more than one piece of a streamed scan each
/// (`PIECE_BYTES`, 1 MB): four files of ~0.5 MB of patch added, then all rewritten, one file
/// whose own patch is over 1 MB, a small file after them in each (a last piece of its own),
/// and small commits around them, so the pieces of several
/// commits are in flight on both workers at once.
fn huge_patches_repo() -> std::path::PathBuf {
    repo_from_script(
        "huge-patches",
        r#"
        small() { for i in 1 2 3; do echo "$1 $i" >> small.txt; git add -A; git commit -qm "small $1 $i"; done; }
        small one
        for f in a b c d; do seq 1 40000 | sed "s/^/$f line /" > $f.txt; done
        echo z > z.txt
        git add -A; git commit -qm "four big files"
        small two
        for f in a b c d; do sed -i 's/line \([0-9]*[02468]\)$/LINE \1/' $f.txt; done
        seq 1 120000 | sed 's/^/huge /' > huge.txt
        echo zz >> z.txt
        git add -A; git commit -qm "rewrite and one huge file"
        small three
        git rm -q a.txt b.txt; git commit -qm "delete two"
        small four
    "#,
    )
}

#[test]
fn commit_files_patch_matches_git_log_p() {
    let generated = scratch_dir("patch").join("repo.git");
    common::history::build(
        &generated,
        &common::history::Spec {
            commits: 200,
            initial_files: 20,
            seed: 17,
        },
    );
    let huge = huge_patches_repo();
    for repo in [
        patch_shapes_repo(),
        fixture("basic"),
        fixture("trees"),
        generated,
        huge.clone(),
    ] {
        let expected = git_patches(&repo);
        let ours = our_patches(&repo);
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(ours.len(), expected.len(), "{}", repo.display());
        for ((sha, ours), (_, git)) in ours.iter().zip(&expected_sorted) {
            if ours != git {
                // Megabyte patches: only where they part and a little of each side.
                let at = ours.bytes().zip(git.bytes()).take_while(|(a, b)| a == b).count();
                let around = |text: &str| {
                    text.get(at.saturating_sub(200)..(at + 200).min(text.len()))
                        .map(str::to_string)
                };
                panic!(
                    "patch of {sha} in {} differs at byte {at} (ours {} bytes, git's {})\nours: {:?}\ngit:  {:?}",
                    repo.display(),
                    ours.len(),
                    git.len(),
                    around(ours),
                    around(git)
                );
            }
        }
        let hunks: usize = expected.iter().map(|(_, p)| p.matches("\n@@ ").count()).sum();
        assert!(hunks > 5, "{}: {hunks} hunks", repo.display());
    }
    let largest = git_patches(&huge).iter().map(|(_, p)| p.len()).max().unwrap();
    assert!(
        largest > 3 << 20,
        "the huge commit has {largest} bytes of patches"
    );

    // Rows in git's order, files within a commit too, and a LIMIT that stops inside a commit
    // of several pieces.
    let git_files: Vec<Vec<String>> = String::from_utf8_lossy(&git_bytes(
        &huge,
        &[
            "log",
            "--name-only",
            "--diff-merges=first-parent",
            "--format=%x01%H",
        ],
    ))
    .split('\x01')
    .filter(|r| !r.is_empty())
    .flat_map(|r| {
        let sha = r[..40].to_string();
        r[40..]
            .lines()
            .filter(|l| !l.is_empty())
            .map(|path| vec![sha.clone(), path.to_string()])
            .collect::<Vec<_>>()
    })
    .collect();
    assert_eq!(
        rows(&query(&huge, "SELECT sha, path FROM commit_files")),
        git_files
    );
    for limit in [1, 5, 7] {
        let ours = rows(&query(
            &huge,
            &format!("SELECT sha, path, length(patch) > 0 FROM commit_files LIMIT {limit}"),
        ));
        let expected: Vec<Vec<String>> = git_files[..limit]
            .iter()
            .map(|r| vec![r[0].clone(), r[1].clone(), "true".to_string()])
            .collect();
        assert_eq!(ours, expected, "LIMIT {limit}");
    }
}

/// GitHub linguist's verdict on every file of `rev` (tests/support/linguist_oracle.rb), as
/// "path language group vendored generated documentation in_language_stats" lines (fields
/// joined by \x1f).
fn linguist_oracle(repo: &Path, rev: &str) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/linguist_oracle.rb");
    let out = std::process::Command::new("ruby")
        .arg(&script)
        .arg(repo)
        .arg(rev)
        .output()
        .expect("ruby runs (scripts/test.sh installs ruby-github-linguist)");
    assert!(
        out.status.success(),
        "linguist oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sorted(
        String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(|l| l.replace('\t', "\x1f"))
            .collect(),
    )
}

#[test]
fn files_are_classified_as_github_linguist_does() {
    let repo = fixture("linguist");
    for rev in ["HEAD~1", "HEAD"] {
        let ours = sorted_lines(&query(
            &repo,
            &format!(
                "SELECT path, coalesce(language, 'NULL'), coalesce(language_group, 'NULL'), is_vendored, is_generated, is_documentation, in_language_stats FROM files('{}', '{rev}')",
                repo.display()
            ),
        ));
        // The one place the linguist data we ship (the `linguist` crate's, upstream 2025) and
        // Debian's linguist 7.22.1 differ on this fixture: newer languages.yml dropped the
        // INI group of "Git Attributes".
        let oracle: Vec<String> = linguist_oracle(&repo, rev)
            .into_iter()
            .map(|l| {
                l.replace(
                    "Git Attributes\x1fINI\x1f",
                    "Git Attributes\x1fGit Attributes\x1f",
                )
            })
            .collect();
        assert_eq!(ours, oracle, "files at {rev}");
    }
}

#[test]
fn commit_files_are_classified_as_linguist_does_at_their_commit() {
    let repo = fixture("linguist");
    let oracle_at = |rev: &str| -> std::collections::HashMap<String, String> {
        linguist_oracle(&repo, rev)
            .into_iter()
            .map(|l| {
                let fields: Vec<&str> = l.split('\x1f').collect();
                let (language, flags) = (fields[1], &fields[3..6]);
                (
                    fields[0].to_string(),
                    format!("{language}\x1f{}", flags.join("\x1f")),
                )
            })
            .collect()
    };
    let (first, second) = (oracle_at("HEAD~1"), oracle_at("HEAD"));
    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let rows = rows(&query(
        &repo,
        "SELECT sha, path, change_type, coalesce(language, 'NULL'), is_vendored, is_generated, is_documentation FROM commit_files ORDER BY sha, path",
    ));
    let mut checked = 0;
    for row in &rows {
        let (sha, path, change) = (&row[0], &row[1], &row[2]);
        // A deleted file is what it was in the parent.
        let oracle = if *sha == head && change != "D" {
            &second
        } else {
            &first
        };
        let Some(expected) = oracle.get(path.as_str()) else {
            panic!("linguist has no {path} for {sha} {change}");
        };
        assert_eq!(&row[3..].join("\x1f"), expected, "{sha} {change} {path}");
        checked += 1;
    }
    // Every file of the first commit, and the second's edits, renames and deletions.
    assert!(checked > first.len(), "{checked} rows checked");
    assert!(rows.iter().any(|r| r[2] == "D") && rows.iter().any(|r| r[2] == "R"));

    // churn_hotspots_source: the hot spots of the files linguist calls neither vendored nor
    // generated at their commit.
    let authored: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[4] == "false" && r[5] == "false")
        .map(|r| r[1].as_str())
        .collect();
    let sql = gitfleet::analyses::find("churn_hotspots_source").unwrap().sql;
    let hot: Vec<Vec<String>> = common::rows(&query(&repo, sql));
    assert_eq!(hot.len(), authored.len().min(25));
    for row in &hot {
        assert!(
            authored.contains(row[1].as_str()),
            "{} is vendored or generated",
            row[1]
        );
    }
    let everything = gitfleet::analyses::find("churn_hotspots").unwrap().sql;
    let all: Vec<Vec<String>> = common::rows(&query(&repo, everything));
    assert!(
        all.iter().any(|r| !authored.contains(r[1].as_str())),
        "the plain analysis keeps them"
    );
}

#[test]
fn languages_analysis_is_githubs_language_bar_with_tokei_lines() {
    let repo = fixture("linguist");
    // `github-linguist --breakdown --json`: per language, the bytes and files counted at HEAD.
    let out = std::process::Command::new("github-linguist")
        .args(["--breakdown", "--json"])
        .current_dir(&repo)
        .output()
        .expect("github-linguist runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let breakdown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = sorted(
        breakdown
            .as_object()
            .unwrap()
            .iter()
            .map(|(language, v)| {
                let files = v["files"].as_array().unwrap().len();
                format!(
                    "{language}\x1f{files}\x1f{}\x1f{}",
                    v["size"],
                    v["percentage"].as_str().unwrap()
                )
            })
            .collect(),
    );
    let sql = gitfleet::analyses::ANALYSES
        .iter()
        .find(|a| a.name == "languages")
        .unwrap()
        .sql;
    let ours = rows(&query(&repo, sql));
    assert_eq!(
        sorted(
            ours.iter()
                .map(|r| format!(
                    "{}\x1f{}\x1f{}\x1f{:.2}",
                    r[1],
                    r[2],
                    r[3],
                    r[4].parse::<f64>().unwrap()
                ))
                .collect()
        ),
        expected
    );
    // tokei's counts, checked by hand on the fixture's files.
    let counts = sorted_lines(&query(
        &repo,
        &format!(
            "SELECT path, code_lines, comment_lines, blank_lines FROM files('{}', 'HEAD~1') WHERE path IN ('src/main.c', 'src/lib.rs', 'bin/tool', 'web/style.css', 'logo.png', 'data/records.json')",
            repo.display()
        ),
    ));
    assert_eq!(
        counts,
        [
            "bin/tool\x1f1\x1f1\x1f0",
            "data/records.json\x1f1\x1f0\x1f0",
            "logo.png\x1fNULL\x1fNULL\x1fNULL",
            "src/lib.rs\x1f3\x1f2\x1f1",
            "src/main.c\x1f4\x1f1\x1f1",
            "web/style.css\x1f1\x1f0\x1f0",
        ]
    );
}

#[test]
fn generated_files_are_linguists_on_every_check_and_near_miss() {
    let repo = fixture("linguist_generated");
    let column = |lines: Vec<String>, field: usize| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| {
                let fields: Vec<&str> = l.split('\x1f').collect();
                format!("{}\x1f{}", fields[0], fields[field])
            })
            .collect()
    };
    let expected = column(linguist_oracle(&repo, "HEAD"), 4);
    let ours = sorted_lines(&query(&repo, "SELECT path, is_generated FROM files"));
    assert!(expected.len() > 400, "{} files", expected.len());
    let generated = expected.iter().filter(|l| l.ends_with("true")).count();
    assert!(generated > 150, "{generated} generated files in the corpus");
    let ours: std::collections::BTreeSet<&String> = ours.iter().collect();
    let expected: std::collections::BTreeSet<&String> = expected.iter().collect();
    let differ: Vec<_> = ours.symmetric_difference(&expected).collect();
    assert!(differ.is_empty(), "ours or linguist's alone: {differ:#?}");
}
