//! Rename detection against git: real commits where an earlier tracker paired files differently
//! (`tests/fixtures/cases/renames/`), and a generated history built to make pairing hard
//! (many near-identical files moved at once, equal scores, tiny and empty files, same
//! basenames in other directories, more candidates than `diff.renameLimit`).

mod common;

use std::path::{Path, PathBuf};

use common::history::Rng;
use common::*;

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases/renames")
        .join(name)
}

/// The two-commit repository the case's README describes: the changed paths before, then after.
fn build_case(name: &str) -> PathBuf {
    let repo = scratch_dir("renames-cases").join(name);
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    let tar = |file: &str| {
        let archive = case_dir(name).join(file);
        let status = std::process::Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(status.success(), "tar {archive:?}");
    };
    git(&repo, &["init", "-q", "-b", "main"]);
    tar("before.tar.gz");
    commit_all(&repo, "before");
    git(&repo, &["rm", "-rq", "."]);
    tar("after.tar.gz");
    commit_all(&repo, "after");
    repo
}

fn commit_all(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(
        repo,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            message,
            "--allow-empty",
        ],
    );
}

/// Added and removed lines of a recorded `git show --numstat` (binary files count 0).
fn recorded_totals(name: &str) -> (i64, i64) {
    let text = std::fs::read_to_string(case_dir(name).join("git-numstat.txt")).unwrap();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
            (num(f.next()), num(f.next()))
        })
        .fold((0, 0), |acc, (a, d)| (acc.0 + a, acc.1 + d))
}

#[test]
fn real_rename_cases_match_git() {
    for name in [
        "flask-tutorial-move",
        "git-t4013-rename-main",
        "git-t5515-refs-main",
        "git-t5515-fetch-main",
    ] {
        let repo = build_case(name);
        let ours = our_commit_files(&repo);
        let git_says = git_commit_files(&repo);
        assert_eq!(ours, git_says, "{name}: commit_files differ from git");
        // The rebuilt commit is the real one: git prints the recorded numstat again.
        let totals = rows(&query(
            &repo,
            "SELECT sum(additions), sum(deletions) FROM commits WHERE summary = 'after'",
        ));
        let recorded = recorded_totals(name);
        assert_eq!(
            (totals[0][0].clone(), totals[0][1].clone()),
            (recorded.0.to_string(), recorded.1.to_string()),
            "{name}: totals differ from the recorded numstat"
        );
        assert!(
            ours.iter().any(|l| l.contains("\x1fR\x1f")),
            "{name}: the case has renames"
        );
    }
}

/// Lines of a family of near-identical files: the same body, one line naming the member.
fn family_file(family: usize, member: usize, lines: usize) -> String {
    let mut text = String::new();
    for i in 0..lines {
        if i == lines / 2 {
            text.push_str(&format!("member {member}\n"));
        } else {
            text.push_str(&format!("family {family} line {i}\n"));
        }
    }
    text
}

struct Stress {
    repo: PathBuf,
    rng: Rng,
    files: Vec<String>,
    serial: usize,
}

impl Stress {
    fn write(&self, path: &str, content: &str) {
        let full = self.repo.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.repo.join(path)).unwrap()
    }

    fn pick(&mut self) -> Option<String> {
        if self.files.is_empty() {
            return None;
        }
        let i = self.rng.below(self.files.len());
        Some(self.files.swap_remove(i))
    }

    fn new_path(&mut self, old: &str) -> String {
        const DIRS: [&str; 5] = ["a", "b", "a/deep", "c/x", ""];
        self.serial += 1;
        let dir = DIRS[self.rng.below(DIRS.len())];
        let base = if self.rng.chance(50) {
            // Same basename in another directory.
            old.rsplit('/').next().unwrap().to_string()
        } else {
            format!("n{}-{}.txt", self.serial, self.rng.below(3))
        };
        let path = if dir.is_empty() {
            base
        } else {
            format!("{dir}/{base}")
        };
        if self.files.contains(&path) || self.repo.join(&path).exists() {
            format!("z/{}-{path}", self.serial)
        } else {
            path
        }
    }

    /// Small edits that keep a file similar (or, for tiny files, maybe not).
    fn edit(&mut self, content: &str) -> String {
        match self.rng.below(4) {
            0 => format!("{content}extra {}\n", self.rng.below(5)),
            1 => content.replacen("line 1\n", "line one\n", 1),
            2 => format!("top\n{content}"),
            _ => content.lines().skip(1).map(|l| format!("{l}\n")).collect(),
        }
    }

    fn step(&mut self) {
        let moves = 1 + self.rng.below(14);
        for _ in 0..moves {
            let Some(old) = self.pick() else { break };
            let content = self.read(&old);
            std::fs::remove_file(self.repo.join(&old)).unwrap();
            let new = self.new_path(&old);
            let content = if self.rng.chance(50) {
                self.edit(&content)
            } else {
                content
            };
            self.write(&new, &content);
            self.files.push(new);
        }
        // New members of existing families (equal scores against several deleted files), new
        // tiny and empty files, and deletions.
        for _ in 0..self.rng.below(4) {
            self.serial += 1;
            let path = format!("b/new{}.txt", self.serial);
            let content = match self.rng.below(3) {
                0 => family_file(self.rng.below(3), 100 + self.serial, 6 + self.rng.below(6)),
                1 => "x\n".repeat(1 + self.rng.below(3)),
                _ => String::new(),
            };
            self.write(&path, &content);
            self.files.push(path);
        }
        for _ in 0..self.rng.below(3) {
            if let Some(old) = self.pick() {
                std::fs::remove_file(self.repo.join(old)).unwrap();
            }
        }
    }
}

