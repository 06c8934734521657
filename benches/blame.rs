//! Blame benchmarks against the git CLI, in one run, as ratios (lower is better for us).
//!
//! A synthetic history (default 5,000 commits over ~300 files: random hunks, renames, merges)
//! is generated once with `git fast-import` and cached in the target directory, with a
//! commit-graph (as clone-on-scan writes). Then:
//!
//! - whole HEAD: `SELECT * FROM blame` (every column, as porcelain prints every field) against a shell loop of
//!   `git blame --porcelain HEAD -- FILE` over the same text files (and against that loop run
//!   on every core with `xargs -P`);
//! - one file (the most changed): `SELECT * FROM blame('/repo', 'FILE')` against `git blame --porcelain`.
//!
//!   cargo bench --bench blame
//!   GITFLEET_BENCH_BLAME_COMMITS=20000 GITFLEET_BENCH_BLAME_FILES=500 cargo bench --bench blame
//!
//! Both sides must agree on the number of lines blamed; timings are best of
//! GITFLEET_BENCH_RUNS (default 1) wall-clock seconds.

#[path = "../tests/common/history.rs"]
mod history;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::{bench_repos, env_usize, git};

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut answer = 0;
    for _ in 0..runs {
        let start = Instant::now();
        answer = f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, answer)
}

fn repo(commits: usize, files: usize) -> PathBuf {
    let dir = bench_repos().join(format!("blame-{commits}x{files}.git"));
    history::build_cached(
        &dir,
        &history::Spec {
            commits,
            initial_files: files,
            seed: 7,
        },
    );
    dir
}

fn text_files(dir: &Path) -> Vec<String> {
    let out = git(dir).args(["ls-tree", "-r", "HEAD"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            let id = meta.split_whitespace().nth(2)?;
            let blob = git(dir).args(["cat-file", "blob", id]).output().unwrap().stdout;
            (!blob.contains(&0)).then(|| path.to_string())
        })
        .collect()
}

/// Lines `git blame --porcelain` printed (content lines start with a TAB).
fn blamed_lines(out: &[u8]) -> usize {
    out.split(|b| *b == b'\n')
        .filter(|l| l.first() == Some(&b'\t'))
        .count()
}

fn main() {
    let commits = env_usize("GITFLEET_BENCH_BLAME_COMMITS", 5_000);
    let files = env_usize("GITFLEET_BENCH_BLAME_FILES", 300);
    let runs = env_usize("GITFLEET_BENCH_RUNS", 1);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let dir = repo(commits, files);
    let paths = text_files(&dir);
    println!(
        "repository: {} ({commits} commits, {} text files at HEAD, {cores} cores)",
        dir.display(),
        paths.len()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = gitfleet::EngineConfig {
        repos: vec![dir.display().to_string()],
        cache_dir: Some(dir.with_extension("cache")),
        ..Default::default()
    };
    // Every column, as `git blame --porcelain` prints every field: rows are built, not counted.
    let rows = |sql: &str| -> usize {
        runtime.block_on(async {
            let ctx = gitfleet::session(&config).unwrap();
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            batches.iter().map(|b| b.num_rows()).sum()
        })
    };

    let git_loop = |jobs: usize| -> usize {
        let mut child = Command::new("xargs")
            .args([
                "-0",
                "-n",
                "1",
                "-P",
                &jobs.to_string(),
                "git",
                "blame",
                "--porcelain",
                "HEAD",
                "--",
            ])
            .current_dir(&dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let list: Vec<u8> = paths.iter().flat_map(|p| p.bytes().chain([0])).collect();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(&list).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        blamed_lines(&out.stdout)
    };

    let (ours, our_lines) = best_of(runs, || rows("SELECT * FROM blame"));
    let (serial, git_lines) = best_of(runs, || git_loop(1));
    let (parallel, _) = best_of(runs, || git_loop(cores));
    assert_eq!(our_lines, git_lines, "whole-HEAD blame: line counts differ");
    println!("| whole HEAD ({} files, {our_lines} lines) | gitfleet {ours:.2}s | git loop {serial:.2}s | **{:.2}x** | git loop x{cores} {parallel:.2}s | {:.2}x |",
        paths.len(), ours / serial, ours / parallel);

    // The file the most commits touched.
    let log = git(&dir)
        .args(["log", "--format=", "--name-only", "HEAD"])
        .output()
        .unwrap()
        .stdout;
    let mut touched: std::collections::HashMap<String, usize> = Default::default();
    for path in String::from_utf8_lossy(&log).lines().filter(|l| !l.is_empty()) {
        *touched.entry(path.to_string()).or_default() += 1;
    }
    let file = paths
        .iter()
        .max_by_key(|p| touched.get(*p).copied().unwrap_or(0))
        .unwrap()
        .clone();
    let (ours, our_lines) = best_of(runs, || {
        rows(&format!("SELECT * FROM blame('{}', '{file}')", dir.display()))
    });
    let (theirs, git_lines) = best_of(runs, || {
        let out = git(&dir)
            .args(["blame", "--porcelain", "HEAD", "--", &file])
            .output()
            .unwrap();
        blamed_lines(&out.stdout)
    });
    assert_eq!(our_lines, git_lines, "single-file blame: line counts differ");
    println!(
        "| one file ({file}: {} commits, {our_lines} lines) | gitfleet {ours:.4}s | git {theirs:.4}s | **{:.2}x** |",
        touched.get(&file).copied().unwrap_or(0),
        ours / theirs
    );
}
