//! The delta-base cache of scans that read many versions of the same files and directories
//! (history diffs, blame): one per scan, shared by the scan's worker handles, capped by the
//! bytes it really holds.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use gix::odb::pack::cache::DecodeEntry;

/// Bytes of decoded objects one scan keeps for delta resolution, all its workers together.
/// git keeps 96 MB (`core.deltaBaseCacheLimit`) for its one thread. On git.git's stats scan
/// (two workers, benches/README.md) 64 MB took 14.3–14.5 CPU-s and 118–119 MB of anonymous
/// memory, 96 MB 13.6 CPU-s and 149 MB, 32 MB 15.7 CPU-s and 85 MB.
const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// The same for scans that hand out a row per file or line (`commit_files`, `diff_lines`):
/// their rows and patches in flight take the memory the stats scans give the cache. On git.git
/// `SELECT * FROM commit_files` peaked at 181–184 MB anonymous memory with 32 MB, 202 MB with
/// 64 MB (git's `log -p`: 155 MB).
const ROWS_CACHE_BYTES: usize = 32 << 20;

/// The same for scans that hand out each file's patch text, which is what their memory goes
/// to. On git.git's `SELECT * FROM commit_files`, 16 MB peaked at 109 MB anonymous memory and
/// took 3% more CPU than 32 MB (126 MB).
const PATCH_CACHE_BYTES: usize = 16 << 20;

/// Shards of the cache, each with its own lock and an equal part of the bytes: the workers
/// take a lock for every link of every delta chain they resolve, and copy the object out
/// under it.
const SHARDS: usize = 8;

/// Bytes of capacity per object a shard may index at most: the index lives outside the ring,
/// so a history of tiny objects must not grow it without bound.
const BYTES_PER_ENTRY: usize = 512;

/// Decoded pack objects by (pack, offset), in rings of bytes written in turn, the oldest
/// overwritten first; an object read from the older half of its ring is written again at the
/// front, so the objects in use stay (close to least-recently-used order).
///
/// Why not gix's own caches:
/// - gix's default holds 64 objects. A diff reads a few trees and blobs per commit, so by the
///   time a directory changes again its previous version is gone, and its delta chain (up to 50
///   deep) is resolved from the root once more: 17% of the stats scan's CPU and 18% of a whole
///   repository's blame on the generated benchmark history.
/// - gix's byte-capped map belongs to one handle and weighs an entry by its length while
///   reusing evicted buffers of any capacity.
/// - one cache per worker holds the same bases twice; shared, the workers resolve each other's
///   chains from the nearest base (gix-pack is patched to cache every base along a chain, as
///   git does: vendor/README.md).
///
/// Why rings rather than an allocation per object: a scan puts and evicts millions of objects
/// of every size, and the allocator's free lists fragmented around them. On git.git's stats
/// scan a least-recently-used map of separately allocated objects (64 MB) took 123 MB more
/// anonymous memory than a 1 MB cache; its heap peak was 108 MB against 43 MB.
#[derive(Clone)]
pub(crate) struct DeltaBaseCache(Arc<[Mutex<Ring>]>);

type Key = (u32, u64);

/// Where an object is in its ring.
#[derive(Clone, Copy)]
struct Slot {
    /// Position in the ring's stream of written bytes; it lives at `at % capacity`.
    at: u64,
    len: usize,
    kind: gix::object::Kind,
    compressed_size: usize,
}

/// One shard: a buffer of `capacity` bytes holding the last `capacity` bytes written to it.
struct Ring {
    capacity: usize,
    max_entries: usize,
    /// Reserved at the first object and filled during the first lap: a scan of a small
    /// repository touches only the pages it writes.
    buf: Vec<u8>,
    /// Position of the next write; the ring holds positions `head - capacity .. head`.
    head: u64,
    index: HashMap<Key, Slot>,
    /// Objects in the order they were written, to drop from `index` once overwritten (an
    /// object written again leaves a stale entry behind, skipped then).
    order: VecDeque<(u64, Key)>,
}