fn stress_history(rename_limit: Option<usize>) -> PathBuf {
    let name = match rename_limit {
        Some(limit) => format!("stress-limit-{limit}"),
        None => "stress".to_string(),
    };
    let repo = scratch_dir("renames-stress").join(name);
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    if let Some(limit) = rename_limit {
        git(&repo, &["config", "diff.renameLimit", &limit.to_string()]);
    }
    let mut stress = Stress {
        repo: repo.clone(),
        rng: Rng::new(11),
        files: Vec::new(),
        serial: 0,
    };
    for family in 0..3 {
        for member in 0..12 {
            let path = format!("a/f{family}-{member}.txt");
            stress.write(&path, &family_file(family, member, 4 + family * 5));
            stress.files.push(path);
        }
    }
    for (i, content) in ["", "", "x\n", "x\ny\n", "x\ny\nz\n", "y\n"].iter().enumerate() {
        for dir in ["a", "b"] {
            let path = format!("{dir}/tiny{i}.txt");
            stress.write(&path, content);
            stress.files.push(path);
        }
    }
    for dir in ["a", "c"] {
        let path = format!("{dir}/util.c");
        stress.write(&path, &family_file(9, 0, 8));
        stress.files.push(path);
    }
    stress.files.sort();
    commit_all(&repo, "start");
    for n in 0..40 {
        stress.step();
        commit_all(&repo, &format!("step {n}"));
    }
    for round in 0..3 {
        tie_round(&stress, round);
    }
    repo
}

