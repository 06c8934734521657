//! History benchmarks against the git CLI, in one run, as ratios (lower is better for us).
//!
//! A large synthetic history (default 80,000 commits over ~3,000 files: random hunks, renames,
//! binaries, merges) is generated once with `git fast-import` and cached in the target
//! directory; a commit-graph is written, as clone-on-scan does. Then each query runs next to
//! its git equivalent:
//!
//!   cargo bench --bench history                        # defaults
//!   GITFLEET_BENCH_COMMITS=20000 cargo bench --bench history
//!
//! Timings are wall-clock seconds of single runs (best of GITFLEET_BENCH_RUNS, default 1).

#[path = "../tests/common/history.rs"]
mod history;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn repo_dir(commits: usize) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-repos").join(format!("history-{commits}.git"))
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd
}

fn best_of(runs: usize, mut f: impl FnMut() -> String) -> (f64, String) {
    let mut best = f64::MAX;
    let mut answer = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        answer = f();
        best = best.min(start.elapsed().as_secs_f64());
    }
    (best, answer)
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = git(dir)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("git");
    assert!(out.status.success());
    // Summarise: line count for long outputs, the text for short ones.
    let text = String::from_utf8_lossy(&out.stdout);
    if text.len() > 200 {
        format!("{} lines", text.lines().count())
    } else {
        text.trim().to_string()
    }
}

fn main() {
    let commits = env_usize("GITFLEET_BENCH_COMMITS", 80_000);
    let runs = env_usize("GITFLEET_BENCH_RUNS", 1);
    let dir = repo_dir(commits);
    if !dir.join("HEAD").exists() {
        eprintln!("generating {commits} commits in {} ...", dir.display());
        let start = Instant::now();
        let tmp = dir.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
        history::build(
            &tmp,
            &history::Spec {
                commits,
                initial_files: 3000,
                seed: 42,
            },
        );
        let ok = git(&tmp)
            .args(["commit-graph", "write", "--reachable", "--changed-paths"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "commit-graph");
        std::fs::rename(&tmp, &dir).unwrap();
        eprintln!("generated in {:.1}s", start.elapsed().as_secs_f64());
    }
    let files = run_git(&dir, &["ls-tree", "-r", "--name-only", "HEAD"]);
    let count = run_git(&dir, &["rev-list", "--count", "HEAD"]);
    println!("repository: {} ({count} commits, {files} at HEAD)", dir.display());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = gitfleet::EngineConfig {
        repos: vec![dir.display().to_string()],
        cache_dir: None,
    };
    let sql = |query: &str| -> String {
        runtime.block_on(async {
            let ctx = gitfleet::session(&config).unwrap();
            let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
            arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string()
                .lines()
                .nth(3)
                .unwrap_or("")
                .to_string()
        })
    };

    let cases: [(&str, &[&str], &str); 3] = [
        (
            "count commits",
            &["rev-list", "--count", "HEAD"],
            "SELECT count(*) FROM commits",
        ),
        (
            "commit authors",
            &["log", "--format=%H %ae %at"],
            "SELECT sha, author_email, author_time FROM commits",
        ),
        (
            "diff stats (numstat)",
            &["log", "--numstat", "--format=%H"],
            "SELECT sum(additions), sum(deletions) FROM commits",
        ),
    ];
    println!("\n| query | git | gitfleet | ratio (gitfleet / git) |");
    println!("|---|---|---|---|");
    for (name, git_args, query) in cases {
        let (git_s, git_answer) = best_of(runs, || run_git(&dir, git_args));
        let (our_s, our_answer) = best_of(runs, || sql(query));
        println!(
            "| {name} (`{query}` vs `git {}`) | {git_s:.2}s | {our_s:.2}s | {:.2}x |",
            git_args.join(" "),
            our_s / git_s
        );
        eprintln!("  git: {git_answer}\n  gitfleet: {our_answer}");
    }
}
