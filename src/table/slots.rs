//! The scan slots: how many partitions do git work at once.

use std::sync::{Arc, LazyLock};

/// Bounds how many partitions do git work at once (one per core); many repositories must not
/// mean many threads fighting over two cores and their caches. A semaphore both async scans
/// (before their thread exists) and producer threads (after waiting for a consumer) take from.
static SCAN_SLOTS: LazyLock<Arc<tokio::sync::Semaphore>> = LazyLock::new(|| {
    Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ))
});

pub(crate) async fn acquire_slot() -> tokio::sync::OwnedSemaphorePermit {
    SCAN_SLOTS
        .clone()
        .acquire_owned()
        .await
        .expect("the scan semaphore is never closed")
}
