//! The commit-graph's changed-path Bloom filters, as `git commit-graph write --changed-paths`
//! writes them (one file, and a split chain), against `git log --name-only`: a filter never
//! denies a change git made, and it denies most of the changes git did not make (so the hashing
//! matches git's). Then single-file blame with the filters in use against `git blame --porcelain`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::history::{build, Spec};
use common::*;
use gitfleet::testing::{blame_paths, Blamer};
use gitfleet::testing::{ChangedPaths, PathKey};
use gix::ObjectId;

fn generated(name: &str, commits: usize) -> std::path::PathBuf {
    let dir = scratch_dir(name).join("repo.git");
    build(
        &dir,
        &Spec {
            commits,
            initial_files: 30,
            seed: 11,
        },
    );
    dir
}

/// Per commit with parents: the paths that differ from its first parent, with their leading
/// directories (what git puts in the filter).
fn changes_against_first_parent(repo: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let log = git(
        repo,
        &[
            "log",
            "--all",
            "--format=%x00%H %P",
            "--name-only",
            "--no-renames",
            "--diff-merges=first-parent",
        ],
    );
    let mut out = BTreeMap::new();
    for record in log.split('\0').filter(|r| !r.trim().is_empty()) {
        let mut lines = record.lines();
        let ids: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        if ids.len() < 2 {
            continue; // a root commit: blame never asks about it
        }
        let mut paths = BTreeSet::new();
        for path in lines.filter(|l| !l.is_empty()) {
            let mut prefix = path;
            paths.insert(prefix.to_string());
            while let Some((dir, _)) = prefix.rsplit_once('/') {
                paths.insert(dir.to_string());
                prefix = dir;
            }
        }
        out.insert(ids[0].to_string(), paths);
    }
    out
}

/// Checks every (commit, path) pair; returns how many unchanged pairs the filters ruled out
/// and how many unchanged pairs there were.
fn check_filters(repo: &Path) -> (usize, usize) {
    let filters = ChangedPaths::open(&repo.join("objects")).expect("the commit-graph has Bloom filters");
    let changes = changes_against_first_parent(repo);
    let every_path: BTreeSet<String> = changes.values().flatten().cloned().collect();
    let (mut ruled_out, mut unchanged) = (0, 0);
    for (commit, changed) in &changes {
        let id = ObjectId::from_hex(commit.as_bytes()).unwrap();
        for path in &every_path {
            let answer = filters.maybe_changed(&id, &PathKey::new(path.as_bytes()));
            assert!(answer.is_some(), "no filter for {commit}");
            if changed.contains(path) {
                assert_eq!(
                    answer,
                    Some(true),
                    "{commit} changed {path}, the filter denies it"
                );
            } else {
                unchanged += 1;
                ruled_out += usize::from(answer == Some(false));
            }
        }
    }
    (ruled_out, unchanged)
}

#[test]
fn filters_never_deny_a_change_and_rule_out_most_others() {
    let repo = generated("bloom-single", 300);
    assert!(
        ChangedPaths::open(&repo.join("objects")).is_none(),
        "no graph yet"
    );
    git(
        &repo,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    let (ruled_out, unchanged) = check_filters(&repo);
    // 10 bits per changed path and 7 hashes: about 1% false positives in git's own numbers.
    assert!(
        ruled_out * 100 >= unchanged * 95,
        "only {ruled_out} of {unchanged} unchanged paths ruled out: hashing differs from git's"
    );
}

#[test]
fn a_split_commit_graph_chain_is_read_layer_by_layer() {
    let repo = generated("bloom-chain", 300);
    // A base layer for the older half of the history, then a layer with the rest.
    let old = git(&repo, &["rev-parse", "HEAD~150"]);
    let mut base = git_command(&repo);
    base.args([
        "commit-graph",
        "write",
        "--split",
        "--changed-paths",
        "--stdin-commits",
    ]);
    let mut child = base
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(old.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    git(
        &repo,
        &[
            "commit-graph",
            "write",
            "--reachable",
            "--split=no-merge",
            "--changed-paths",
        ],
    );
    let chain = std::fs::read_to_string(repo.join("objects/info/commit-graphs/commit-graph-chain")).unwrap();
    assert_eq!(chain.lines().count(), 2, "two layers");
    let (ruled_out, unchanged) = check_filters(&repo);
    assert!(ruled_out * 100 >= unchanged * 95, "{ruled_out} of {unchanged}");
}

#[test]
fn blame_with_the_filters_matches_git_blame() {
    let repo = generated("bloom-blame", 400);
    git(
        &repo,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    let head = ObjectId::from_hex(git(&repo, &["rev-parse", "HEAD"]).trim().as_bytes()).unwrap();
    let files: Vec<String> = git(&repo, &["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .filter(|p| !git_bytes(&repo, &["show", &format!("HEAD:{p}")]).contains(&0))
        .map(str::to_string)
        .collect();
    assert!(files.len() > 20);

    let handle = gix::open(&repo).unwrap();
    let mut blamer = Blamer::new(&handle, "repo").unwrap();
    assert!(blamer.uses_changed_paths());
    for path in &files {
        let ours: Vec<(u32, String, u32, String)> = blamer
            .blame(head, path)
            .unwrap()
            .into_iter()
            .map(|l| {
                (
                    l.line_no,
                    l.commit.to_string(),
                    l.orig_line_no,
                    l.orig_path.unwrap_or_else(|| path.clone()),
                )
            })
            .collect();
        let theirs: Vec<(u32, String, u32, String)> = git_blame(&repo, "HEAD", path)
            .into_iter()
            .map(|(line, l)| (line as u32, l.0, l.2 as u32, l.1))
            .collect();
        assert_eq!(ours, theirs, "{path}");
    }
    // Most commits touched none of the file being blamed: the filters passed over them.
    assert!(
        blamer.commits_skipped_by_filters() > files.len() * 100,
        "the filters were hardly used: {} commits skipped",
        blamer.commits_skipped_by_filters()
    );

    // The shared walk (every blame without --ignore-rev), one file at a time: the same answers,
    // and the filters spare it most trees.
    let mut skipped = 0;
    for path in &files {
        let (blamed, stats) = blame_paths(&handle, head, &[path]).unwrap();
        assert_eq!(blamed.len(), 1);
        let ours: Vec<(u32, String, u32, String)> = blamed[0]
            .1
            .iter()
            .map(|l| {
                let orig_path = l.orig_path.clone().unwrap_or_else(|| path.clone());
                (l.line_no, l.commit.to_string(), l.orig_line_no, orig_path)
            })
            .collect();
        let theirs: Vec<(u32, String, u32, String)> = git_blame(&repo, "HEAD", path)
            .into_iter()
            .map(|(line, l)| (line as u32, l.0, l.2 as u32, l.1))
            .collect();
        assert_eq!(ours, theirs, "{path} in the shared walk");
        assert!(stats.tree_diffs < stats.commits, "{path}: {stats:?}");
        skipped += stats.skipped_by_filters;
    }
    assert!(
        skipped > files.len() * 100,
        "the walk hardly used the filters: {skipped}"
    );

    // commitGraph.readChangedPaths=false turns them off, as in git.
    git(&repo, &["config", "commitGraph.readChangedPaths", "false"]);
    let handle = gix::open(&repo).unwrap();
    assert!(!Blamer::new(&handle, "repo").unwrap().uses_changed_paths());
    let (_, stats) = blame_paths(&handle, head, &[files[0].as_str()]).unwrap();
    assert_eq!(stats.skipped_by_filters, 0, "{stats:?}");
}
