//! History benchmarks against the git CLI, in one run, as ratios (lower is better for us).
//!
//! A large synthetic history (default 80,000 commits over ~3,000 files: random hunks, renames,
//! binaries, merges) is generated once with `git fast-import`, repacked as a server packs a
//! clone, and cached in the target directory; a commit-graph is written, as clone-on-scan will. Then each query runs next to
//! its git equivalent:
//!
//!   cargo bench --bench history                        # defaults
//!   GITFLEET_BENCH_COMMITS=20000 cargo bench --bench history
//!
//! A real repository instead of the generated one (git.git is the reference: 82k commits, deep
//! trees, long delta chains; keep it outside the checkout):
//!
//!   git clone --bare https://github.com/git/git /data/git.git
//!   git -C /data/git.git commit-graph write --reachable --changed-paths
//!   GITFLEET_BENCH_REPO=/data/git.git cargo bench --bench history
//!
//! Timings are wall-clock seconds of single runs (best of GITFLEET_BENCH_RUNS, default 1), with
//! the CPU seconds of that run (user + system; git's as a child process, ours in-process): on
//! this noisy 2-core VM the CPU seconds are the steadier comparison.
//! GITFLEET_BENCH_ONLY=text runs only the cases whose name contains `text`, and
//! GITFLEET_BENCH_SKIP_GIT=1 skips the git side (both for profiling).
//! GITFLEET_BENCH_STREAM='SELECT * FROM commit_files' only streams that query (for peak memory:
//! run the bench binary under `/usr/bin/time -v`).
//!
//! Our commit stats include merges (diffed against their first parent), so the answer check
//! uses `git log --numstat --diff-merges=first-parent`; plain `git log --numstat` (which shows
//! nothing for merges, so does less work) is timed too, as the stricter comparison.

#[path = "../tests/common/history.rs"]
mod history;
mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use support::{bench_repos, env_usize, git};

fn repo_dir(commits: usize) -> PathBuf {
    bench_repos().join(format!("history-{commits}.git"))
}

/// CPU seconds (user + system) used so far by this process, or by its finished children.
fn cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage writes one plain struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The best wall time of `runs`, the CPU seconds of that run (counted for `who`), the answer.
fn best_of(runs: usize, who: libc::c_int, mut f: impl FnMut() -> String) -> (f64, f64, String) {
    let (mut best, mut best_cpu) = (f64::MAX, f64::NAN);
    let mut answer = String::new();
    for _ in 0..runs {
        let (start, cpu) = (Instant::now(), cpu_seconds(who));
        answer = f();
        let wall = start.elapsed().as_secs_f64();
        if wall < best {
            (best, best_cpu) = (wall, cpu_seconds(who) - cpu);
        }
    }
    (best, best_cpu, answer)
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = git(dir)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("git");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// git's answer in the shape of ours: numstat summed, other long outputs counted.
fn summarise(text: &str) -> String {
    let numstat: Vec<(i64, i64)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (a, d, _) = (f.next()?, f.next()?, f.next()?);
            Some((a.parse().unwrap_or(0), d.parse().unwrap_or(0)))
        })
        .collect();
    if !numstat.is_empty() {
        let (a, d) = numstat.iter().fold((0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1));
        format!("{a} | {d}")
    } else if text.len() > 200 {
        format!("{} rows", text.lines().count())
    } else {
        text.trim().to_string()
    }
}