/// Identical sources and moderately edited destinations (50-75% similar, below the basename
/// step's 75%): every score ties, so git's tie-breaks decide (same basename first, then the
/// order candidates were kept in).
fn tie_round(stress: &Stress, round: usize) {
    let body: String = (0..10).map(|i| format!("tie {round} line {i}\n")).collect();
    let sources = ["one/same.txt", "two/other.txt", "three/same.txt", "four/solo.txt"];
    for path in sources {
        stress.write(&format!("t{round}/{path}"), &body);
    }
    commit_all(&stress.repo, &format!("tie {round} start"));
    for path in sources {
        std::fs::remove_file(stress.repo.join(format!("t{round}/{path}"))).unwrap();
    }
    for (k, path) in ["five/same.txt", "six/solo.txt", "seven/new.txt"]
        .iter()
        .enumerate()
    {
        let edited: String = body
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i % 3 == round % 3 {
                    format!("edited {k} {i}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        stress.write(&format!("t{round}/{path}"), &edited);
    }
    commit_all(&stress.repo, &format!("tie {round} move"));
}

#[test]
fn generated_rename_stress_matches_git_commit_by_commit() {
    let repo = stress_history(None);
    let ours = our_commit_files(&repo);
    let expected = git_commit_files(&repo);
    assert_eq!(ours, expected);
    let renames = ours.iter().filter(|l| l.contains("\x1fR\x1f")).count();
    let edited = ours
        .iter()
        .filter(|l| l.contains("\x1fR\x1f") && !l.ends_with("\x1f0\x1f0"))
        .count();
    assert!(
        renames > 100 && edited > 30,
        "{renames} renames, {edited} with edits"
    );
}

#[test]
fn rename_limit_and_switch_from_the_repository_config_as_git() {
    // A limit of 4: commits with more than 16 source x destination candidates skip inexact
    // detection, as git log does.
    let repo = stress_history(Some(4));
    assert_eq!(our_commit_files(&repo), git_commit_files(&repo));
    git(&repo, &["config", "diff.renames", "false"]);
    let ours = our_commit_files(&repo);
    assert_eq!(ours, git_commit_files(&repo));
    assert!(!ours.iter().any(|l| l.contains("\x1fR\x1f")), "renames are off");
}

/// `git log --follow --name-status` and `--numstat` for `path`, one line per shown commit in
/// git's order: "sha status path old_path additions deletions".
fn git_follow(repo: &Path, path: &str) -> Vec<String> {
    let counts = numstat(repo, &["--follow", "--", path]);
    let log = git(
        repo,
        &["log", "--follow", "--format=%x01%H", "--name-status", "--", path],
    );
    let mut shown = Vec::new();
    for record in log.split('\x01').filter(|r| !r.is_empty()) {
        let mut lines = record.lines().filter(|l| !l.is_empty());
        let sha = lines.next().unwrap();
        let status: Vec<&str> = lines
            .next()
            .expect("a file per shown commit")
            .split('\t')
            .collect();
        let (letter, path, old) = match status.as_slice() {
            [s, old, new] => (&s[..1], *new, *old),
            [s, path] => (&s[..1], *path, ""),
            other => panic!("unexpected --name-status line {other:?}"),
        };
        let (_, _, a, d) = &counts[sha][0];
        shown.push(format!("{sha} {letter} {path} {old} {a} {d}"));
    }
    shown
}

fn our_follow(repo: &Path, path: &str) -> Vec<String> {
    let sql = format!(
        "SELECT sha, change_type, path, coalesce(old_path, ''), additions, deletions \
         FROM file_history('{}', '{path}')",
        repo.display()
    );
    rows(&query(repo, &sql))
        .into_iter()
        .map(|r| r.join(" "))
        .collect()
}

/// Every file at HEAD, followed back through its renames: the commits, their order and each
/// change as `git log --follow` shows them.
fn assert_follow_matches_git(repo: &Path) -> usize {
    let files = git(repo, &["ls-tree", "-r", "--name-only", "HEAD"]);
    let mut renames = 0;
    for path in files.lines() {
        let expected = git_follow(repo, path);
        assert_eq!(
            our_follow(repo, path),
            expected,
            "file_history of {path} in {repo:?}"
        );
        renames += expected
            .iter()
            .filter(|l| l.split(' ').nth(1) == Some("R"))
            .count();
    }
    renames
}

#[test]
fn file_history_follows_renames_as_git_log_follow() {
    // Hand-made: the followed path switches in date order across branches (with equal dates),
    // too-large edits, re-added paths, identical sources, empty files, one source for two.
    let follow = fixture("follow");
    assert!(assert_follow_matches_git(&follow) >= 5);
    let c = our_follow(&follow, "c.txt");
    assert_eq!(c.len(), 7, "{c:#?}");
    // A generated history with renames, deletions and merged side branches, and the rename
    // stress history (many near-identical files moved at once).
    let generated = scratch_dir("follow-generated").join("repo.git");
    common::history::build(
        &generated,
        &common::history::Spec {
            commits: 400,
            initial_files: 20,
            seed: 11,
        },
    );
    assert!(assert_follow_matches_git(&generated) > 10);
    // The walk reads dates, parents and trees from a commit-graph where there is one.
    git(&generated, &["commit-graph", "write", "--reachable"]);
    assert!(assert_follow_matches_git(&generated) > 10);
    assert!(assert_follow_matches_git(&stress_history(None)) > 10);
    for case in ["flask-tutorial-move", "git-t4013-rename-main"] {
        assert_follow_matches_git(&build_case(case));
    }
}

#[test]
fn file_history_needs_a_file_and_takes_a_revision() {
    let follow = fixture("follow");
    let err = try_query(&follow, "SELECT * FROM file_history").unwrap_err();
    assert!(
        err.contains("file_history('/path/or/url', 'path' [, 'revision'])"),
        "{err}"
    );
    let err = try_query(
        &follow,
        &format!("SELECT * FROM file_history('{}')", follow.display()),
    )
    .unwrap_err();
    assert!(err.contains("needs the path of a file"), "{err}");
    // At an older revision the file has its older name.
    let at = git(&follow, &["rev-parse", "side~1"]);
    let sql = format!(
        "SELECT count(*) FROM file_history('{}', 'b.txt', '{}')",
        follow.display(),
        at.trim()
    );
    let expected = git(
        &follow,
        &["log", "--follow", "--format=%H", at.trim(), "--", "b.txt"],
    );
    assert_eq!(single_i64(&query(&follow, &sql)), expected.lines().count() as i64);
    assert_eq!(our_follow(&follow, "no/such/file"), Vec::<String>::new());
}
