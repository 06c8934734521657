//! A time-boxed fuzzing runner for the parsers that read what users, servers and files on disk
//! hand us: repository names and URLs, revision specs, the server's SQL rewriter, GitHub's
//! headers, stats-cache segments and commit-graph Bloom filters.
//!
//! Each target is a `#[test] fn fuzz_*` next to the code it exercises, so it reaches private
//! parsers without widening their visibility. A target runs proptest's runner (random inputs,
//! then shrinking of a failure to a minimal one) in rounds until its time is up:
//! `GITFLEET_FUZZ_SECONDS` (default 1, so `cargo test` stays quick; the test command gives
//! each target 60). Inputs come from generators that know the input's shape and from mutations
//! of seed corpora taken from the tests (`mutated`, `mutated_bytes`). cargo-fuzz needs a
//! nightly toolchain and sanitizers, which CI does not have; proptest runs on stable.
//!
//! A failure prints the shrunk input and the round's seed; `GITFLEET_FUZZ_SEED=<hex>` replays
//! that round.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Cases per round; the clock is checked between rounds.
const ROUND: u32 = 256;

/// Runs `test` on inputs from `strategy` until the target's time is up; panics with the
/// minimal failing input and the seed that replays it.
pub(crate) fn fuzz<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let seconds: f64 = std::env::var("GITFLEET_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let replay = std::env::var("GITFLEET_FUZZ_SEED").ok();
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut execs: u64 = 0;
    let mut round: u64 = 0;
    loop {
        let seed = match &replay {
            Some(hex) => parse_seed(hex),
            None => fresh_seed(round),
        };
        let config = Config {
            cases: ROUND,
            failure_persistence: None,
            max_shrink_iters: 4096,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        if let Err(failure) = runner.run(&strategy, &test) {
            panic!(
                "fuzz target {name} failed: {failure}\nreplay: GITFLEET_FUZZ_SEED={} cargo test --lib {name}",
                hex(&seed)
            );
        }
        execs += u64::from(ROUND);
        round += 1;
        if replay.is_some() || start.elapsed() >= budget {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {name}: {execs} inputs in {secs:.1} s ({:.0}/s), no failure",
        execs as f64 / secs.max(1e-9)
    );
}

/// Strings made from `seeds` by up to eight edits each: inserting characters (some of them
/// the separators parsers split on), deleting or duplicating a span, splicing in another seed.
pub(crate) fn mutated(
    seeds: &'static [&'static str],
    alphabet: &'static str,
) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet
        .chars()
        .chain(['\u{e9}', '\u{1F600}', '\0', '\n'])
        .collect();
    let edit = (
        0..4u8,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        prop::sample::select(chars),
    );
    (
        prop::sample::select(seeds),
        prop::collection::vec(edit, 0..8),
        prop::sample::select(seeds),
    )
        .prop_map(|(seed, edits, other)| {
            let mut s: Vec<char> = seed.chars().collect();
            for (kind, at, len, c) in edits {
                let at = at.index(s.len() + 1);
                match kind {
                    0 => s.insert(at, c),
                    1 => {
                        let end = (at + len.index(4) + 1).min(s.len());
                        s.drain(at..end);
                    }
                    2 => {
                        let end = (at + len.index(8) + 1).min(s.len());
                        let span: Vec<char> = s[at..end].to_vec();
                        s.splice(at..at, span);
                    }
                    _ => {
                        let other: Vec<char> = other.chars().collect();
                        let from = len.index(other.len() + 1);
                        s.splice(at..at, other[from..].iter().copied());
                    }
                }
            }
            s.into_iter().collect()
        })
}

/// Byte strings made from `seeds` by up to eight edits each: a byte overwritten, inserted or
/// deleted, a span zeroed or filled with 0xff (lengths and offsets at their extremes).
pub(crate) fn mutated_bytes(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edit = (0..5u8, any::<prop::sample::Index>(), any::<u8>(), 1..16usize);
    (prop::sample::select(seeds), prop::collection::vec(edit, 0..8)).prop_map(|(mut bytes, edits)| {
        for (kind, at, byte, len) in edits {
            let at = at.index(bytes.len() + 1);
            let end = (at + len).min(bytes.len());
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 => {
                    bytes.drain(at..end);
                }
                3 => bytes[at..end].fill(0),
                _ => bytes[at..end].fill(0xff),
            }
        }
        bytes
    })
}

/// A different seed per round and per run (time and round number), printed on failure.
fn fresh_seed(round: u64) -> [u8; 32] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&nanos.to_le_bytes());
    seed[16..24].copy_from_slice(&round.to_le_bytes());
    seed[24..28].copy_from_slice(&std::process::id().to_le_bytes());
    seed
}

fn hex(seed: &[u8; 32]) -> String {
    seed.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_seed(hex: &str) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = hex
            .get(i * 2..i * 2 + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .expect("GITFLEET_FUZZ_SEED is 64 hex digits");
    }
    seed
}
