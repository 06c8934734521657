//! The delta-base cache of scans that read many versions of the same files and directories
//! (history diffs, blame): one per scan, shared by the scan's worker handles, capped by the
//! bytes it really holds.

use std::collections::hash_map::RandomState;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use gix::odb::pack::cache::DecodeEntry;

/// Bytes of decoded objects one scan keeps for delta resolution, all its workers together.
/// git keeps 96 MB (`core.deltaBaseCacheLimit`) for its one thread. On git.git's stats scan
/// (two workers, benches/README.md) 64 MB took 16.3–16.5 CPU-s and 182–192 MB of anonymous
/// memory, 96 MB 15.5–15.8 CPU-s and 235–245 MB, 32 MB 17.8–18.9 CPU-s and 136–138 MB.
const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// The same for scans that hand out a row per file or line (`commit_files`, `diff_lines`):
/// their rows and patches in flight take the memory the stats scans give the cache. On git.git
/// `SELECT * FROM commit_files` peaked at 258–292 MB anonymous memory with 32 MB, 351 MB with
/// 64 MB, for 6% more CPU.
const ROWS_CACHE_BYTES: usize = 32 << 20;

/// What an entry costs beyond its bytes (map slot, list node, allocation header), so that many
/// small objects cannot hold more than the cap unseen.
const ENTRY_OVERHEAD: usize = 64;

/// Decoded pack objects by (pack, offset), least recently used out first.
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
#[derive(Clone)]
pub(crate) struct DeltaBaseCache(Arc<Mutex<Lru>>);

type Key = (u32, u64);
type Lru = clru::CLruCache<Key, Entry, RandomState, Weight>;

struct Entry {
    /// Shared so that a lookup copies it out after the lock is released.
    data: Arc<[u8]>,
    kind: gix::object::Kind,
    compressed_size: usize,
}

struct Weight;

impl clru::WeightScale<Key, Entry> for Weight {
    fn weight(&self, _key: &Key, entry: &Entry) -> usize {
        entry.data.len() + ENTRY_OVERHEAD
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

    fn configured_or(repo: &gix::Repository, default: usize) -> Self {
        let configured = repo
            .config_snapshot()
            .integer("core.deltaBaseCacheLimit")
            .and_then(|bytes| usize::try_from(bytes).ok());
        Self::with_capacity(configured.unwrap_or(default))
    }

    fn with_capacity(bytes: usize) -> Self {
        // git's limit of 0 keeps nothing; the map needs room for at least one weight unit.
        let capacity = NonZeroUsize::new(bytes).unwrap_or(NonZeroUsize::MIN);
        let config = clru::CLruCacheConfig::new(capacity).with_scale(Weight);
        DeltaBaseCache(Arc::new(Mutex::new(clru::CLruCache::with_config(config))))
    }

    /// Makes `repo` (and every handle cloned from it) resolve deltas through this cache.
    pub(crate) fn attach(&self, repo: &mut gix::Repository) {
        let cache = self.clone();
        repo.objects.set_pack_cache(move || Box::new(cache.clone()));
    }

    fn lru(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
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
        let entry = Entry {
            data: data.into(),
            kind,
            compressed_size,
        };
        // Err: larger than the whole cache, so not kept.
        let _ = self.lru().put_with_weight((pack_id, offset), entry);
    }

    fn get(&mut self, pack_id: u32, offset: u64, out: &mut Vec<u8>) -> Option<(gix::object::Kind, usize)> {
        // The lock is held for the lookup only: the other workers wait on it for every link of
        // every delta chain they resolve.
        let (data, kind, compressed_size) = {
            let mut lru = self.lru();
            let entry = lru.get(&(pack_id, offset))?;
            (Arc::clone(&entry.data), entry.kind, entry.compressed_size)
        };
        out.clear();
        out.extend_from_slice(&data);
        Some((kind, compressed_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_no_more_bytes_than_its_capacity_and_drops_the_least_recently_used() {
        // clru counts one unit per entry on top of its weight and keeps the total below the
        // capacity: room for three entries of 100 bytes, not four.
        let mut cache = DeltaBaseCache::with_capacity(3 * (100 + ENTRY_OVERHEAD + 1) + 1);
        let blob = gix::object::Kind::Blob;
        for offset in 0..3 {
            cache.put(0, offset, &[offset as u8; 100], blob, 10);
        }
        let mut out = Vec::new();
        assert_eq!(cache.get(0, 0, &mut out), Some((blob, 10)));
        assert_eq!(out, vec![0u8; 100]);
        cache.put(0, 3, &[3; 100], blob, 10); // evicts offset 1, the least recently used
        assert_eq!(cache.get(0, 1, &mut out), None);
        for kept in [0, 2, 3] {
            assert!(cache.get(0, kept, &mut out).is_some(), "offset {kept}");
        }
        assert_eq!(cache.lru().weight(), 3 * (100 + ENTRY_OVERHEAD));
        cache.put(0, 9, &[9; 1000], blob, 10); // larger than the whole cache: not kept
        assert_eq!(cache.get(0, 9, &mut out), None);
        assert_eq!(
            cache.get(1, 0, &mut out),
            None,
            "another pack's object at the same offset"
        );
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
        let size = |rows: bool| {
            let repo = gix::open(dir.path()).unwrap();
            let cache = if rows {
                DeltaBaseCache::for_rows(&repo)
            } else {
                DeltaBaseCache::for_history(&repo)
            };
            let capacity = cache.lru().capacity();
            capacity
        };
        assert_eq!((size(false), size(true)), (DEFAULT_CACHE_BYTES, ROWS_CACHE_BYTES));
        git(&["config", "core.deltaBaseCacheLimit", "3m"]);
        assert_eq!((size(false), size(true)), (3 << 20, 3 << 20));
    }

    #[test]
    fn clones_share_one_cache() {
        let mut a = DeltaBaseCache::with_capacity(1 << 20);
        let mut b = a.clone();
        a.put(0, 7, b"base", gix::object::Kind::Tree, 4);
        let mut out = Vec::new();
        assert_eq!(b.get(0, 7, &mut out), Some((gix::object::Kind::Tree, 4)));
        assert_eq!(out, b"base");
    }
}
