//! Workers benchmark: a fleet of generated repositories (default 48 x 300 commits) served by a
//! loopback `git daemon`, three `gitfleet worker` processes on loopback, and the same query run
//! single-node and on the workers, in one run. This machine's cores are shared by all of them,
//! so scaling cannot show as wall time; what is measured is what can be: bytes cloned, rows and
//! CPU-seconds per worker (balance), the coordinator's CPU and peak memory, and the distributed
//! path's overhead against single-node on the same machine.
//!
//!   cargo bench --bench distributed
//!   GITFLEET_BENCH_REPOS=96 GITFLEET_BENCH_REPO_COMMITS=200 cargo bench --bench distributed

#[path = "../tests/common/daemon.rs"]
mod daemon;
#[path = "../tests/common/history.rs"]
mod history;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use daemon::start_daemon;
use support::{bench_repos, env_usize, git};

const QUERY: &str = "SELECT repo, count(*), sum(additions) FROM commits GROUP BY repo ORDER BY repo";

/// The served fleet, generated once and kept in the target directory.
fn fleet(repos: usize, commits: usize) -> PathBuf {
    let dir = bench_repos().join(format!("workers-{repos}x{commits}"));
    for i in 0..repos {
        let repo = dir.join(format!("r{i:02}.git"));
        if repo
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
                commits: commits / 2 + (i * 37) % commits,
                initial_files: 60,
                seed: 5000 + i as u64,
            },
        );
        assert!(git(&repo).args(["repack", "-adq"]).status().unwrap().success());
    }
    dir
}

