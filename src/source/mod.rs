//! Data sources: they return plain Rust records and know nothing of Arrow or DataFusion.

pub(crate) mod credentials;
pub(crate) mod fault;
pub(crate) mod fleet;
pub(crate) mod git;
pub(crate) mod github;

/// A name no other writer uses at the same time: process id, a per-process counter (two threads
/// may ask within one clock tick) and the time. Temporary files built under it are renamed into
/// place, so concurrent writers never see each other's partial files.
pub(crate) fn unique_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{n}-{nanos}", std::process::id())
}

/// Whether `name` is a `.tmp-<pid>-...` temporary (see [`unique_name`]) of a process that no
/// longer runs: left by a writer that was killed, safe to remove.
pub(crate) fn abandoned_temporary(name: &std::ffi::OsStr) -> bool {
    let Some(pid) = name
        .to_str()
        .and_then(|n| n.strip_prefix(".tmp-"))
        .and_then(|n| n.split('-').next())
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return false;
    };
    pid != std::process::id() && !process_alive(pid)
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without a cheap liveness check, leave it: a stale temporary wastes space, nothing else.
        true
    }
}
