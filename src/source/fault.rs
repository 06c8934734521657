//! Fault injection for the fault tests (`tests/clone.rs`): `GITFLEET_FAULT=<point>` makes the
//! process die by SIGKILL at that point, as `kill -9` would, or (`<point>:enospc`) makes a
//! write there fail as on a full disk. Some faults cannot be timed from outside: a stats
//! segment is written in microseconds. The variable is read once; without it every point is
//! one comparison of a cached `None`.
//!
//! Points: `stats-segment-write` (half a segment written to its temporary file, not yet
//! renamed).

use std::sync::OnceLock;

fn configured() -> Option<&'static str> {
    static FAULT: OnceLock<Option<String>> = OnceLock::new();
    FAULT
        .get_or_init(|| std::env::var("GITFLEET_FAULT").ok().filter(|v| !v.is_empty()))
        .as_deref()
}

/// Dies here by SIGKILL when `GITFLEET_FAULT` names `point`.
pub(crate) fn kill_point(point: &str) {
    if configured() == Some(point) {
        #[cfg(unix)]
        // SAFETY: kill(2) on our own pid has no memory effects.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}

/// A write error as a full disk gives it, when `GITFLEET_FAULT` is `<point>:enospc`.
pub(crate) fn io_point(point: &str) -> std::io::Result<()> {
    match configured().and_then(|f| f.strip_suffix(":enospc")) {
        Some(p) if p == point => Err(std::io::Error::from_raw_os_error(28)), // ENOSPC
        _ => Ok(()),
    }
}