struct Worker {
    child: Child,
    addr: String,
    cache: PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_worker(cache: PathBuf) -> Worker {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitfleet"))
        .args(["worker", "--listen", "127.0.0.1:0"])
        .env("GITFLEET_CACHE_DIR", &cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .nth(4)
        .expect("the worker prints its address")
        .to_string();
    Worker { child, addr, cache }
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

/// The repositories a worker's cache holds.
fn held(cache: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![cache.join("repos")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".git") {
                names.push(name);
            } else if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    names
}

/// One run of the CLI: (answer, wall s, CPU s, peak RSS MB), from `/usr/bin/time`.
fn run(cache: &Path, workers: Option<&str>, urls: &[String], extra: &[&str]) -> (String, f64, f64, f64) {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%e %U %S %M", env!("CARGO_BIN_EXE_gitfleet")])
        .env("GITFLEET_CACHE_DIR", cache)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GITFLEET_WORKERS");
    if let Some(w) = workers {
        cmd.args(["--workers", w]);
    }
    for url in urls {
        cmd.args(["-r", url]);
    }
    cmd.args(extra).args(["sql", QUERY, "--format", "csv"]);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let last: Vec<f64> = stderr
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        last[0],
        last[1] + last[2],
        last[3] / 1024.0,
    )
}

fn range(values: &[f64]) -> String {
    let min = values.iter().cloned().fold(f64::MAX, f64::min);
    let max = values.iter().cloned().fold(f64::MIN, f64::max);
    format!("{min:.2}–{max:.2}")
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("this benchmark needs /usr/bin/time (apt-get install time)");
        std::process::exit(1);
    }
    let repos = env_usize("GITFLEET_BENCH_REPOS", 48);
    let commits = env_usize("GITFLEET_BENCH_REPO_COMMITS", 300);
    let repeats = env_usize("GITFLEET_BENCH_REPEATS", 5);
    let base = fleet(repos, commits);
    let scratch = tempfile::tempdir().unwrap();
    let daemon = start_daemon(&base);
    let urls: Vec<String> = (0..repos)
        .map(|i| format!("git://127.0.0.1:{}/r{i:02}.git", daemon.port))
        .collect();

    let workers: Vec<Worker> = (0..3)
        .map(|i| start_worker(scratch.path().join(format!("worker-{i}"))))
        .collect();
    let list = workers
        .iter()
        .map(|w| w.addr.clone())
        .collect::<Vec<_>>()
        .join(",");
    let single_cache = scratch.path().join("single");
    let coordinator_cache = scratch.path().join("coordinator");

    // Cold: every repository cloned (single-node: here; distributed: by its worker).
    let (expected, single_cold, single_cold_cpu, _) = run(&single_cache, None, &urls, &[]);
    let cpu_before: Vec<f64> = workers.iter().map(|w| cpu_seconds(w.child.id())).collect();
    let (answer, dist_cold, coord_cold_cpu, _) = run(&coordinator_cache, Some(&list), &urls, &[]);
    assert_eq!(answer, expected, "the workers' answer differs from single-node");
    let cold_cpu: Vec<f64> = workers
        .iter()
        .zip(&cpu_before)
        .map(|(w, b)| cpu_seconds(w.child.id()) - b)
        .collect();
    drop(daemon); // Warm runs need no network.

    // Rows per worker: each repository's commit count, from the answer, by the worker holding it.
    let counts: Vec<(String, u64)> = expected
        .lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split(',');
            let repo = cells.next().unwrap().rsplit('/').next().unwrap().to_string();
            (repo, cells.next().unwrap().parse().unwrap())
        })
        .collect();
    let rows_of = |w: &Worker| -> u64 {
        let names = held(&w.cache);
        counts
            .iter()
            .filter(|(r, _)| names.contains(r))
            .map(|(_, n)| n)
            .sum()
    };

    let measure = |extra: &[&str]| {
        let mut single = Vec::new();
        let mut dist = Vec::new();
        let mut coord_cpu = Vec::new();
        let mut coord_rss = Vec::new();
        let mut worker_cpu = vec![0.0; workers.len()];
        for _ in 0..repeats {
            let (a, wall, _, _) = run(&single_cache, None, &urls, extra);
            assert_eq!(a, expected);
            single.push(wall);
            let before: Vec<f64> = workers.iter().map(|w| cpu_seconds(w.child.id())).collect();
            let (a, wall, cpu, rss) = run(&coordinator_cache, Some(&list), &urls, extra);
            assert_eq!(a, expected);
            for (i, w) in workers.iter().enumerate() {
                worker_cpu[i] += cpu_seconds(w.child.id()) - before[i];
            }
            dist.push(wall);
            coord_cpu.push(cpu);
            coord_rss.push(rss);
        }
        let ratios: Vec<f64> = dist.iter().zip(&single).map(|(d, s)| d / s).collect();
        (
            single,
            dist,
            ratios,
            coord_cpu,
            coord_rss,
            worker_cpu.iter().map(|c| c / repeats as f64).collect::<Vec<_>>(),
        )
    };
    let cached = measure(&[]);
    let computed = measure(&["--no-stats-cache"]);

    println!("{repos} repositories ({} commits in all), 3 workers and the coordinator on one 2-core machine, loopback\n", counts.iter().map(|c| c.1).sum::<u64>());
    println!("| | single-node | on 3 workers | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| cold: clone all + `{QUERY}` | {single_cold:.2} s ({single_cold_cpu:.1} CPU-s) | {dist_cold:.2} s (coordinator {coord_cold_cpu:.2} CPU-s) | {:.2}x |",
        dist_cold / single_cold
    );
    for (name, m) in [
        ("warm, stats cached", &cached),
        ("warm, stats computed (`--no-stats-cache`)", &computed),
    ] {
        println!(
            "| {name}, {repeats} runs | {} s | {} s | {} |",
            range(&m.0),
            range(&m.1),
            range(&m.2)
        );
    }
    println!("\n| worker | repositories | bytes cloned | rows | CPU-s cold | CPU-s per warm run (cached / computed) |");
    println!("|---|---|---|---|---|---|");
    for (i, w) in workers.iter().enumerate() {
        println!(
            "| {i} | {} | {:.1} MB | {} | {:.2} | {:.2} / {:.2} |",
            held(&w.cache).len(),
            dir_bytes(&w.cache.join("repos")) as f64 / 1e6,
            rows_of(w),
            cold_cpu[i],
            cached.5[i],
            computed.5[i]
        );
    }
    let mean: f64 = computed.5.iter().sum::<f64>() / workers.len() as f64;
    let max = computed.5.iter().cloned().fold(0.0, f64::max);
    println!(
        "\nbalance (computed stats): busiest worker {:.2}x the mean CPU; coordinator per warm run: {} CPU-s, peak RSS {} MB",
        max / mean,
        range(&computed.3),
        range(&computed.4)
    );
    println!(
        "per repository (computed stats): {:.3} CPU-s on a worker, {:.4} CPU-s on the coordinator",
        computed.5.iter().sum::<f64>() / repos as f64,
        computed.3.iter().sum::<f64>() / computed.3.len() as f64 / repos as f64
    );
}
