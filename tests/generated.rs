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
    let out = git(&dir, &["log", "--numstat", "-z", "--format=%x01%H"]);
    let mut expected = Vec::new();
    for record in out.split('\x01').filter(|r| !r.is_empty()) {
        let (sha, rest) = record.split_at(40);
        let mut fields = rest
            .split('\0')
            .map(|f| f.trim_start_matches('\n'))
            .filter(|f| !f.is_empty());
        while let Some(field) = fields.next() {
            let mut p = field.splitn(3, '\t');
            let (a, d, path) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap_or(""));
            let path = if path.is_empty() {
                fields.next();
                fields.next().unwrap().to_string()
            } else {
                path.to_string()
            };
            let n = |s: &str| s.parse::<i64>().unwrap_or(0);
            expected.push(format!("{sha}\x1f{path}\x1f{}\x1f{}", n(a), n(d)));
        }
    }
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