impl Ring {
    fn new(capacity: usize) -> Self {
        Ring {
            capacity,
            max_entries: (capacity / BYTES_PER_ENTRY).max(1),
            buf: Vec::new(),
            head: 0,
            index: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether an object written at `at` is still whole.
    fn holds(&self, at: u64) -> bool {
        at + self.capacity as u64 >= self.head
    }

    fn put(&mut self, key: Key, data: &[u8], kind: gix::object::Kind, compressed_size: usize) {
        // Larger than the ring: not kept (git keeps nothing larger than its whole limit either).
        if self.capacity == 0 || data.len() > self.capacity {
            return;
        }
        if self.buf.capacity() < self.capacity && self.buf.try_reserve_exact(self.capacity).is_err() {
            // A `core.deltaBaseCacheLimit` larger than the memory to be had: the scan runs
            // without a cache rather than failing.
            *self = Ring::new(0);
            return;
        }
        let capacity = self.capacity as u64;
        let mut at = self.head;
        if at % capacity + data.len() as u64 > capacity {
            // An object never wraps: the tail is skipped, and the next lap starts at 0.
            at += capacity - at % capacity;
        }
        let start = (at % capacity) as usize;
        let end = start + data.len();
        if self.buf.len() < end {
            // The first lap: the ring grows as it is written, so only pages in use are touched.
            self.buf.resize(end, 0);
        }
        self.buf[start..end].copy_from_slice(data);
        self.head = at + data.len() as u64;
        let slot = Slot {
            at,
            len: data.len(),
            kind,
            compressed_size,
        };
        self.index.insert(key, slot);
        self.order.push_back((at, key));
        while let Some(&(at, key)) = self.order.front() {
            if self.holds(at) && self.order.len() <= self.max_entries {
                break;
            }
            self.order.pop_front();
            if self.index.get(&key).is_some_and(|slot| slot.at == at) {
                self.index.remove(&key);
            }
        }
    }

    fn get(&mut self, key: Key, out: &mut Vec<u8>) -> Option<(gix::object::Kind, usize)> {
        let slot = *self.index.get(&key)?;
        let start = (slot.at % self.capacity as u64) as usize;
        out.clear();
        out.extend_from_slice(&self.buf[start..start + slot.len]);
        if slot.at + ((self.capacity / 2) as u64) < self.head {
            // In the older half: written again at the front before it is overwritten.
            self.put(key, out, slot.kind, slot.compressed_size);
        }
        Some((slot.kind, slot.compressed_size))
    }
}

impl DeltaBaseCache {
    /// A cache for one scan of `repo`: `core.deltaBaseCacheLimit` bytes when the repository
    /// sets it, as git reads it, or [`DEFAULT_CACHE_BYTES`].
    pub(crate) fn for_history(repo: &gix::Repository) -> Self {
        Self::configured_or(repo, DEFAULT_CACHE_BYTES)
    }

    /// A cache for one scan of `repo` that emits a row per file or line
    /// ([`ROWS_CACHE_BYTES`] unless the repository sets `core.deltaBaseCacheLimit`).
    pub(crate) fn for_rows(repo: &gix::Repository) -> Self {
        Self::configured_or(repo, ROWS_CACHE_BYTES)
    }

    /// A cache for one scan of `repo` that emits each file's patch
    /// ([`PATCH_CACHE_BYTES`] unless the repository sets `core.deltaBaseCacheLimit`).
    pub(crate) fn for_patches(repo: &gix::Repository) -> Self {
        Self::configured_or(repo, PATCH_CACHE_BYTES)
    }

    fn configured_or(repo: &gix::Repository, default: usize) -> Self {
        let configured = repo
            .config_snapshot()
            .integer("core.deltaBaseCacheLimit")
            .and_then(|bytes| usize::try_from(bytes).ok());
        Self::with_capacity(configured.unwrap_or(default))
    }

    /// `bytes` split evenly between the shards (git's limit of 0 keeps nothing).
    fn with_capacity(bytes: usize) -> Self {
        let rings: Vec<Mutex<Ring>> = (0..SHARDS)
            .map(|_| Mutex::new(Ring::new(bytes / SHARDS)))
            .collect();
        DeltaBaseCache(rings.into())
    }

    /// Makes `repo` (and every handle cloned from it) resolve deltas through this cache.
    pub(crate) fn attach(&self, repo: &mut gix::Repository) {
        let cache = self.clone();
        repo.objects.set_pack_cache(move || Box::new(cache.clone()));
    }

    fn ring(&self, key: Key) -> std::sync::MutexGuard<'_, Ring> {
        // Offsets of neighbouring objects differ in their low bits; the multiplication spreads
        // them over the shards.
        let hash = (key.1 ^ u64::from(key.0)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let shard = (hash >> 32) as usize % SHARDS;
        // A panic elsewhere cannot leave a ring half-updated in a way that matters: an object
        // is indexed only after it is written.
        self.0[shard].lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DecodeEntry for DeltaBaseCache {
    fn put(
        &mut self,
        pack_id: u32,
        offset: u64,
        data: &[u8],
        kind: gix::object::Kind,
        compressed_size: usize,
    ) {
        let key = (pack_id, offset);
        self.ring(key).put(key, data, kind, compressed_size);
    }

    fn get(&mut self, pack_id: u32, offset: u64, out: &mut Vec<u8>) -> Option<(gix::object::Kind, usize)> {
        let key = (pack_id, offset);
        self.ring(key).get(key, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: gix::object::Kind = gix::object::Kind::Blob;

    #[test]
    fn a_ring_overwrites_its_oldest_objects_and_keeps_those_in_use() {
        const UNIT: usize = 1024;
        let mut ring = Ring::new(5 * UNIT);
        let mut out = Vec::new();
        for offset in 0..5 {
            ring.put((0, offset), &[offset as u8; UNIT], BLOB, 10);
        }
        assert_eq!(ring.buf.capacity(), 5 * UNIT);
        assert_eq!(ring.get((0, 0), &mut out), Some((BLOB, 10)));
        assert_eq!(out, vec![0u8; UNIT]);
        // Object 0 was in the older half, so that read wrote it again at the front, over
        // its own old copy.
        assert_eq!(ring.index[&(0, 0)].at, 5 * UNIT as u64);
        ring.put((0, 5), &[5; UNIT], BLOB, 10);
        // The oldest object was overwritten, not the one just read.
        assert_eq!(ring.get((0, 1), &mut out), None);
        for kept in [5, 0, 2] {
            assert!(ring.get((0, kept), &mut out).is_some(), "offset {kept}");
            assert_eq!(out, vec![kept as u8; UNIT]);
        }
        ring.put((0, 9), &vec![9; 5 * UNIT + 1], BLOB, 10); // larger than the ring: not kept
        assert_eq!(ring.get((0, 9), &mut out), None);
        assert_eq!(
            ring.get((1, 0), &mut out),
            None,
            "another pack's object at the same offset"
        );
        assert_eq!(ring.buf.capacity(), 5 * UNIT, "the ring never grows");
    }

    #[test]
    fn a_ring_without_room_keeps_nothing_and_fails_nothing() {
        let mut out = Vec::new();
        for capacity in [0, 1 << 62] {
            let mut ring = Ring::new(capacity);
            ring.put((0, 1), b"", BLOB, 1);
            ring.put((0, 2), b"data", BLOB, 1);
            assert_eq!(ring.get((0, 1), &mut out), None, "capacity {capacity}");
            assert_eq!(ring.get((0, 2), &mut out), None, "capacity {capacity}");
        }
    }

    #[test]
    fn a_ring_indexes_a_bounded_number_of_objects() {
        let mut ring = Ring::new(2 * BYTES_PER_ENTRY);
        let mut out = Vec::new();
        for offset in 0..3 {
            ring.put((0, offset), b"x", BLOB, 1);
        }
        assert_eq!(ring.get((0, 0), &mut out), None, "over the entry limit");
        assert!(ring.get((0, 1), &mut out).is_some());
        assert!(ring.index.len() <= 2 && ring.order.len() <= 2);
    }

    /// Objects of every size, read back at random: a hit is always the bytes that were put,
    /// across laps, skipped tails and objects written again.
    #[test]
    fn a_ring_returns_exactly_what_was_put() {
        let mut ring = Ring::new(64 * 1024);
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let object = |offset: u64| -> Vec<u8> {
            let len = (offset * 7919 % 1500) as usize;
            (0..len).map(|i| (offset as usize + i) as u8).collect()
        };
        let (mut out, mut hits) = (Vec::new(), 0);
        for _ in 0..20_000 {
            let offset = next(200);
            if next(2) == 0 {
                ring.put((0, offset), &object(offset), BLOB, offset as usize);
            } else if let Some((_, packed)) = ring.get((0, offset), &mut out) {
                hits += 1;
                assert_eq!((packed, &out), (offset as usize, &object(offset)));
            }
            assert!(ring.index.values().all(|slot| ring.holds(slot.at)));
        }
        assert!(hits > 1000, "{hits} hits");
    }

    #[test]
    fn the_capacity_is_split_between_the_shards() {
        let cache = DeltaBaseCache::with_capacity(SHARDS * 10 * BYTES_PER_ENTRY);
        let mut writer = cache.clone();
        let mut out = Vec::new();
        for offset in 0..400 {
            writer.put(0, offset, &[offset as u8; 100], BLOB, 10);
        }
        let rings: Vec<_> = cache.0.iter().map(|ring| ring.lock().unwrap()).collect();
        assert!(rings
            .iter()
            .all(|ring| ring.buf.capacity() == 10 * BYTES_PER_ENTRY));
        assert!(
            rings.iter().all(|ring| !ring.index.is_empty()),
            "objects spread over every shard"
        );
        drop(rings);
        let kept = (0..400)
            .filter(|&offset| writer.get(0, offset, &mut out).is_some())
            .count();
        // Each ring indexes at most 10 objects: one per BYTES_PER_ENTRY of its capacity.
        assert!((SHARDS..=SHARDS * 10).contains(&kept), "{kept} objects kept");
        assert_eq!(DeltaBaseCache::with_capacity(0).get(0, 0, &mut out), None);
    }

    #[test]
    fn the_size_is_the_repositorys_delta_base_cache_limit_when_it_sets_one() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        let sizes = || {
            let repo = gix::open(dir.path()).unwrap();
            [
                DeltaBaseCache::for_history(&repo),
                DeltaBaseCache::for_rows(&repo),
                DeltaBaseCache::for_patches(&repo),
            ]
            .map(|cache| {
                cache
                    .0
                    .iter()
                    .map(|ring| ring.lock().unwrap().capacity)
                    .sum::<usize>()
            })
        };
        assert_eq!(
            sizes(),
            [DEFAULT_CACHE_BYTES, ROWS_CACHE_BYTES, PATCH_CACHE_BYTES]
        );
        git(&["config", "core.deltaBaseCacheLimit", "3m"]);
        assert_eq!(sizes(), [3 << 20; 3]);
    }

    #[test]
    fn clones_share_one_cache() {
        let mut a = DeltaBaseCache::with_capacity(1 << 20);
        let mut b = a.clone();
        a.put(0, 7, b"base", gix::object::Kind::Tree, 4);
        assert_eq!(b.get(0, 8, &mut Vec::new()), None);
        let mut out = Vec::new();
        assert_eq!(b.get(0, 7, &mut out), Some((gix::object::Kind::Tree, 4)));
        assert_eq!(out, b"base");
    }
}
