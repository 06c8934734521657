//! The commit-graph's changed-path Bloom filters (the BIDX and BDAT chunks that
//! `git commit-graph write --changed-paths` adds, and clone-on-scan writes): for a commit and a
//! path, "certainly unchanged against the first parent" or "maybe changed". Single-file blame
//! uses them as `git blame` does, to pass over the commits that did not touch the file without
//! reading their trees. gix-commitgraph does not read these chunks.
//!
//! Format: git's `Documentation/gitformat-commit-graph.txt`; hashing: git's `bloom.c` (two
//! seeded murmur3 hashes, combined into `num_hashes` bit positions; the filter holds every
//! changed path and each of its leading directories).

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

const SIGNATURE: &[u8; 4] = b"CGPH";
const OID_FANOUT: u32 = u32::from_be_bytes(*b"OIDF");
const OID_LOOKUP: u32 = u32::from_be_bytes(*b"OIDL");
const BLOOM_INDEXES: u32 = u32::from_be_bytes(*b"BIDX");
const BLOOM_DATA: u32 = u32::from_be_bytes(*b"BDAT");
/// The BDAT chunk starts with hash version, number of hashes and bits per entry.
const BLOOM_HEADER: usize = 12;
const SEED0: u32 = 0x293a_e76f;
const SEED1: u32 = 0x7e64_6e2c;

/// The Bloom filters of a repository's commit-graph (every layer of a split graph).
pub struct ChangedPaths {
    layers: Vec<Layer>,
}

/// One commit-graph file that has Bloom filters.
struct Layer {
    map: Bytes,
    hash_len: usize,
    num_commits: usize,
    fanout: usize,
    lookup: usize,
    indexes: usize,
    /// Where the filters start (after the BDAT header) and end.
    data: std::ops::Range<usize>,
    hash_version: u32,
    num_hashes: u32,
}

/// The hashes of one path, computed once and tested against many commits' filters.
#[derive(Debug, Clone, Copy)]
pub struct PathKey {
    /// (hash0, hash1) as murmur3 version 2 computes them; version 1 agrees on ASCII paths.
    hashes: (u32, u32),
    ascii: bool,
}

impl PathKey {
    pub fn new(path: &[u8]) -> Self {
        PathKey {
            hashes: (murmur3(SEED0, path), murmur3(SEED1, path)),
            ascii: path.is_ascii(),
        }
    }
}

impl ChangedPaths {
    /// The filters under `objects_dir/info`, if its commit-graph has any. As git does, a single
    /// `commit-graph` file wins over a `commit-graphs/` chain. Unreadable or malformed files are
    /// treated as absent: the filters only ever save work.
    pub fn open(objects_dir: &Path) -> Option<Self> {
        let info = objects_dir.join("info");
        let single = info.join("commit-graph");
        let files: Vec<PathBuf> = if single.is_file() {
            vec![single]
        } else {
            let dir = info.join("commit-graphs");
            let chain = std::fs::read_to_string(dir.join("commit-graph-chain")).ok()?;
            chain
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|hash| dir.join(format!("graph-{}.graph", hash.trim())))
                .collect()
        };
        let layers: Vec<Layer> = files.iter().filter_map(|f| Layer::open(f)).collect();
        (!layers.is_empty()).then_some(ChangedPaths { layers })
    }

    /// Some(false) if `commit` certainly has the same entry at the key's path as its first
    /// parent; Some(true) if it may differ; None if no filter covers the commit.
    pub fn maybe_changed(&self, commit: &gix::oid, key: &PathKey) -> Option<bool> {
        self.layers
            .iter()
            .find_map(|layer| layer.maybe_changed(commit, key))
    }
}

/// A commit-graph file's bytes: mapped from disk, or (the fuzz target's) owned.
enum Bytes {
    Mapped(Mmap),
    #[cfg(test)]
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            #[cfg(test)]
            Bytes::Owned(bytes) => bytes,
        }
    }
}

impl Layer {
    fn open(path: &Path) -> Option<Self> {
        let file = File::open(path).ok()?;
        // SAFETY: git writes commit-graph files to a temporary name and renames them into
        // place; it never changes one in place, so the mapping stays valid while we hold it.
        let map = unsafe { Mmap::map(&file) }.ok()?;
        Layer::parse(Bytes::Mapped(map))
    }

