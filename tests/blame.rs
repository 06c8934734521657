//! `blame` against `git blame --porcelain`, line by line, on the "blame" fixture (merges, a
//! hand-resolved conflict, renames, a moved block, a file deleted and re-added, CRLF, no final
//! newline, a binary file, a 10,000-line file) and on the "basic" fixture.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

fn text_files(repo: &Path, rev: &str) -> Vec<String> {
    git(repo, &["ls-tree", "-r", "--name-only", rev])
        .lines()
        .filter(|p| !git_bytes(repo, &["show", &format!("{rev}:{p}")]).contains(&0))
        .map(str::to_string)
        .collect()
}

fn our_blame(repo: &Path, sql: &str) -> BTreeMap<(String, i64), GitLine> {
    rows(&query(repo, sql))
        .into_iter()
        .map(|r| {
            (
                (r[0].clone(), r[1].parse().unwrap()),
                (
                    r[2].clone(),
                    r[3].clone(),
                    r[4].parse().unwrap(),
                    r[5].clone(),
                    r[6].clone(),
                    r[7].parse().unwrap(),
                    r[8].clone(),
                    r[9].clone(),
                    r[10].clone(),
                ),
            )
        })
        .collect()
}

const COLUMNS: &str = "path, line_no, sha, orig_path, orig_line_no, author_name, author_email, \
    CAST(to_unixtime(author_time) AS BIGINT), committer_email, summary, line";

fn assert_same_as_git(repo: &Path, rev: &str, ours: &BTreeMap<(String, i64), GitLine>, files: &[String]) {
    let mut expected = BTreeMap::new();
    for path in files {
        for (line, entry) in git_blame(repo, rev, path) {
            expected.insert((path.clone(), line), entry);
        }
    }
    assert!(!expected.is_empty());
    for (key, theirs) in &expected {
        assert_eq!(ours.get(key), Some(theirs), "line {key:?}");
    }
    assert_eq!(ours.len(), expected.len(), "lines that git does not have");
}

#[test]
fn every_line_of_every_file_matches_git_blame() {
    for name in ["blame", "basic"] {
        let repo = fixture(name);
        let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
        assert_same_as_git(&repo, "HEAD", &ours, &text_files(&repo, "HEAD"));
    }
    // The binary file has no rows; the 10,000-line file is all there.
    let repo = fixture("blame");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert!(!ours.keys().any(|(p, _)| p == "blob.bin"));
    assert_eq!(ours.keys().filter(|(p, _)| p == "big.txt").count(), 9998);
}

#[test]
fn with_the_commit_graph_and_its_bloom_filters_every_line_still_matches() {
    // A copy of the fixture with what clone-on-scan writes: a commit-graph with changed-path
    // Bloom filters, which let blame skip commits (tests/bloom.rs checks the filters).
    let repo = scratch_dir("blame-graph").join("repo");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture("blame"))
        .arg(&repo)
        .status()
        .unwrap();
    assert!(status.success());
    git(
        &repo,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    let files = text_files(&repo, "HEAD");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    // One file at a time, as `blame('/repo', 'path')` looks it up without walking the tree.
    for path in &files {
        let ours = our_blame(
            &repo,
            &format!("SELECT {COLUMNS} FROM blame('{}', '{path}')", repo.display()),
        );
        assert_same_as_git(&repo, "HEAD", &ours, std::slice::from_ref(path));
    }
}

