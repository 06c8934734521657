//! The xdiff port against git itself: random file pairs full of repeated lines (blank lines,
//! braces, duplicated blocks) diffed by `git diff --no-index -U0`, whose hunk headers are
//! exactly xdiff's changes (no context lines, so git trims the common tail as blame does).

use std::ops::Range;
use std::path::Path;
use std::process::Command;

use gitfleet_diffcore::{xdiff_hunks, XdiffOptions};

/// A small deterministic generator (xorshift64*), so a failure names a reproducible seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Lines that repeat, with indentation the indent heuristic cares about.
const VOCABULARY: &[&str] = &[
    "",
    "",
    "",
    "}",
    "{",
    "    }",
    "\t}",
    "    return 0;",
    "\tif (x) {",
    "def f():",
    "    pass",
    ".. autofunction:: flask.url_for",
    ".. autoclass:: Flask",
    "   :members:",
    "    ",
    "#",
    // git's isspace is space, tab, newline and CR only: \v and \f indent nothing.
    "\u{b}    }",
    "\u{c}",
];

fn random_line(rng: &mut Rng) -> String {
    if rng.below(6) == 0 {
        // A line with no match in the other file: xdiff sets these aside before Myers, and
        // lines with many matches among them too.
        format!("unique {}", rng.next())
    } else if rng.below(4) == 0 {
        let indent = ["", "    ", "\t", "        "][rng.below(4)];
        format!("{indent}line {}", rng.below(40))
    } else {
        VOCABULARY[rng.below(VOCABULARY.len())].to_string()
    }
}

fn random_file(rng: &mut Rng, max_lines: usize) -> Vec<String> {
    let n = rng.below(max_lines + 1);
    (0..n).map(|_| random_line(rng)).collect()
}

/// Edits as people make them: inserted and deleted runs, replaced lines, moved and
/// duplicated blocks.
fn edit(rng: &mut Rng, old: &[String], edits: usize) -> Vec<String> {
    let mut new = old.to_vec();
    for _ in 0..rng.below(edits + 1) {
        let at = rng.below(new.len() + 1);
        match rng.below(5) {
            0 => {
                for _ in 0..1 + rng.below(6) {
                    new.insert(at, random_line(rng));
                }
            }
            1 if at < new.len() => {
                let end = (at + 1 + rng.below(6)).min(new.len());
                new.drain(at..end);
            }
            2 if at < new.len() => new[at] = random_line(rng),
            3 if at < new.len() => {
                let end = (at + 1 + rng.below(8)).min(new.len());
                let block: Vec<String> = new[at..end].to_vec();
                let to = rng.below(new.len() + 1);
                for (k, line) in block.into_iter().enumerate() {
                    new.insert(to + k, line);
                }
            }
            _ => {
                if at < new.len() {
                    let end = (at + 1 + rng.below(8)).min(new.len());
                    let block: Vec<String> = new.drain(at..end).collect();
                    let to = rng.below(new.len() + 1);
                    for (k, line) in block.into_iter().enumerate() {
                        new.insert(to + k, line);
                    }
                }
            }
        }
    }
    new
}

fn join(lines: &[String], final_newline: bool) -> Vec<u8> {
    let mut text = lines.join("\n");
    if final_newline && !lines.is_empty() {
        text.push('\n');
    }
    text.into_bytes()
}

type Pair = (Range<u32>, Range<u32>);

/// The port's hunks as ranges.
fn ours(old: &[u8], new: &[u8], options: XdiffOptions) -> Vec<Pair> {
    xdiff_hunks(old, new, options)
        .into_iter()
        .map(|h| (h.before, h.after))
        .collect()
}

/// Lines added and removed by the port's hunks.
fn counts(old: &[u8], new: &[u8], options: XdiffOptions) -> (u32, u32) {
    let hunks = xdiff_hunks(old, new, options);
    let added = hunks.iter().map(|h| h.after.len() as u32).sum::<u32>();
    let removed = hunks.iter().map(|h| h.before.len() as u32).sum::<u32>();
    (added, removed)
}

/// A scratch directory for git's two files, unique to this process and `name`.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitfleet-xdiff-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `@@ -a[,b] +c[,d] @@` headers as 0-based ranges (a count of 0 names the line before).
fn git_hunks(dir: &Path, old: &[u8], new: &[u8], flags: &[&str]) -> Vec<Pair> {
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, old).unwrap();
    std::fs::write(&b, new).unwrap();
    let out = Command::new("git")
        .args([
            "-c",
            "core.quotepath=false",
            "diff",
            "--no-index",
            "--no-color",
            "-U0",
        ])
        .args(flags)
        .arg(&a)
        .arg(&b)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "git diff failed: {out:?}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let range = |spec: &str| -> Range<u32> {
        let (start, count) = match spec.split_once(',') {
            Some((s, c)) => (s.parse::<u32>().unwrap(), c.parse::<u32>().unwrap()),
            None => (spec.parse::<u32>().unwrap(), 1),
        };
        let start = if count == 0 { start } else { start - 1 };
        start..start + count
    };
    text.lines()
        .filter_map(|line| line.strip_prefix("@@ -"))
        .map(|rest| {
            let mut parts = rest.split(' ');
            let old = parts.next().unwrap();
            let new = parts.next().unwrap().trim_start_matches('+');
            (range(old), range(new))
        })
        .collect()
}

