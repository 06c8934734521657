//! Object-database settings for repository handles that read many versions of the same files
//! and directories (history diffs, blame).

/// Bytes of decoded objects each such handle keeps for delta resolution.
const PACK_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Gives `repo` a delta-base cache sized by bytes instead of gix's default of 64 entries.
/// A diff reads a few trees and blobs per commit, so with 64 entries a directory's previous
/// version is gone by the time the directory changes again, and its whole delta chain (up to
/// 50 deep) is resolved from the base once more: 17% of the stats scan's CPU and 18% of a whole
/// repository's blame on the benchmark histories (`benches/README.md`). A repository that sets
/// `core.deltaBaseCacheLimit` keeps its own choice.
pub(crate) fn use_history_pack_cache(repo: &mut gix::Repository) {
    if repo
        .config_snapshot()
        .integer("core.deltaBaseCacheLimit")
        .is_some()
    {
        return;
    }
    repo.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE_BYTES,
        ))
    });
}