#[test]
fn diff_attributes_and_binary_looking_versions_do_not_change_the_answer() {
    // git blame diffs the bytes whatever `.gitattributes` says, and a version that once held
    // a NUL byte is still diffed line by line.
    let repo = scratch_dir("blame-attributes").join("repo");
    git(repo.parent().unwrap(), &["init", "-q", "-b", "main", "repo"]);
    let commit = |n: i64, files: &[(&str, &[u8])]| {
        for (path, data) in files {
            std::fs::write(repo.join(path), data).unwrap();
        }
        git(&repo, &["add", "-A"]);
        let date = format!("{} +0000", 1_700_000_000 + n * 3600);
        let status = git_command(&repo)
            .args(["commit", "-q", "-m", &format!("change {n}")])
            .env("GIT_AUTHOR_NAME", format!("Author {n}"))
            .env("GIT_AUTHOR_EMAIL", format!("a{n}@example.com"))
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_NAME", "C")
            .env("GIT_COMMITTER_EMAIL", "c@example.com")
            .env("GIT_COMMITTER_DATE", &date)
            .status()
            .unwrap();
        assert!(status.success());
    };
    commit(
        1,
        &[
            (".gitattributes", b"*.txt -diff\nnotes.md binary\n"),
            ("plain.txt", b"one\ntwo\nthree\nfour\n"),
            ("notes.md", b"alpha\nbeta\ngamma\n"),
            ("was-binary.c", b"int a;\n\0int b;\nint c;\n"),
        ],
    );
    commit(
        2,
        &[
            ("plain.txt", b"one\nTWO\nthree\nfour\n"),
            ("notes.md", b"alpha\nBETA\ngamma\n"),
        ],
    );
    commit(3, &[("was-binary.c", b"int a;\nint b;\nint c;\n")]);
    commit(
        4,
        &[
            ("plain.txt", b"one\nTWO\nthree\nfour\nfive\n"),
            ("was-binary.c", b"int a;\nint b;\nint C;\n"),
        ],
    );
    let files: Vec<String> = ["plain.txt", "notes.md", "was-binary.c", ".gitattributes"]
        .map(String::from)
        .to_vec();
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    // The second commit is named for the lines it changed, not the first.
    let second = git(&repo, &["rev-parse", "HEAD~2"]).trim().to_string();
    assert_eq!(ours[&("plain.txt".to_string(), 2)].0, second);
}

#[test]
fn a_revision_and_a_path_through_the_table_function() {
    let repo = fixture("blame");
    let rev = "HEAD~3";
    let ours = our_blame(
        &repo,
        &format!(
            "SELECT {COLUMNS} FROM blame('{}', 'shared.txt', '{rev}')",
            repo.display()
        ),
    );
    assert_same_as_git(&repo, rev, &ours, &["shared.txt".to_string()]);
    let ours = our_blame(
        &repo,
        &format!("SELECT {COLUMNS} FROM blame('{}', '', '{rev}')", repo.display()),
    );
    assert_same_as_git(&repo, rev, &ours, &text_files(&repo, rev));
}

#[test]
fn path_filters_choose_the_files_blamed() {
    let repo = fixture("blame");
    let count = |sql: &str| single_i64(&query(&repo, sql));
    let lines = |path: &str| git_blame(&repo, "HEAD", path).len() as i64;
    assert_eq!(
        count("SELECT count(*) FROM blame WHERE path = 'tail.txt'"),
        lines("tail.txt")
    );
    assert_eq!(
        count("SELECT count(*) FROM blame WHERE path IN ('tail.txt', 'windows.txt')"),
        lines("tail.txt") + lines("windows.txt")
    );
    assert_eq!(
        count("SELECT count(*) FROM blame WHERE path LIKE 'src/%'"),
        lines("src/core.rs")
    );
    assert_eq!(count("SELECT count(*) FROM blame WHERE path = 'nope'"), 0);
    // A binary file exists but, like every binary file, has no rows.
    let binary = format!("SELECT count(*) FROM blame('{}', 'blob.bin')", repo.display());
    assert_eq!(count(&binary), 0);
    // The filters are pushed into the scan.
    let plan = rows(&query(
        &repo,
        "EXPLAIN SELECT line FROM blame WHERE path = 'tail.txt'",
    ));
    let text = format!("{plan:?}");
    assert!(!text.contains("FilterExec"), "{text}");
}

