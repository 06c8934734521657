//! A generated history (random hunks, renames, binaries, merges) against `git log --numstat`.

mod common;

use common::history::{build, Spec};
use common::*;

#[test]
fn generated_history_matches_numstat_exactly() {
    let dir = scratch_dir("generated").join("repo.git");
    build(
        &dir,
        &Spec {
            commits: 600,
            initial_files: 40,
            seed: 7,
        },
    );
    let merges: Vec<String> = git(&dir, &["rev-list", "--merges", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    assert!(merges.len() > 5, "the history has merges");

    // Per file: sha, path, additions, deletions (binary as 0/0), renames by new path.
    let expected: Vec<String> = numstat(&dir, &[])
        .into_iter()
        .flat_map(|(sha, files)| {
            files
                .into_iter()
                .map(move |(path, _, a, d)| format!("{sha}\x1f{path}\x1f{a}\x1f{d}"))
        })
        .collect();
    let actual = sorted_lines(&query(
        &dir,
        "SELECT cf.sha, cf.path, cf.additions, cf.deletions FROM commit_files cf \
         JOIN commits c ON c.sha = cf.sha WHERE NOT c.is_merge",
    ));
    let expected = sorted(expected);
    let missing: Vec<_> = expected.iter().filter(|e| !actual.contains(e)).take(5).collect();
    let extra: Vec<_> = actual.iter().filter(|a| !expected.contains(a)).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "differs from git\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
    assert!(actual.len() > 1000);
}
