//! Conditional requests: the last answer to each GitHub URL (ETag, Link header, body) kept in
//! the cache directory, so that a `304 Not Modified` (which costs no quota) is answered from
//! disk. Safe under concurrent writers: entries are written to a temporary file and renamed.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::source::unique_name;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cached {
    pub url: String,
    pub etag: String,
    pub link: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct EtagCache {
    dir: Option<PathBuf>,
}

impl EtagCache {
    /// Entries under `cache_dir/github`; no directory, no cache.
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        EtagCache {
            dir: cache_dir.map(|d| d.join("github")),
        }
    }

    fn path(&self, url: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(format!("{:016x}.json", fnv1a(url))))
    }

    pub fn get(&self, url: &str) -> Option<Cached> {
        let text = std::fs::read_to_string(self.path(url)?).ok()?;
        let cached: Cached = serde_json::from_str(&text).ok()?;
        // A hash collision must not serve another URL's body.
        (cached.url == url).then_some(cached)
    }

    /// Best effort: a cache that cannot be written only costs quota later.
    pub fn put(&self, entry: &Cached) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(&entry.url)) else {
            return;
        };
        let Ok(text) = serde_json::to_string(entry) else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let temp = dir.join(format!(".tmp-{}", unique_name()));
        if std::fs::write(&temp, text).is_ok() && std::fs::rename(&temp, &path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}

/// FNV-1a, 64 bits: a stable file name for a URL (std's hasher is not stable across releases).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_never_cross_urls() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::new(Some(dir.path().to_path_buf()));
        let entry = Cached {
            url: "http://x/repos/a/b".into(),
            etag: "\"abc\"".into(),
            link: None,
            body: "[]".into(),
        };
        cache.put(&entry);
        assert_eq!(cache.get("http://x/repos/a/b").unwrap().etag, "\"abc\"");
        assert!(cache.get("http://x/repos/a/c").is_none());
        assert!(EtagCache::new(None).get("http://x/repos/a/b").is_none());
    }
}