#[test]
fn bad_paths_and_revisions_are_one_line_errors() {
    let repo = fixture("blame");
    let r = repo.display();
    for (sql, needle) in [
        (
            format!("SELECT * FROM blame('{r}', 'nope.txt')"),
            "no file 'nope.txt'",
        ),
        (
            format!("SELECT * FROM blame('{r}', 'src')"),
            "'src' is a directory",
        ),
        (
            format!("SELECT * FROM blame('{r}', 'tail.txt', 'no-such-rev')"),
            "unknown revision 'no-such-rev'",
        ),
        (
            format!("SELECT * FROM blame('{r}', 'a', 'b', 'c', 'd')"),
            "too many arguments; usage: blame('/path/or/url' [, 'path' [, 'revision' [, 'ignore-revs file']]])",
        ),
    ] {
        let err = try_query(&repo, &sql).expect_err(&sql);
        assert!(err.contains(needle), "{sql}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// The analyses built on blame agree with git blame's lines.
#[test]
fn ownership_and_bus_factor_analyses_agree_with_git() {
    let repo = fixture("blame");
    let mut by_email: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_dir: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for path in text_files(&repo, "HEAD") {
        let dir = path.split_once('/').map_or(".", |(d, _)| d).to_string();
        for line in git_blame(&repo, "HEAD", &path).values() {
            *by_email.entry(line.4.clone()).or_default() += 1;
            *by_dir
                .entry(dir.clone())
                .or_default()
                .entry(line.4.clone())
                .or_default() += 1;
        }
    }
    // `columns` of the analysis sql/NAME.sql, as rows; then as key -> count.
    let analysis = |name: &str, columns: &str| {
        let sql =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("sql/{name}.sql")))
                .unwrap();
        rows(&query(
            &repo,
            &format!("SELECT {columns} FROM ({}) a", sql.trim().trim_end_matches(';')),
        ))
    };
    let counts = |rows: Vec<Vec<String>>| -> BTreeMap<String, i64> {
        rows.into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect()
    };
    assert_eq!(counts(analysis("code_ownership", "email, lines")), by_email);
    let bus = counts(analysis("bus_factor", "directory, bus_factor"));
    let expected: BTreeMap<String, i64> = by_dir
        .into_iter()
        .map(|(dir, owners)| {
            let total: i64 = owners.values().sum();
            let mut counts: Vec<i64> = owners.into_values().collect();
            counts.sort_unstable_by(|a, b| b.cmp(a));
            let mut running = 0;
            let factor = counts.iter().take_while(|c| {
                let before = running;
                running += **c;
                2 * before <= total
            });
            (dir, factor.count() as i64)
        })
        .collect();
    assert_eq!(bus, expected);
    let age = analysis("code_age", "sum(lines)");
    assert_eq!(age[0][0].parse::<i64>().unwrap(), by_email.values().sum::<i64>());
}

#[test]
fn projections_read_only_what_they_need_and_agree() {
    // Without commit columns the commits are not read; the lines and shas stay the same.
    let repo = fixture("blame");
    let full = rows(&query(
        &repo,
        "SELECT path, line_no, sha, author_email, summary FROM blame ORDER BY path, line_no",
    ));
    let narrow = rows(&query(
        &repo,
        "SELECT path, line_no, sha FROM blame ORDER BY path, line_no",
    ));
    assert_eq!(narrow, full.iter().map(|r| r[..3].to_vec()).collect::<Vec<_>>());
    let one = rows(&query(
        &repo,
        "SELECT author_email FROM blame ORDER BY path, line_no",
    ));
    assert_eq!(one, full.iter().map(|r| vec![r[3].clone()]).collect::<Vec<_>>());
    assert!(full.iter().all(|r| r[3].contains('@') && !r[4].is_empty()));
}

/// The 160 commits of flask that touched `docs/api.rst` (`tests/fixtures/cases/blame/`): rst
/// directives and blank lines repeat, so which copy git's diff matches decides the blame.
#[test]
fn a_real_history_of_repeated_lines_matches_git_blame() {
    let repo = scratch_dir("blame-flask").join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let stream = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases/blame/flask-docs-api-rst.fast-export.gz");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("zcat \"$0\" | git fast-import --quiet")
        .arg(&stream)
        .current_dir(&repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success(), "fast-import");
    git(&repo, &["checkout", "-q", "main"]);
    let files = ["docs/api.rst".to_string()];
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert!(ours.len() > 500, "{} lines", ours.len());
    assert_same_as_git(&repo, "HEAD", &ours, &files);
}