    fn parse(map: Bytes) -> Option<Self> {
        let bytes = &map[..];
        if bytes.len() < 8 || &bytes[..4] != SIGNATURE || bytes[4] != 1 {
            return None;
        }
        let hash_len = match bytes[5] {
            1 => 20,
            2 => 32,
            _ => return None,
        };
        let num_chunks = bytes[6] as usize;
        let mut chunks = Vec::with_capacity(num_chunks);
        for i in 0..=num_chunks {
            let entry = bytes.get(8 + i * 12..8 + (i + 1) * 12)?;
            let id = u32::from_be_bytes(entry[..4].try_into().ok()?);
            let offset = usize::try_from(u64::from_be_bytes(entry[4..].try_into().ok()?)).ok()?;
            chunks.push((id, offset));
        }
        let chunk = |id: u32| -> Option<std::ops::Range<usize>> {
            let i = chunks[..num_chunks].iter().position(|(c, _)| *c == id)?;
            let range = chunks[i].1..chunks[i + 1].1;
            (range.start <= range.end && range.end <= bytes.len()).then_some(range)
        };
        let fanout = chunk(OID_FANOUT).filter(|r| r.len() == 256 * 4)?;
        let lookup = chunk(OID_LOOKUP)?;
        let num_commits = lookup.len() / hash_len;
        let indexes = chunk(BLOOM_INDEXES).filter(|r| r.len() == num_commits * 4)?;
        let data = chunk(BLOOM_DATA).filter(|r| r.len() >= BLOOM_HEADER)?;
        let header = |i: usize| u32::from_be_bytes(bytes[data.start + i * 4..][..4].try_into().unwrap());
        let (hash_version, num_hashes) = (header(0), header(1));
        // git writes 7 hashes; a count past 32 is damage (and up to 2^32 tests per lookup).
        if !matches!(hash_version, 1 | 2) || !(1..=32).contains(&num_hashes) {
            return None;
        }
        Some(Layer {
            hash_len,
            num_commits,
            fanout: fanout.start,
            lookup: lookup.start,
            indexes: indexes.start,
            data: data.start + BLOOM_HEADER..data.end,
            hash_version,
            num_hashes,
            map,
        })
    }

    fn be32(&self, at: usize) -> usize {
        u32::from_be_bytes(self.map[at..at + 4].try_into().unwrap()) as usize
    }

    /// The commit's position in this file.
    fn position(&self, commit: &gix::oid) -> Option<usize> {
        let id = commit.as_bytes();
        if id.len() != self.hash_len {
            return None;
        }
        let first = id[0] as usize;
        let mut lo = if first == 0 {
            0
        } else {
            self.be32(self.fanout + (first - 1) * 4)
        };
        let mut hi = self.be32(self.fanout + first * 4).min(self.num_commits);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = self.lookup + mid * self.hash_len;
            match self.map[at..at + self.hash_len].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn maybe_changed(&self, commit: &gix::oid, key: &PathKey) -> Option<bool> {
        let pos = self.position(commit)?;
        if self.hash_version == 1 && !key.ascii {
            // Version 1 hashed bytes above 0x7f as signed chars on some platforms and not on
            // others, so its filters cannot be trusted for such paths (git ignores them too).
            return Some(true);
        }
        let start = if pos == 0 {
            0
        } else {
            self.be32(self.indexes + (pos - 1) * 4)
        };
        let end = self.be32(self.indexes + pos * 4);
        if start > end || self.data.start + end > self.data.end {
            return None; // a malformed index: no answer rather than a wrong one
        }
        let filter = &self.map[self.data.start + start..self.data.start + end];
        // A commit whose filter was not computed (too many changed paths, or a write limit)
        // has an empty one: anything may have changed.
        let bits = filter.len() as u64 * 8;
        if bits == 0 {
            return Some(true);
        }
        let (h0, h1) = key.hashes;
        let certainly_absent = (0..self.num_hashes).any(|i| {
            let bit = u64::from(h0.wrapping_add(i.wrapping_mul(h1))) % bits;
            filter[(bit / 8) as usize] & (1 << (bit % 8)) == 0
        });
        Some(!certainly_absent)
    }
}

/// murmur3_32 as git's `murmur3_seeded_v2` computes it (bytes unsigned, little-endian blocks).
fn murmur3(mut seed: u32, data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes(block.try_into().unwrap());
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed ^= k;
        seed = seed.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k ^= u32::from(*b) << (8 * i);
        }
        seed ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    seed ^= data.len() as u32;
    seed ^= seed >> 16;
    seed = seed.wrapping_mul(0x85eb_ca6b);
    seed ^= seed >> 13;
    seed = seed.wrapping_mul(0xc2b2_ae35);
    seed ^ (seed >> 16)
}

