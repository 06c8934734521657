//! An on-disk cache of per-commit diff stats, so a second scan of an unchanged history
//! computes no diffs. A commit id names immutable content, so entries are never invalidated.
//!
//! Layout: `<cache>/stats/v2/<repo key>/seg-*.bin`, each segment a header, fixed-width
//! records (20-byte SHA-1, additions, deletions, files changed as little-endian i64) and a
//! checksum of both (64-bit FNV-1a, which any single changed byte changes). The key covers the
//! repository and its rename settings (`diff.renames`, `diff.renameLimit`), which change the
//! stats; v1 held stats from an earlier rename detection that differed from git's. A scan
//! that computed new stats writes them as a new segment: written to a temporary name, then
//! renamed, so concurrent writers never see or leave a partial segment. Segments are merged
//! when there are many; a reader that loses a race with a merge just misses the cache.
//! A damaged segment (bad checksum, negative counts) is removed with one warning and its stats
//! are computed again; foreign files are ignored, never trusted.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::diff::DiffStats;
use crate::source::fault;

const MAGIC: &[u8; 8] = b"GFSTAT02";
const CHECKSUM: usize = 8;
const RECORD: usize = 20 + 3 * 8;
/// No commit changes more lines or files than this (2^40); a larger count is damage, and
/// sums over any history stay far from overflowing.
const MAX_COUNT: i64 = 1 << 40;
/// Merge segments once there are more than this many.
const MAX_SEGMENTS: usize = 16;

pub(crate) struct StatsCache {
    dir: PathBuf,
    entries: HashMap<ObjectId, DiffStats>,
    segments: Vec<PathBuf>,
}

impl StatsCache {
    /// Loads the cache of the repository at `repo_path` (the normalised location) for stats
    /// computed under `settings` (anything else that changes them, e.g. rename options).
    pub(crate) fn open(cache_root: &Path, repo_path: &str, settings: &str) -> Self {
        // A hash that is the same in every build and Rust release (std's DefaultHasher is not:
        // a toolchain upgrade would silently orphan every cache).
        let key = [repo_path.as_bytes(), &[0], settings.as_bytes()].concat();
        let leaf = Path::new(repo_path)
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            })
            .unwrap_or_default();
        let dir = cache_root
            .join("stats")
            .join("v2")
            .join(format!("{leaf}-{:016x}", checksum(&key)));
        let mut cache = StatsCache {
            dir,
            entries: HashMap::new(),
            segments: Vec::new(),
        };
        cache.load();
        cache
    }

    fn load(&mut self) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in listing.flatten() {
            let path = entry.path();
            if crate::source::abandoned_temporary(&entry.file_name()) {
                // A writer killed mid-segment (`.tmp-<pid>-...` of a process that is gone).
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let is_segment = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seg-") && n.ends_with(".bin"));
            if !is_segment {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            match parse_segment(&bytes, &mut self.entries) {
                Segment::Valid => self.segments.push(path),
                Segment::Damaged => {
                    tracing::warn!(
                        "stats cache segment {} is damaged; removed, its stats are computed again",
                        path.display()
                    );
                    let _ = std::fs::remove_file(&path);
                }
                Segment::Foreign => {}
            }
        }
    }

    pub(crate) fn get(&self, id: &ObjectId) -> Option<DiffStats> {
        self.entries.get(id).copied()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Stores newly computed stats as a new segment (best effort: a cache that cannot be
    /// written only costs speed), merging segments when there are many.
    pub(crate) fn store(&mut self, new: &[(ObjectId, DiffStats)]) {
        let new: Vec<&(ObjectId, DiffStats)> =
            new.iter().filter(|(id, _)| id.as_bytes().len() == 20).collect();
        if new.is_empty() {
            return;
        }
        for (id, stats) in &new {
            self.entries.insert(*id, *stats);
        }
        if self.segments.len() + 1 > MAX_SEGMENTS {
            // One segment with everything known replaces the ones read at open.
            let all: Vec<(ObjectId, DiffStats)> = self.entries.iter().map(|(k, v)| (*k, *v)).collect();
            if let Some(merged) = self.write_segment(all.iter()) {
                for old in std::mem::take(&mut self.segments) {
                    let _ = std::fs::remove_file(old);
                }
                self.segments.push(merged);
            }
        } else if let Some(path) = self.write_segment(new.into_iter()) {
            self.segments.push(path);
        }
    }

    fn write_segment<'a>(&self, records: impl Iterator<Item = &'a (ObjectId, DiffStats)>) -> Option<PathBuf> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let bytes = encode(records);
        let unique = crate::source::unique_name();
        let tmp = self.dir.join(format!(".tmp-{unique}"));
        let path = self.dir.join(format!("seg-{unique}.bin"));
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                let half = bytes.len() / 2;
                f.write_all(&bytes[..half])?;
                fault::kill_point("stats-segment-write");
                fault::io_point("stats-segment-write")?;
                f.write_all(&bytes[half..])?;
                f.sync_all()
            })
            .and_then(|_| std::fs::rename(&tmp, &path));
        match written {
            Ok(()) => Some(path),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                // Results do not depend on the cache; the user should still know why the next
                // scan will be slow again (a full disk, a read-only cache directory).
                tracing::warn!(
                    "stats cache not written to {} ({e}); results are complete, the next scan computes these stats again",
                    self.dir.display()
                );
                None
            }
        }
    }
}