/// Histories made of the lines diffs find ambiguous, shaped like documentation and code:
/// sections of a directive, indented options and blank lines, blocks with braces; sections
/// added, removed, renamed, moved and duplicated over many commits. Every line's blame is
/// git's (imara-diff's Myers, used before, disagreed with git here).
/// Writes `commits` commits of a generated file `f.txt` with many repeated lines (blank lines,
/// braces, rst directives), moved and copied sections and rewritten paragraphs into a new
/// repository at `repo`; `history` seeds it. Returns the commits, oldest first.
fn repeated_lines_history(repo: &Path, history: u64, commits: usize) -> Vec<String> {
    let _ = std::fs::remove_dir_all(repo);
    std::fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    let mut ids = Vec::new();
    let mut state = history.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut below = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let section = |below: &mut dyn FnMut(usize) -> usize| -> Vec<String> {
        let mut lines = Vec::new();
        if below(3) == 0 {
            // A paragraph of its own words: rewriting it leaves lines without a match.
            for _ in 0..1 + below(4) {
                lines.push(format!("text {}", below(1 << 30)));
            }
        } else if below(2) == 0 {
            lines.push(format!(".. autofunction:: name{}", below(12)));
            for _ in 0..below(3) {
                lines.push(["   :members:", "   :noindex:", "   :inherited-members:"][below(3)].into());
            }
        } else {
            lines.push(format!("fn f{}() {{", below(12)));
            for _ in 0..below(4) {
                lines.push(["    x += 1;", "    }", "    if y {", "    return;", ""][below(5)].into());
            }
            lines.push("}".into());
        }
        lines.push(String::new());
        lines
    };
    let mut sections: Vec<Vec<String>> = (0..120).map(|_| section(&mut below)).collect();
    for commit in 0..commits {
        for _ in 0..1 + below(3) {
            let at = below(sections.len() + 1);
            match below(7) {
                0 | 1 => {
                    let s = section(&mut below);
                    sections.insert(at, s);
                }
                2 if at < sections.len() => {
                    sections.remove(at);
                }
                3 if at < sections.len() => {
                    let copy = sections[at].clone();
                    let to = below(sections.len() + 1);
                    sections.insert(to, copy);
                }
                4 if at < sections.len() => {
                    let moved = sections.remove(at);
                    let to = below(sections.len() + 1);
                    sections.insert(to, moved);
                }
                5 if at < sections.len() => {
                    // Rewrite a few neighbouring sections' words, keeping their shape.
                    for s in sections.iter_mut().skip(at).take(2 + below(3)) {
                        for line in s.iter_mut().filter(|l| l.starts_with("text ")) {
                            *line = format!("text {}", below(1 << 30));
                        }
                    }
                }
                _ if at < sections.len() && below(2) == 0 => {
                    let s = &mut sections[at];
                    let line = below(s.len());
                    s[line] = if below(2) == 0 {
                        String::new()
                    } else {
                        format!("   :members: {}", below(4))
                    };
                }
                _ => {}
            }
        }
        let text: String = sections.iter().flatten().map(|l| format!("{l}\n")).collect();
        std::fs::write(repo.join("f.txt"), text).unwrap();
        git(repo, &["add", "-A"]);
        git(
            repo,
            &[
                "-c",
                "user.name=A",
                "-c",
                "user.email=a@x",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("c{commit}"),
            ],
        );
        ids.push(git(repo, &["rev-parse", "HEAD"]).trim().to_string());
    }
    ids
}

#[test]
fn generated_histories_of_repeated_lines_match_git_blame() {
    let root = scratch_dir("blame-repeated");
    for history in 0..6u64 {
        let repo = root.join(format!("r{history}"));
        repeated_lines_history(&repo, history, 100);
        let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
        assert_same_as_git(&repo, "HEAD", &ours, &["f.txt".to_string()]);
    }
}

/// Commits that rename many files at once, some edited on the way, some to the same name in
/// other directories, on both sides of a merge: every file of HEAD blamed together, as
/// `git blame` blames each (the renames each commit makes are found once and shared by the
/// files it renamed).
#[test]
fn commits_renaming_many_files_match_git_blame() {
    let dir = scratch_dir("blame-mass-rename");
    let repo = dir.join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        commit_as(&repo, ("A", "a@x"), &["-m", message]);
    };
    let body = |name: &str, lines: usize| -> String {
        (0..lines)
            .map(|i| match i % 7 {
                0 => "\n".to_string(),
                1 => "}\n".to_string(),
                _ => format!("    {name}({i});\n"),
            })
            .collect()
    };
    std::fs::create_dir_all(repo.join("old/sub")).unwrap();
    for i in 0..12 {
        // Two pairs share their content, and two files are 3 lines long.
        let name = format!("f{}", i % 10);
        let lines = if i >= 10 { 3 } else { 20 + i * 3 };
        std::fs::write(repo.join(format!("old/file{i}.c")), body(&name, lines)).unwrap();
    }
    std::fs::write(repo.join("old/sub/util.c"), body("util", 30)).unwrap();
    commit("first");
    git(&repo, &["checkout", "-q", "-b", "side"]);
    // The side branch moves two files of its own and edits one.
    git(&repo, &["mv", "old/file1.c", "old/sub/file1.c"]);
    git(&repo, &["mv", "old/file2.c", "side2.c"]);
    std::fs::write(repo.join("side2.c"), body("f2", 26) + "side();\n").unwrap();
    commit("side: move two");
    git(&repo, &["checkout", "-q", "main"]);
    std::fs::write(repo.join("old/file3.c"), body("f3", 29) + "tail();\n").unwrap();
    commit("main: edit");
    // The mass move: every file to new/, four edited, util.c to the same basename elsewhere.
    git(&repo, &["mv", "old", "new"]);
    for i in [0, 4, 7, 11] {
        let path = repo.join(format!("new/file{i}.c"));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text = text.replacen("}\n", "} // moved\n", 1);
        std::fs::write(&path, text + "moved();\n").unwrap();
    }
    std::fs::create_dir_all(repo.join("lib")).unwrap();
    git(&repo, &["mv", "new/sub/util.c", "lib/util.c"]);
    commit("move everything");
    let merged = git_command(&repo)
        .args([
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@x",
            "merge",
            "-q",
            "--no-edit",
            "side",
        ])
        .output()
        .unwrap();
    if !merged.status.success() {
        // Rename/rename conflicts are resolved by taking the side's paths.
        git(&repo, &["add", "-A"]);
        commit("merge side");
    }
    for i in [5, 8] {
        let path = repo.join(format!("new/file{i}.c"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("header();\n{text}")).unwrap();
    }
    commit("after the move");
    let files = text_files(&repo, "HEAD");
    assert!(files.len() >= 12, "{files:?}");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    // The renames were followed: lines of the first commit keep their old paths.
    assert!(
        ours.values().any(|l| l.1.starts_with("old/")),
        "no line kept its old path"
    );
}

