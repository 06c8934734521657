//! Data sources: they return plain Rust records and know nothing of Arrow or DataFusion.

pub mod fleet;
pub mod git;
pub mod github;

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

/// A counting semaphore for blocking threads: at most `n` holders of a [`Slot`] at once.
#[derive(Debug)]
pub struct Slots {
    free: std::sync::Mutex<usize>,
    cv: std::sync::Condvar,
}

/// One of a [`Slots`]' places, given back when dropped.
#[derive(Debug)]
pub struct Slot<'a>(&'a Slots);

impl Slots {
    pub fn new(n: usize) -> Self {
        Slots {
            free: std::sync::Mutex::new(n.max(1)),
            cv: std::sync::Condvar::new(),
        }
    }

    /// Blocks until a place is free.
    pub fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.cv.notify_one();
    }
}