fn main() {
    let commits = env_usize("GITFLEET_BENCH_COMMITS", 80_000);
    let runs = env_usize("GITFLEET_BENCH_RUNS", 1);
    let dir = match std::env::var_os("GITFLEET_BENCH_REPO") {
        Some(real) => PathBuf::from(real),
        None => {
            let dir = repo_dir(commits);
            history::build_cached(
                &dir,
                &history::Spec {
                    commits,
                    initial_files: 3000,
                    seed: 42,
                },
            );
            dir
        }
    };
    let files = run_git(&dir, &["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .count();
    let count = run_git(&dir, &["rev-list", "--count", "HEAD"]);
    println!(
        "repository: {} ({} commits, {files} files at HEAD)",
        dir.display(),
        count.trim()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // A fresh cache directory: the first stats query computes every diff, the repeat is served
    // by the stats cache.
    let cache = bench_repos().join(format!(
        "{}.cache",
        dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&cache);
    let config = gitfleet::EngineConfig {
        repos: vec![dir.display().to_string()],
        cache_dir: Some(cache),
        ..Default::default()
    };
    let uncached = gitfleet::EngineConfig {
        no_stats_cache: true,
        ..config.clone()
    };
    let sql = |query: &str, cached: bool| -> String {
        runtime.block_on(async {
            let ctx = gitfleet::session(if cached { &config } else { &uncached }).unwrap();
            let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            if rows > 1 {
                return format!("{rows} rows");
            }
            let table = arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string();
            let line = table.lines().nth(3).unwrap_or("");
            let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
            cells.join(" | ")
        })
    };

    // Memory check: stream a whole-history query without keeping batches, then exit; run it
    // under `/usr/bin/time -v` to read the peak RSS.
    if let Ok(query) = std::env::var("GITFLEET_BENCH_STREAM") {
        let start = Instant::now();
        let rows = runtime.block_on(async {
            use futures::StreamExt;
            let ctx = gitfleet::session(&uncached).unwrap();
            let mut stream = ctx.sql(&query).await.unwrap().execute_stream().await.unwrap();
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                rows += batch.unwrap().num_rows();
            }
            rows
        });
        println!(
            "streamed `{query}`: {rows} rows in {:.2}s",
            start.elapsed().as_secs_f64()
        );
        return;
    }

    // (name, git command, query, served by a warmed stats cache)
    let cases: [(&str, &[&str], &str, bool); 5] = [
        (
            "count commits",
            &["rev-list", "--count", "HEAD"],
            "SELECT count(*) FROM commits",
            false,
        ),
        (
            "commit authors",
            &["log", "--format=%H %ae %at"],
            "SELECT sha, author_email, author_time FROM commits",
            false,
        ),
        (
            "diff stats, computed",
            &["log", "--numstat", "--diff-merges=first-parent", "--format=%H"],
            "SELECT sum(additions), sum(deletions) FROM commits",
            false,
        ),
        (
            "diff stats, computed, vs git without merge diffs",
            &["log", "--numstat", "--format=%H"],
            "SELECT sum(additions), sum(deletions) FROM commits WHERE NOT is_merge",
            false,
        ),
        (
            "diff stats, repeated (stats cache)",
            &["log", "--numstat", "--diff-merges=first-parent", "--format=%H"],
            "SELECT sum(additions), sum(deletions) FROM commits",
            true,
        ),
    ];
    println!("\n| query | git wall (CPU) | gitfleet wall (CPU) | ratio wall (CPU) |");
    println!("|---|---|---|---|");
    let only = std::env::var("GITFLEET_BENCH_ONLY").unwrap_or_default();
    for (name, git_args, query, cached) in cases {
        if !name.contains(only.as_str()) {
            continue;
        }
        let (git_s, git_cpu, git_answer) = if std::env::var_os("GITFLEET_BENCH_SKIP_GIT").is_some() {
            (f64::NAN, f64::NAN, String::new())
        } else {
            best_of(runs, libc::RUSAGE_CHILDREN, || run_git(&dir, git_args))
        };
        if cached {
            sql(query, true); // fills the cache: the timed runs are the repeats
        }
        let (our_s, our_cpu, our_answer) = best_of(runs, libc::RUSAGE_SELF, || sql(query, cached));
        println!(
            "| {name} (`{query}` vs `git {}`) | {git_s:.2}s ({git_cpu:.1}) | {our_s:.2}s ({our_cpu:.1}) | {:.2}x ({:.2}x) |",
            git_args.join(" "),
            our_s / git_s,
            our_cpu / git_cpu
        );
        let git_answer = summarise(&git_answer);
        let same = if git_answer == our_answer {
            "same answer"
        } else {
            "ANSWERS DIFFER"
        };
        println!("|   answers: git `{git_answer}`, gitfleet `{our_answer}`: {same} | | | |");
    }
}
