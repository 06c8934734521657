//! A deterministic synthetic history, written as a `git fast-import` stream: files edited by
//! random hunks, adds, deletes, renames with edits, binary files and merged side branches.
//! Shared by the oracle tests (small) and the benchmarks (80k+ commits).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A small, fast, deterministic PRNG (xorshift64*): reproducible histories without a crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const WORDS: &[&str] = &[
    "let", "value", "return", "self", "count", "index", "total", "buffer", "config", "result", "error",
    "match", "items", "push", "len", "name", "path", "write", "read", "state",
];

fn line(rng: &mut Rng) -> String {
    // Some lines repeat often (braces, blank lines), as in real code: they make diffs ambiguous.
    match rng.below(10) {
        0 => "}".into(),
        1 => String::new(),
        _ => {
            let n = 2 + rng.below(6);
            let words: Vec<&str> = (0..n).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            format!("{}{};", "    ".repeat(rng.below(3)), words.join(" "))
        }
    }
}

struct File {
    path: String,
    lines: Vec<String>,
    binary: Option<Vec<u8>>,
}

impl File {
    fn bytes(&self) -> Vec<u8> {
        match &self.binary {
            Some(b) => b.clone(),
            None => {
                let mut s = self.lines.join("\n");
                if !self.lines.is_empty() {
                    s.push('\n');
                }
                s.into_bytes()
            }
        }
    }
}

pub struct Spec {
    pub commits: usize,
    pub initial_files: usize,
    pub seed: u64,
}

const PEOPLE: [(&str, &str); 5] = [
    ("Ada Lovelace", "ada@example.com"),
    ("Brian Kernighan", "bwk@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Linus Torvalds", "linus@example.com"),
    ("Margaret Hamilton", "mh@example.com"),
];

struct Generator {
    rng: Rng,
    out: Vec<u8>,
    next_file: usize,
    mark: usize,
}

impl Generator {
    fn new_file(&mut self, dir: &str) -> File {
        self.next_file += 1;
        let n = 5 + self.rng.below(120);
        File {
            path: format!("{dir}/d{}/file{}.rs", self.rng.below(20), self.next_file),
            lines: (0..n).map(|_| line(&mut self.rng)).collect(),
            binary: None,
        }
    }

    /// Starts a commit on `branch`; returns its mark.
    fn header(&mut self, branch: &str, message: &str, time: i64) -> usize {
        self.mark += 1;
        let (name, email) = PEOPLE[self.rng.below(PEOPLE.len())];
        let tz = ["+0000", "+0200", "-0500", "+0530"][self.rng.below(4)];
        write!(
            self.out,
            "commit refs/heads/{branch}\nmark :{}\nauthor {name} <{email}> {time} {tz}\ncommitter {name} <{email}> {time} {tz}\ndata {}\n{message}\n",
            self.mark,
            message.len()
        )
        .unwrap();
        self.mark
    }

    fn emit(&mut self, f: &File) {
        let bytes = f.bytes();
        write!(self.out, "M 100644 inline {}\ndata {}\n", f.path, bytes.len()).unwrap();
        self.out.extend_from_slice(&bytes);
        self.out.push(b'\n');
    }
}