#[cfg(test)]
mod tests {
    use super::{murmur3, PathKey};

    /// git's own expectations (t/t0095-bloom.sh: `test-tool bloom get_murmur3`,
    /// `get_murmur3_seven_highbit`, and the key of the empty string with 7 hashes).
    #[test]
    fn murmur3_matches_git() {
        assert_eq!(murmur3(0, b""), 0);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog"),
            0x2e4f_f723
        );
        assert_eq!(murmur3(0, b"\x99\xaa\xbb\xcc\xdd\xee\xff"), 0xa183_ccfd);
        let key = PathKey::new(b"");
        let hashes: Vec<u32> = (0..7u32)
            .map(|i| key.hashes.0.wrapping_add(i.wrapping_mul(key.hashes.1)))
            .collect();
        assert_eq!(
            hashes,
            [0x5615800c, 0x5b966560, 0x61174ab4, 0x66983008, 0x6c19155c, 0x7199fab0, 0x771ae004]
        );
    }
}

#[cfg(test)]
mod fuzz {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::fuzz::{fuzz, mutated_bytes};

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=F", "-c", "user.email=f@x"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        String::from_utf8(out.stdout).unwrap()
    }

    /// A real commit-graph with changed-path filters (version 1 and 2) over a short history.
    fn graphs(dir: &Path) -> (Vec<Vec<u8>>, Vec<gix::ObjectId>) {
        git(dir, &["init", "-q"]);
        for i in 0..6 {
            std::fs::create_dir_all(dir.join(format!("d{}", i % 2))).unwrap();
            std::fs::write(dir.join(format!("d{}/f{i}", i % 2)), format!("{i}")).unwrap();
            git(dir, &["add", "."]);
            git(dir, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        let mut seeds = Vec::new();
        for version in ["1", "2"] {
            git(
                dir,
                &[
                    "-c",
                    &format!("commitGraph.changedPathsVersion={version}"),
                    "commit-graph",
                    "write",
                    "--reachable",
                    "--changed-paths",
                ],
            );
            seeds.push(std::fs::read(dir.join(".git/objects/info/commit-graph")).unwrap());
        }
        let commits = git(dir, &["rev-list", "--all"])
            .lines()
            .map(|l| gix::ObjectId::from_hex(l.as_bytes()).unwrap())
            .collect();
        (seeds, commits)
    }

    /// Damaged commit-graph files (bytes changed, inserted, removed; offsets and counts at
    /// their extremes) never panic: a file is refused or answers every lookup.
    #[test]
    fn fuzz_commit_graph_bloom() {
        let dir = tempfile::tempdir().unwrap();
        let (seeds, commits) = graphs(dir.path());
        assert!(
            seeds
                .iter()
                .all(|s| Layer::parse(Bytes::Owned(s.clone())).is_some()),
            "git's own files are read"
        );
        let keys: Vec<PathKey> = [&b"d0/f0"[..], b"d1", b"nope", "\u{e9}".as_bytes(), b""]
            .iter()
            .map(|p| PathKey::new(p))
            .collect();
        fuzz("fuzz_commit_graph_bloom", mutated_bytes(seeds), |bytes| {
            if let Some(layer) = Layer::parse(Bytes::Owned(bytes)) {
                for commit in &commits {
                    for key in &keys {
                        let _ = layer.maybe_changed(commit, key);
                    }
                }
                let _ = layer.maybe_changed(gix::ObjectId::null(gix::hash::Kind::Sha1).as_ref(), &keys[0]);
            }
            Ok(())
        });
    }
}
