//! How the `gitfleet` process hands freed memory back to the system.
//!
//! glibc's malloc raises its thresholds as large buffers are freed: after a scan has freed a
//! few multi-MB blobs and patches, up to 64 MB of freed memory stays in each thread's heap
//! instead of going back (its "dynamic mmap threshold"). A history scan frees buffers of every
//! size all the time, so the process's memory settled well above what it used. Fixed
//! thresholds keep it near what is in use. Measured on git.git (2 cores, release build;
//! benches/README.md): `SELECT * FROM commit_files` peaked at 85 MB of anonymous memory
//! instead of 103–105 MB, in the same CPU time (106.9 against 104.9–107.8 s); the stats scan
//! was unchanged (102–106 MB, 14.9–15.0 CPU-s). A trim threshold of 1–4 MB saved more (68–72
//! MB) for 3–8% more CPU.
//!
//! Only the command sets them: the Python package runs in its host's process, whose allocator
//! is the host's to tune. A `GLIBC_TUNABLES` that sets malloc's own tunables wins.

/// Freed memory at the top of a heap beyond this goes back to the system.
const TRIM_THRESHOLD: i32 = 8 << 20;
/// Allocations from this size on are mapped on their own and unmapped when freed.
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Fixes malloc's thresholds; called first thing, before any thread starts.
pub(super) fn tune_allocator() {
    let user_set = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc."));
    if user_set {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes plain integers; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