/// Builds the fast-import stream for `spec`.
pub fn stream(spec: &Spec) -> Vec<u8> {
    let mut g = Generator {
        rng: Rng::new(spec.seed),
        out: Vec::new(),
        next_file: 0,
        mark: 0,
    };
    let mut files: Vec<File> = Vec::new();
    let mut time = 1_500_000_000i64;

    g.header("main", "initial import", time);
    for _ in 0..spec.initial_files {
        let f = g.new_file("src");
        g.emit(&f);
        files.push(f);
    }
    let mut main_tip = g.mark;
    let mut i = 1;
    while i < spec.commits {
        time += 600 + g.rng.below(7200) as i64;
        if g.rng.chance(3) && i + 3 < spec.commits {
            // A side branch with two commits on its own file, merged back with --no-ff.
            let base = main_tip;
            let mut side = g.new_file("side");
            let m1 = g.header("side", "side: start", time);
            writeln!(g.out, "from :{base}").unwrap();
            g.emit(&side);
            time += 60;
            edit(&mut g.rng, &mut side);
            let m2 = g.header("side", "side: continue", time);
            writeln!(g.out, "from :{m1}").unwrap();
            g.emit(&side);
            time += 60;
            // Main moves on meanwhile, so the merge is a real one.
            let k = g.rng.below(files.len());
            edit(&mut g.rng, &mut files[k]);
            let m3 = g.header("main", "main: meanwhile", time);
            writeln!(g.out, "from :{base}").unwrap();
            g.emit(&files[k]);
            time += 60;
            let merge = g.header("main", "Merge branch 'side'", time);
            writeln!(g.out, "from :{m3}\nmerge :{m2}").unwrap();
            g.emit(&side);
            files.push(side);
            main_tip = merge;
            i += 4;
            continue;
        }
        g.header("main", &format!("change {i}"), time);
        writeln!(g.out, "from :{main_tip}").unwrap();
        let ops = 1 + g.rng.below(4);
        for _ in 0..ops {
            let roll = g.rng.below(100);
            if roll < 6 || files.len() < 3 {
                let f = g.new_file("src");
                g.emit(&f);
                files.push(f);
            } else if roll < 9 {
                let f = files.swap_remove(g.rng.below(files.len()));
                writeln!(g.out, "D {}", f.path).unwrap();
            } else if roll < 13 {
                // Rename, usually with a small edit (still well above 50% similar).
                let k = g.rng.below(files.len());
                let old = files[k].path.clone();
                g.next_file += 1;
                files[k].path = format!("src/moved{}.rs", g.next_file);
                if files[k].binary.is_none() && files[k].lines.len() > 20 && g.rng.chance(60) {
                    let at = g.rng.below(files[k].lines.len());
                    files[k].lines[at] = line(&mut g.rng);
                }
                writeln!(g.out, "D {old}").unwrap();
                g.emit(&files[k]);
            } else if roll < 15 {
                let k = g.rng.below(files.len());
                let mut blob: Vec<u8> = (0..64 + g.rng.below(256))
                    .map(|_| g.rng.below(256) as u8)
                    .collect();
                blob[3] = 0;
                files[k].binary = Some(blob);
                g.emit(&files[k]);
            } else {
                let k = g.rng.below(files.len());
                files[k].binary = None;
                edit(&mut g.rng, &mut files[k]);
                g.emit(&files[k]);
            }
        }
        main_tip = g.mark;
        i += 1;
    }
    g.out
}

/// Random hunks: replace, insert and delete runs of lines.
fn edit(rng: &mut Rng, f: &mut File) {
    let hunks = 1 + rng.below(3);
    for _ in 0..hunks {
        let len = f.lines.len();
        let at = rng.below(len + 1);
        match rng.below(3) {
            0 => {
                let n = 1 + rng.below(8);
                for j in 0..n {
                    let l = line(rng);
                    f.lines.insert((at + j).min(f.lines.len()), l);
                }
            }
            1 if len > 0 => {
                let n = (1 + rng.below(6)).min(len - at.min(len));
                f.lines.drain(at.min(len)..at.min(len) + n);
            }
            _ if len > 0 => {
                let n = 1 + rng.below(4);
                for j in at.min(len - 1)..(at + n).min(len) {
                    f.lines[j] = line(rng);
                }
            }
            _ => f.lines.push(line(rng)),
        }
    }
}

/// Creates a bare repository at `dir` holding the history for `spec` (refs main and side).
pub fn build(dir: &Path, spec: &Spec) {
    let status = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git init");
    assert!(status.success());
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child.stdin.take().unwrap().write_all(&stream(spec)).unwrap();
    assert!(child.wait().unwrap().success(), "fast-import failed");
}

/// The history for `spec` at `dir`, generated once: built beside it, given a commit-graph with
/// changed-path Bloom filters (as clone-on-scan writes), then moved into place. The benchmarks
/// keep these between runs.
pub fn build_cached(dir: &Path, spec: &Spec) {
    if dir.join("HEAD").exists() {
        return;
    }
    eprintln!("generating {} commits in {} ...", spec.commits, dir.display());
    let start = std::time::Instant::now();
    let tmp = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
    build(&tmp, spec);
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(&tmp)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .status()
            .unwrap()
            .success()
    };
    // fast-import stores each new version as a delta of the previous one, so the newest
    // objects sit at the end of chains up to 50 long; a server's pack (what a clone receives)
    // has them the other way round. Without this, a newest-first scan inflates about twice
    // as much on both sides (80k history: stats at 1.9x git's CPU instead of 0.97x).
    assert!(git(&["repack", "-adfq", "--depth=50"]), "repack");
    assert!(
        git(&["commit-graph", "write", "--reachable", "--changed-paths"]),
        "commit-graph"
    );
    std::fs::rename(&tmp, dir).unwrap();
    eprintln!("generated in {:.1}s", start.elapsed().as_secs_f64());
}
