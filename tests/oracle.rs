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
    let repo = fixture("basic");
    let merges = merges(&repo);
    let expected: Vec<String> = numstat(&repo, &[])
        .into_iter()
        .filter(|(sha, _)| !merges.contains(sha))
        .map(|(sha, files)| {
            let a: i64 = files.iter().map(|f| f.2).sum();
            let d: i64 = files.iter().map(|f| f.3).sum();
            format!("{sha}\x1f{a}\x1f{d}\x1f{}", files.len())
        })
        .collect();
    let actual = sorted_lines(&query(
        &repo,
        "SELECT sha, additions, deletions, files_changed FROM commits WHERE NOT is_merge",
    ));
    assert_eq!(actual, sorted(expected));
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