/// A generated history (edits, renames with and without edits, binary files, merges) blamed
/// whole, every file against `git blame`.
#[test]
fn a_generated_history_matches_git_blame_file_by_file() {
    let repo = scratch_dir("blame-generated").join("repo.git");
    let _ = std::fs::remove_dir_all(&repo);
    common::history::build(
        &repo,
        &common::history::Spec {
            commits: 300,
            initial_files: 40,
            seed: 7,
        },
    );
    let files = text_files(&repo, "HEAD");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    // Renames were followed: some lines come from a file of another name.
    assert!(
        ours.iter().any(|((path, _), l)| &l.1 != path),
        "no rename followed"
    );
}

/// `git blame --ignore-revs-file` and `blame.ignoreRevsFile`: the lines an ignored commit
/// changed go to the parent lines git's fuzzy matching picks (or stay with it when nothing
/// matches), on generated histories of repeated lines with ignored commits back to back.
#[test]
fn ignored_revisions_are_passed_over_as_git_passes_them() {
    let root = scratch_dir("blame-ignore");
    let mut differ = 0;
    for history in 0..4u64 {
        let repo = root.join(format!("r{history}"));
        let ids = repeated_lines_history(&repo, 100 + history, 80);
        let pick = |every: usize, phase: usize| -> String {
            let mut text = String::from("# reformatting commits\n\n");
            for (i, id) in ids.iter().enumerate().skip(1) {
                if i % every == phase || i % 7 == 3 {
                    text.push_str(&format!("{id} # c{i}\n"));
                }
            }
            text
        };
        std::fs::write(repo.join(".git-blame-ignore-revs"), pick(4, 1)).unwrap();
        std::fs::write(repo.join("other-revs"), pick(3, 2)).unwrap();
        let files = ["f.txt".to_string()];
        let plain = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));

        // From the configuration, as plain `git blame` reads it.
        git(
            &repo,
            &["config", "blame.ignoreRevsFile", ".git-blame-ignore-revs"],
        );
        let configured = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
        assert_same_as_git(&repo, "HEAD", &configured, &files);
        differ += configured
            .iter()
            .filter(|(k, v)| plain.get(*k) != Some(*v))
            .count();

        // A file named in the query replaces the configured ones (git: `--ignore-revs-file ""`
        // first drops them), and '' ignores nothing.
        let path = repo.display();
        let other = our_blame(
            &repo,
            &format!("SELECT {COLUMNS} FROM blame('{path}', 'f.txt', 'HEAD', 'other-revs')"),
        );
        let theirs = git_blame_with(
            &repo,
            &["--ignore-revs-file", "", "--ignore-revs-file", "other-revs"],
            "HEAD",
            "f.txt",
        );
        assert_eq!(other.len(), theirs.len());
        for ((_, line), entry) in &other {
            assert_eq!(Some(entry), theirs.get(line), "other-revs, line {line}");
        }
        let none = our_blame(
            &repo,
            &format!("SELECT {COLUMNS} FROM blame('{path}', 'f.txt', 'HEAD', '')"),
        );
        assert_eq!(none, plain);
    }
    assert!(differ > 50, "ignoring commits moved only {differ} lines");
}