enum Segment {
    Valid,
    /// Ours, but changed since it was written.
    Damaged,
    /// Not a segment of this format.
    Foreign,
}

/// A segment's bytes: header, records, checksum.
fn encode<'a>(records: impl Iterator<Item = &'a (ObjectId, DiffStats)>) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    for (id, s) in records {
        bytes.extend_from_slice(id.as_bytes());
        for v in [s.additions, s.deletions, s.files_changed] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

/// 64-bit FNV-1a: every step is a bijection of the state, so one changed byte always changes it.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Adds a segment's records to `out`; nothing is added unless the whole segment checks out.
fn parse_segment(bytes: &[u8], out: &mut HashMap<ObjectId, DiffStats>) -> Segment {
    if !bytes.starts_with(MAGIC) {
        return Segment::Foreign;
    }
    if bytes.len() < MAGIC.len() + CHECKSUM || !(bytes.len() - MAGIC.len() - CHECKSUM).is_multiple_of(RECORD)
    {
        return Segment::Damaged;
    }
    let (content, sum) = bytes.split_at(bytes.len() - CHECKSUM);
    if checksum(content) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Segment::Damaged;
    }
    let mut records = Vec::new();
    for record in content[MAGIC.len()..].chunks_exact(RECORD) {
        let Ok(id) = ObjectId::try_from(&record[..20]) else {
            return Segment::Damaged;
        };
        let num = |i: usize| i64::from_le_bytes(record[20 + i * 8..28 + i * 8].try_into().expect("8 bytes"));
        let stats = DiffStats {
            additions: num(0),
            deletions: num(1),
            files_changed: num(2),
        };
        if [stats.additions, stats.deletions, stats.files_changed]
            .iter()
            .any(|v| !(0..=MAX_COUNT).contains(v))
        {
            return Segment::Damaged;
        }
        records.push((id, stats));
    }
    out.extend(records);
    Segment::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The directory name is part of the on-disk format: pinned, so a change of hash function
    /// (or of Rust's) cannot silently empty every cache.
    #[test]
    fn cache_directory_names_are_stable() {
        let dir = StatsCache::open(Path::new("/nonexistent-root"), "/src/repo", "renames=1").dir;
        assert_eq!(
            dir,
            Path::new("/nonexistent-root/stats/v2")
                .join(format!("repo-{:016x}", checksum(b"/src/repo\0renames=1")))
        );
        assert_eq!(checksum(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(checksum(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    fn id(n: u8) -> ObjectId {
        ObjectId::try_from([n; 20].as_slice()).unwrap()
    }

    #[test]
    fn stores_reloads_and_merges() {
        let root = tempfile::tempdir().unwrap();
        let stats = |n| DiffStats {
            additions: n,
            deletions: n + 1,
            files_changed: 1,
        };
        for n in 0..(MAX_SEGMENTS as u8 + 3) {
            let mut cache = StatsCache::open(root.path(), "/repo/a", "");
            cache.store(&[(id(n), stats(i64::from(n)))]);
        }
        let cache = StatsCache::open(root.path(), "/repo/a", "");
        assert_eq!(cache.len(), MAX_SEGMENTS + 3);
        assert_eq!(cache.get(&id(5)), Some(stats(5)));
        assert!(cache.segments.len() <= MAX_SEGMENTS, "segments were merged");
        assert!(
            StatsCache::open(root.path(), "/repo/b", "").is_empty(),
            "per repository"
        );
    }

    #[test]
    fn corrupt_segments_are_ignored() {
        let root = tempfile::tempdir().unwrap();
        let mut cache = StatsCache::open(root.path(), "/repo/a", "");
        cache.store(&[(id(1), DiffStats::default())]);
        std::fs::write(cache.dir.join("seg-bad.bin"), b"GFSTAT02 truncated").unwrap();
        std::fs::write(cache.dir.join("seg-foreign.bin"), b"something else entirely").unwrap();
        let cache = StatsCache::open(root.path(), "/repo/a", "");
        assert_eq!(cache.len(), 1);
        assert!(
            !cache.dir.join("seg-bad.bin").exists(),
            "a damaged segment is removed"
        );
        assert!(
            cache.dir.join("seg-foreign.bin").exists(),
            "a foreign file is left alone"
        );
    }

    #[test]
    fn any_flipped_byte_or_negative_count_drops_the_segment() {
        let root = tempfile::tempdir().unwrap();
        let mut cache = StatsCache::open(root.path(), "/repo/a", "");
        let stats = DiffStats {
            additions: 3,
            deletions: 4,
            files_changed: 1,
        };
        cache.store(&[(id(1), stats), (id(2), stats)]);
        let segment = cache.segments[0].clone();
        let good = std::fs::read(&segment).unwrap();
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            let mut out = HashMap::new();
            assert!(
                !matches!(parse_segment(&bad, &mut out), Segment::Valid) && out.is_empty(),
                "byte {at} flipped was trusted"
            );
        }
        // A well-formed segment whose counts are impossible (written by something else).
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(id(3).as_bytes());
        for v in [i64::MAX, -1, 1] {
            forged.extend_from_slice(&v.to_le_bytes());
        }
        let sum = checksum(&forged);
        forged.extend_from_slice(&sum.to_le_bytes());
        assert!(matches!(
            parse_segment(&forged, &mut HashMap::new()),
            Segment::Damaged
        ));
    }

    #[test]
    fn settings_key_the_cache() {
        let root = tempfile::tempdir().unwrap();
        StatsCache::open(root.path(), "/repo/a", "renames").store(&[(id(1), DiffStats::default())]);
        assert_eq!(StatsCache::open(root.path(), "/repo/a", "renames").len(), 1);
        assert!(StatsCache::open(root.path(), "/repo/a", "no-renames").is_empty());
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzz::{fuzz, mutated_bytes};

    fn seeds() -> Vec<Vec<u8>> {
        let id = |n: u8| ObjectId::try_from([n; 20].as_slice()).unwrap();
        let stats = |a, d, f| DiffStats {
            additions: a,
            deletions: d,
            files_changed: f,
        };
        vec![
            encode([].iter()),
            encode([(id(1), stats(3, 4, 1))].iter()),
            encode(
                [
                    (id(1), stats(0, 0, 0)),
                    (id(2), stats(MAX_COUNT, 1, 2)),
                    (id(1), stats(5, 5, 5)),
                ]
                .iter(),
            ),
            b"GFSTAT01".to_vec(),
            b"something else".to_vec(),
        ]
    }

    /// Any bytes, and mutated segments whose checksum is fixed up again (so the records
    /// themselves are read): never a panic, and a segment accepted is one whose every record
    /// is in range and whose bytes are exactly what writing its records gives.
    #[test]
    fn fuzz_stats_segments() {
        let input = (mutated_bytes(seeds()), any::<bool>());
        fuzz("fuzz_stats_segments", input, |(mut bytes, fix_checksum)| {
            if fix_checksum && bytes.len() >= MAGIC.len() + CHECKSUM {
                let at = bytes.len() - CHECKSUM;
                let sum = checksum(&bytes[..at]);
                bytes[at..].copy_from_slice(&sum.to_le_bytes());
            }
            let mut out = HashMap::new();
            let verdict = parse_segment(&bytes, &mut out);
            match verdict {
                Segment::Valid => {
                    prop_assert!(out.values().all(|s| [s.additions, s.deletions, s.files_changed]
                        .iter()
                        .all(|v| (0..=MAX_COUNT).contains(v))));
                    let records: Vec<(ObjectId, DiffStats)> = bytes[MAGIC.len()..bytes.len() - CHECKSUM]
                        .chunks_exact(RECORD)
                        .map(|r| {
                            (
                                ObjectId::try_from(&r[..20]).unwrap(),
                                out[&ObjectId::try_from(&r[..20]).unwrap()],
                            )
                        })
                        .collect();
                    prop_assert!(out.len() <= records.len());
                    if out.len() == records.len() {
                        prop_assert_eq!(encode(records.iter()), bytes);
                    }
                }
                Segment::Damaged | Segment::Foreign => prop_assert!(out.is_empty()),
            }
            Ok(())
        });
    }
}
