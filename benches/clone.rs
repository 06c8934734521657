//! Clone-on-scan benchmark against the git CLI, in one run, as ratios (lower is better for us).
//!
//! A fleet of repositories (default 12, each a generated history of 2,000 commits) is served by
//! a loopback `git daemon`. Cold: one query clones them all into an empty cache and counts
//! their commits, against `git clone --bare` of each one after another (and, for reference, 8
//! git clones at a time). Warm: the same query again with the daemon stopped (no network).
//!
//!   cargo bench --bench clone
//!   GITFLEET_BENCH_REPOS=24 GITFLEET_BENCH_REPO_COMMITS=500 cargo bench --bench clone

#[path = "../tests/common/daemon.rs"]
mod daemon;
#[path = "../tests/common/history.rs"]
mod history;
mod support;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Instant;

use daemon::start_daemon;
use support::{bench_repos, env_usize, git};

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = git(dir).args(args).output().expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The served fleet, generated once and kept in the target directory.
fn fleet(repos: usize, commits: usize) -> PathBuf {
    let dir = bench_repos().join(format!("fleet-{repos}x{commits}"));
    for i in 0..repos {
        let repo = dir.join(format!("r{i:02}.git"));
        if repo.join("packed-refs").exists()
            || repo
                .join("objects/pack")
                .read_dir()
                .is_ok_and(|mut d| d.next().is_some())
        {
            continue;
        }
        let _ = std::fs::remove_dir_all(&repo);
        std::fs::create_dir_all(&dir).unwrap();
        eprintln!("generating {}", repo.display());
        history::build(
            &repo,
            &history::Spec {
                commits,
                initial_files: 200,
                seed: 1000 + i as u64,
            },
        );
        run_git(&repo, &["repack", "-adq"]);
    }
    dir
}

fn gitfleet_counts(cache: &Path, urls: &[String]) -> Vec<(String, i64)> {
    let config = gitfleet::EngineConfig {
        cache_dir: Some(cache.to_path_buf()),
        strict: true,
        ..Default::default()
    };
    let list = urls
        .iter()
        .map(|u| format!("'{u}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("SELECT repo, count(*) FROM commits WHERE repo IN ({list}) GROUP BY repo ORDER BY repo");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let batches = runtime.block_on(async {
        let ctx = gitfleet::session(&config).unwrap();
        ctx.sql(&sql).await.unwrap().collect().await.unwrap()
    });
    let mut out = Vec::new();
    for batch in batches {
        let repo = arrow::array::cast::as_string_array(batch.column(0));
        let count = arrow::array::cast::as_primitive_array::<arrow::datatypes::Int64Type>(batch.column(1));
        for i in 0..batch.num_rows() {
            out.push((repo.value(i).to_string(), count.value(i)));
        }
    }
    out
}

fn git_clone_all(urls: &[String], dest: &Path, at_once: usize) -> Vec<(String, i64)> {
    let _ = std::fs::remove_dir_all(dest);
    std::fs::create_dir_all(dest).unwrap();
    let mut out = Vec::new();
    for chunk in urls.chunks(at_once) {
        let children: Vec<(String, PathBuf, Child)> = chunk
            .iter()
            .map(|url| {
                let name = url.rsplit('/').next().unwrap();
                let path = dest.join(name);
                let child = git(dest)
                    .args(["clone", "--bare", "-q", url])
                    .arg(&path)
                    .spawn()
                    .unwrap();
                (url.clone(), path, child)
            })
            .collect();
        for (url, path, mut child) in children {
            assert!(child.wait().unwrap().success());
            let n = run_git(&path, &["rev-list", "--count", "HEAD"])
                .trim()
                .parse()
                .unwrap();
            out.push((url, n));
        }
    }
    out.sort();
    out
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed().as_secs_f64(), value)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let repos = env_usize("GITFLEET_BENCH_REPOS", 12);
    let commits = env_usize("GITFLEET_BENCH_REPO_COMMITS", 2000);
    let base = fleet(repos, commits);
    let size: u64 = (0..repos)
        .map(|i| {
            let pack = base.join(format!("r{i:02}.git/objects/pack"));
            std::fs::read_dir(pack)
                .unwrap()
                .flatten()
                .map(|e| e.metadata().unwrap().len())
                .sum::<u64>()
        })
        .sum();
    let scratch = tempfile::tempdir().unwrap();
    let daemon = start_daemon(&base);
    let port = daemon.port;
    let urls: Vec<String> = (0..repos)
        .map(|i| format!("git://127.0.0.1:{port}/r{i:02}.git"))
        .collect();
    println!(
        "{repos} repositories x {commits} commits, {:.1} MB of packs, served by git daemon on 127.0.0.1\n",
        size as f64 / 1e6
    );

    let (git_serial, expected) = timed(|| git_clone_all(&urls, &scratch.path().join("serial"), 1));
    let (git_parallel, parallel_answer) = timed(|| git_clone_all(&urls, &scratch.path().join("parallel"), 8));
    let cache = scratch.path().join("cache");
    let (cold, cold_answer) = timed(|| gitfleet_counts(&cache, &urls));
    drop(daemon);
    let (warm, warm_answer) = timed(|| gitfleet_counts(&cache, &urls));

    let check = |answer: &Vec<(String, i64)>| {
        if *answer == expected {
            ""
        } else {
            "  ANSWERS DIFFER"
        }
    };
    println!("| case | git | gitfleet | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| clone all + count(*), vs `git clone --bare` one by one (+ rev-list --count) | {git_serial:.2} s | {cold:.2} s | {:.2}x{} |",
        cold / git_serial,
        check(&cold_answer)
    );
    println!(
        "| the same, vs 8 `git clone --bare` at a time | {git_parallel:.2} s | {cold:.2} s | {:.2}x{} |",
        cold / git_parallel,
        check(&parallel_answer)
    );
    println!(
        "| warm: the query again, daemon stopped (no network) | - | {warm:.2} s | {:.2}x of cold{} |",
        warm / cold,
        check(&warm_answer)
    );
}