/// The shapes a reformatting commit has: one long chunk re-indented and re-wrapped (lines
/// matched far from their proportional position), a file renamed by it, an ignored merge, and
/// lines it added that match nothing.
#[test]
fn an_ignored_reformat_rename_and_merge_match_git() {
    let dir = scratch_dir("blame-ignore-reformat");
    let repo = dir.join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    // git as author and committer A.
    let git_a = |args: &[&str]| {
        let mut all = vec!["-c", "user.name=A", "-c", "user.email=a@x"];
        all.extend_from_slice(args);
        git(&repo, &all)
    };
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        git_a(&["commit", "-q", "-m", message]);
        git(&repo, &["rev-parse", "HEAD"]).trim().to_string()
    };
    let code = |indent: &str, names: &[&str], wrap: bool| -> String {
        let mut out = String::new();
        for (i, name) in names.iter().cycle().take(70).enumerate() {
            if wrap && i % 5 == 0 {
                out.push_str(&format!(
                    "{indent}let {name}_{i} =\n{indent}    compute({i}, \"{name}\");\n"
                ));
            } else {
                out.push_str(&format!("{indent}let {name}_{i} = compute({i}, \"{name}\");\n"));
            }
            if i % 9 == 0 {
                out.push('\n');
            }
        }
        out
    };
    let names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    std::fs::write(repo.join("main.rs"), code("    ", &names, false)).unwrap();
    std::fs::write(repo.join("old_name.rs"), code("", &names[..3], false)).unwrap();
    commit("first");
    std::fs::write(repo.join("main.rs"), code("  ", &names, false) + "// tail\n").unwrap();
    commit("edit");
    // The reformat: re-indented, re-wrapped, a renamed file, new lines of its own.
    std::fs::write(
        repo.join("main.rs"),
        String::from("// SPDX-License-Identifier: MIT\nQQQ ZZZ\n") + &code("\t", &names, true) + "// tail\n",
    )
    .unwrap();
    std::fs::remove_file(repo.join("old_name.rs")).unwrap();
    // Renamed with a quarter of its lines re-indented: still similar enough to be a rename.
    let renamed: String = code("", &names[..3], false)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i % 4 == 0 {
                format!("  {l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(repo.join("new_name.rs"), renamed).unwrap();
    let reformat = commit("reformat");
    // A side branch edits, and the merge re-wraps again.
    git(&repo, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    std::fs::write(repo.join("side.txt"), "side\n").unwrap();
    commit("side");
    git(&repo, &["checkout", "-q", "main"]);
    git_a(&["merge", "-q", "--no-ff", "--no-edit", "side"]);
    std::fs::write(
        repo.join("main.rs"),
        String::from("QQQ ZZZ\n") + &code("\t", &names, false) + "// tail, merged\n",
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git_a(&["commit", "-q", "--amend", "--no-edit"]);
    let merge = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    // Renamed after the ignored commits: the lines they pass on must be looked up under the
    // old name in their parents.
    git(&repo, &["mv", "main.rs", "app.rs"]);
    commit("rename after");
    std::fs::write(repo.join("revs"), format!("{reformat}\n{merge}\n")).unwrap();
    git(&repo, &["config", "blame.ignoreRevsFile", "revs"]);
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    let files = [
        "app.rs".to_string(),
        "new_name.rs".to_string(),
        "side.txt".to_string(),
    ];
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    // Lines went through the rename, and some stayed with the commits ignored.
    assert!(ours.values().any(|l| l.1 == "old_name.rs"));
    assert!(ours.values().any(|l| l.1 == "main.rs"));
    assert!(ours.values().any(|l| l.0 == reformat));
}

#[test]
fn a_bad_ignore_revs_file_is_one_line() {
    // Only the repository's own files: a query (a `serve` client's) reads nothing else, and a
    // malformed line would show its text in the error.
    let dir = scratch_dir("blame-outside");
    let outside = dir.join("secret.txt");
    std::fs::write(&outside, "secret\n").unwrap();
    let repo = dir.join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    git(&dir, &["init", "-q", "repo"]);
    std::fs::write(repo.join("a.txt"), "a\n").unwrap();
    git(&repo, &["add", "a.txt"]);
    git(
        &repo,
        &["-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", "a"],
    );
    std::os::unix::fs::symlink(&outside, repo.join("link-out")).unwrap();
    let path = repo.display();
    for file in [
        outside.display().to_string(),
        "../secret.txt".to_string(),
        "~/x".to_string(),
        "link-out".to_string(),
    ] {
        let sql = format!("SELECT count(*) FROM blame('{path}', '', 'HEAD', '{file}')");
        let err = try_query(&repo, &sql).unwrap_err();
        assert!(
            err.contains("must be a path inside the repository"),
            "{file}: {err}"
        );
        assert!(!err.contains("secret\n") && err.lines().count() == 1, "{err}");
    }
    let sql = format!("SELECT count(*) FROM blame('{path}', '', 'HEAD', 'no-such-file')");
    let err = try_query(&repo, &sql).unwrap_err();
    assert!(
        err.contains("cannot read the ignore-revs file no-such-file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The repository's own file is read, and a malformed line named.
    std::fs::write(repo.join("revs"), "not-an-id\n").unwrap();
    let sql = format!("SELECT count(*) FROM blame('{path}', '', 'HEAD', 'revs')");
    let err = try_query(&repo, &sql).unwrap_err();
    assert!(
        err.contains("invalid object name 'not-an-id' in revs line 1"),
        "{err}"
    );
}

/// A shallow clone reads as git reads it: the boundary commits have no parents (their diff is
/// against the empty tree) and blame stops there. It used to fail ("object could not be found"),
/// and blame hung while its workers waited to hand over files after the error.
#[test]
fn a_shallow_clone_reads_as_git_reads_it() {
    let dir = scratch_dir("shallow");
    for (source, depth) in [(fixture("basic"), "3"), (fixture("blame"), "4")] {
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        let url = format!("file://{}", source.display());
        git(&dir, &["clone", "-q", "--depth", depth, &url, &name]);
        let repo = dir.join(&name);
        assert_eq!(
            git(&repo, &["rev-parse", "--is-shallow-repository"]).trim(),
            "true"
        );
        let expected = sorted(
            git(&repo, &["log", "--format=%H %P"])
                .lines()
                .map(|l| {
                    let (sha, parents) = l.split_once(' ').unwrap();
                    format!(
                        "{sha}\x1f[{}]",
                        parents.split_whitespace().collect::<Vec<_>>().join(", ")
                    )
                })
                .collect(),
        );
        assert_eq!(
            sorted_lines(&query(&repo, "SELECT sha, parents FROM commits")),
            expected
        );
        assert_eq!(our_commit_files(&repo), git_commit_files(&repo), "{name}");
        let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
        assert_same_as_git(&repo, "HEAD", &ours, &text_files(&repo, "HEAD"));
    }
}

/// A merge of unrelated histories has two root commits: each keeps the lines it introduced.
/// gix-blame used to drop the lines of every root but the last one it reached.
#[test]
fn a_merge_of_unrelated_histories_blames_both_roots() {
    let dir = scratch_dir("unrelated");
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    let repo = dir.join("repo");
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        commit_as(&repo, ("U", "u@x"), &["-m", message]);
    };
    std::fs::write(repo.join("f.txt"), "one\ntwo\nthree\n").unwrap();
    commit("first root");
    git(&repo, &["checkout", "-q", "--orphan", "other"]);
    std::fs::write(repo.join("f.txt"), "alpha\ntwo\nbeta\n").unwrap();
    commit("second root");
    git(&repo, &["checkout", "-q", "main"]);
    let merge = git_command(&repo)
        .args([
            "-c",
            "user.name=U",
            "-c",
            "user.email=u@x",
            "merge",
            "-q",
            "--allow-unrelated-histories",
            "other",
            "-m",
            "join",
        ])
        .output()
        .unwrap();
    assert!(
        !merge.status.success(),
        "the fixture wants a conflict to resolve by hand"
    );
    std::fs::write(repo.join("f.txt"), "one\nalpha\ntwo\nbeta\nthree\nmine\n").unwrap();
    commit("join");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &["f.txt".to_string()]);
}

/// A file whose blame fails (an old version's blob is gone) fails the query, and promptly:
/// the other workers, blocked handing over files nobody will read, are released.
#[test]
fn a_failing_file_fails_the_blame_without_hanging() {
    let dir = scratch_dir("blame-fails");
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    let repo = dir.join("repo");
    for round in 0..2 {
        for i in 0..30 {
            std::fs::write(repo.join(format!("f{i:02}.txt")), format!("{round}\nline {i}\n")).unwrap();
        }
        git(&repo, &["add", "-A"]);
        commit_as(&repo, ("U", "u@x"), &["-m", &format!("round {round}")]);
    }
    // The first version of f00.txt, a loose object: gone.
    let blob = git(&repo, &["rev-parse", "HEAD~1:f00.txt"]).trim().to_string();
    std::fs::remove_file(repo.join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let path = repo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(try_query(&path, "SELECT count(*) FROM blame"));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the blame query hangs");
    let error = result.expect_err("a missing blob is an error");
    assert!(error.contains("f00.txt"), "{error}");
}

/// A file that was a symlink in the parent has no origin there (git's `T`), so every line
/// starts over, even the one equal to the link's target. At a merge whose first parent has the
/// symlink and whose second has the file, the lines come from the second. Whole-repository and
/// one-file blames both.
#[test]
fn a_file_that_was_a_symlink_starts_over_as_git_blames_it() {
    let dir = scratch_dir("blame-type-change");
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    let repo = dir.join("repo");
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        commit_as(&repo, ("U", "u@x"), &["-m", message]);
    };
    let symlink = || {
        std::fs::remove_file(repo.join("a.txt")).unwrap();
        std::os::unix::fs::symlink("target", repo.join("a.txt")).unwrap();
    };
    std::fs::write(repo.join("a.txt"), "one\nthree\ntarget").unwrap();
    std::fs::write(repo.join("b.txt"), "b\n").unwrap();
    commit("files");
    symlink();
    commit("a symlink");
    std::fs::remove_file(repo.join("a.txt")).unwrap();
    std::fs::write(repo.join("a.txt"), "one\ntwo\ntarget").unwrap();
    commit("a file again");
    git(&repo, &["checkout", "-q", "-b", "side"]);
    std::fs::write(repo.join("b.txt"), "b\nside\n").unwrap();
    commit("side");
    git(&repo, &["checkout", "-q", "main"]);
    symlink();
    commit("a symlink again");
    // The merge takes the side's file.
    let merge = git_command(&repo)
        .args(["-c", "user.name=U", "-c", "user.email=u@x"])
        .args(["merge", "-q", "--no-ff", "--no-commit", "side"])
        .output()
        .unwrap();
    assert!(merge.status.success(), "{merge:?}");
    std::fs::remove_file(repo.join("a.txt")).unwrap();
    git(&repo, &["checkout", "side", "--", "a.txt"]);
    commit("merge side");
    assert_eq!(
        std::fs::read_to_string(repo.join("a.txt")).unwrap(),
        "one\ntwo\ntarget"
    );
    let files = text_files(&repo, "HEAD");
    let ours = our_blame(&repo, &format!("SELECT {COLUMNS} FROM blame"));
    assert_same_as_git(&repo, "HEAD", &ours, &files);
    let one = our_blame(
        &repo,
        &format!("SELECT {COLUMNS} FROM blame WHERE path = 'a.txt'"),
    );
    assert_same_as_git(&repo, "HEAD", &one, &["a.txt".to_string()]);
    // The line equal to the link's target is the file's, not the link's.
    let file_again = git(&repo, &["log", "-1", "--format=%H", "--grep=a file again"]);
    assert_eq!(ours[&("a.txt".to_string(), 3)].0, file_again.trim());
}

/// A file whose name is not UTF-8 is blamed under its real name: the table shows the name
/// with a replacement character, and each line's commit is git's.
#[test]
fn a_file_name_that_is_not_utf8_is_blamed_as_git_blames_it() {
    use std::os::unix::ffi::OsStrExt;
    let dir = scratch_dir("blame-latin1-name");
    git(&dir, &["init", "-q", "-b", "main", "repo"]);
    let repo = dir.join("repo");
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        commit_as(&repo, ("U", "u@x"), &["-m", message]);
    };
    std::fs::write(repo.join(raw), "one\ntwo\nthree\n").unwrap();
    std::fs::write(repo.join("plain.txt"), "plain\n").unwrap();
    commit("first");
    std::fs::write(repo.join(raw), "one\nTWO\nthree\n").unwrap();
    commit("second");
    let blame = git_command(&repo)
        .args(["blame", "--porcelain", "HEAD", "--"])
        .arg(raw)
        .output()
        .unwrap();
    assert!(blame.status.success(), "{blame:?}");
    // "<sha> <orig> <final> [<count>]" heads each line's entry.
    let theirs: Vec<(i64, String)> = String::from_utf8_lossy(&blame.stdout)
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            (parts.len() >= 3 && parts[0].len() == 40 && parts[2].parse::<i64>().is_ok())
                .then(|| (parts[2].parse().unwrap(), parts[0].to_string()))
        })
        .collect();
    let ours: Vec<(i64, String)> = rows(&query(
        &repo,
        "SELECT line_no, sha FROM blame WHERE path LIKE 'caf%' ORDER BY line_no",
    ))
    .into_iter()
    .map(|r| (r[0].parse().unwrap(), r[1].clone()))
    .collect();
    assert_eq!(ours, theirs);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    assert_eq!(
        ours[1].1,
        second.trim(),
        "the changed line is the second commit's"
    );
    let paths = rows(&query(
        &repo,
        "SELECT DISTINCT path FROM blame WHERE path LIKE 'caf%'",
    ));
    assert_eq!(paths, [["caf\u{FFFD}.txt".to_string()]]);
}