fn check(seeds: Range<u64>, max_lines: usize, edits: usize, options: XdiffOptions, flags: &[&str]) {
    let dir = scratch(&format!("{max_lines}{}", flags.join("")));
    for seed in seeds {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let old_lines = random_file(&mut rng, max_lines);
        let new_lines = edit(&mut rng, &old_lines, edits);
        let old = join(&old_lines, rng.below(8) != 0);
        let new = join(&new_lines, rng.below(8) != 0);
        let ours = ours(&old, &new, options);
        let git = git_hunks(&dir, &old, &new, flags);
        assert_eq!(
            ours,
            git,
            "seed {seed}, flags {flags:?}\n--- old\n{}\n--- new\n{}",
            String::from_utf8_lossy(&old),
            String::from_utf8_lossy(&new)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn small_files_with_repeated_lines_match_git() {
    check(0..600, 40, 6, XdiffOptions::default(), &[]);
    check(600..800, 300, 30, XdiffOptions::default(), &[]);
}

#[test]
fn without_the_indent_heuristic_and_minimal_match_git() {
    let plain = XdiffOptions {
        indent_heuristic: false,
        ..Default::default()
    };
    check(1000..1200, 40, 6, plain, &["--no-indent-heuristic"]);
    let minimal = XdiffOptions {
        minimal: true,
        ..Default::default()
    };
    check(2000..2200, 200, 40, minimal, &["--minimal"]);
}

#[test]
fn large_rewrites_take_git_s_cost_heuristics() {
    // Thousands of lines with hundreds of edits push the edit cost past xdiff's heuristic
    // thresholds (a good snake after cost 256, the furthest path past sqrt(N)).
    check(3000..3030, 4000, 600, XdiffOptions::default(), &[]);
}

/// 1,400 blocks of 25 unique lines, then the same blocks with 40-120 pairs swapped.
fn shuffled_blocks(seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let blocks: Vec<Vec<String>> = (0..1400)
        .map(|b| (0..25).map(|l| format!("block {b} line {l}")).collect())
        .collect();
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    for _ in 0..40 + rng.below(80) {
        let (i, j) = (rng.below(order.len()), rng.below(order.len()));
        order.swap(i, j);
    }
    let old: Vec<String> = blocks.concat();
    let new: Vec<String> = order.iter().flat_map(|&b| blocks[b].clone()).collect();
    (join(&old, true), join(&new, true))
}

#[test]
fn shuffled_blocks_take_git_s_good_snake_cut() {
    // Blocks of 25 unique lines in a new order: every line has a match, so nothing is
    // discarded up front, and the edit cost passes 256 while long snakes exist, the case
    // where xdiff cuts at a good diagonal instead of the middle snake. It only can below
    // its give-up cost, max(256, ~sqrt(lines of both)): 70,000 lines make that 512.
    let dir = scratch("blocks");
    for seed in 0..6u64 {
        let (old, new) = shuffled_blocks(seed);
        let ours = ours(&old, &new, XdiffOptions::default());
        assert_eq!(ours, git_hunks(&dir, &old, &new, &[]), "seed {seed}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn blank_lines_among_rewritten_lines_match_git() {
    // Many blank lines, most lines rewritten: blank lines match too often to be useful
    // and sit in runs of lines without a match, which xdiff discards before Myers
    // (`xdl_cleanup_records`, `xdl_clean_mmatch`).
    let dir = scratch("blank");
    for seed in 0..300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let line = |rng: &mut Rng| match rng.below(10) {
            0..=2 => String::new(),
            3 => "}".to_string(),
            _ => format!("unique {}", rng.next()),
        };
        let n = 20 + rng.below(200);
        let old: Vec<String> = (0..n).map(|_| line(&mut rng)).collect();
        let new: Vec<String> = old
            .iter()
            .map(|l| {
                if rng.below(3) != 0 {
                    line(&mut rng)
                } else {
                    l.clone()
                }
            })
            .collect();
        let (old, new) = (join(&old, true), join(&new, true));
        let ours = ours(&old, &new, XdiffOptions::default());
        assert_eq!(ours, git_hunks(&dir, &old, &new, &[]), "seed {seed}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `git diff --no-index --numstat`: (added, removed).
fn git_numstat(dir: &Path, old: &[u8], new: &[u8]) -> (u32, u32) {
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, old).unwrap();
    std::fs::write(&b, new).unwrap();
    let out = Command::new("git")
        .args(["diff", "--no-index", "--numstat"])
        .arg(&a)
        .arg(&b)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    match (fields.next(), fields.next()) {
        (Some(added), Some(removed)) => (added.parse().unwrap(), removed.parse().unwrap()),
        _ => (0, 0),
    }
}

#[test]
fn line_counts_without_tail_trimming_match_git_numstat() {
    // --numstat diffs with 3 context lines, so git does not trim the common tail: the counts
    // of the untrimmed diff are git's, on files long enough for trimming to matter.
    let dir = scratch("numstat");
    let options = XdiffOptions {
        trim_common_tail: false,
        ..Default::default()
    };
    for seed in 5000..5300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let old_lines = random_file(&mut rng, 600);
        let new_lines = edit(&mut rng, &old_lines, 40);
        let (old, new) = (join(&old_lines, true), join(&new_lines, rng.below(8) != 0));
        let (added, removed) = counts(&old, &new, options);
        assert_eq!((added, removed), git_numstat(&dir, &old, &new), "seed {seed}");
    }
    // Large reorderings, where xdiff's cost heuristics give up on a minimal diff: the counts
    // are git's non-minimal ones (a minimal Myers diff counts fewer lines).
    for seed in 0..3u64 {
        let (old, new) = shuffled_blocks(seed);
        let (added, removed) = counts(&old, &new, options);
        let minimal = gitfleet_diffcore::count_changed_lines(&old, &new);
        let git = git_numstat(&dir, &old, &new);
        assert_eq!(
            (added, removed),
            git,
            "shuffled blocks, seed {seed} (minimal: {minimal:?})"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
