//! Conditional requests: the last answer to each GitHub URL (ETag, Link header, body) kept in
//! the cache directory, so that a `304 Not Modified` (which costs no quota) is answered from
//! disk. Safe under concurrent writers: entries are written to a temporary file and renamed.
//! An entry that is not exactly what was written (a checksum over every field) or whose body
//! is not JSON is deleted and treated as absent, so the request goes out unconditionally and
//! a damaged entry cannot be served again and again by 304s.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::source::unique_name;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Cached {
    pub url: String,
    pub etag: String,
    pub link: Option<String>,
    pub body: String,
}

/// An entry as stored: the answer and its checksum.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    entry: Cached,
    checksum: String,
}

fn checksum(entry: &Cached) -> String {
    let mut text = String::new();
    for field in [
        &entry.url,
        &entry.etag,
        entry.link.as_deref().unwrap_or("\u{0}none"),
        &entry.body,
    ] {
        text.push_str(&field.len().to_string());
        text.push(':');
        text.push_str(field);
    }
    format!("{:016x}", fnv1a(&text))
}

#[derive(Debug, Clone)]
pub(crate) struct EtagCache {
    dir: Option<PathBuf>,
}

impl EtagCache {
    /// Entries under `cache_dir/github`; no directory, no cache.
    pub(crate) fn new(cache_dir: Option<PathBuf>) -> Self {
        EtagCache {
            dir: cache_dir.map(|d| d.join("github")),
        }
    }

    fn path(&self, url: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(format!("{:016x}.json", fnv1a(url))))
    }

    pub(crate) fn get(&self, url: &str) -> Option<Cached> {
        let path = self.path(url)?;
        let text = std::fs::read_to_string(&path).ok()?;
        let valid = serde_json::from_str::<Stored>(&text).ok().filter(|stored| {
            stored.checksum == checksum(&stored.entry)
                && serde_json::from_str::<serde_json::Value>(&stored.entry.body).is_ok()
        });
        let Some(Stored { entry, .. }) = valid else {
            tracing::debug!("dropping a damaged GitHub cache entry {}", path.display());
            let _ = std::fs::remove_file(&path);
            return None;
        };
        // A hash collision must not serve another URL's body.
        (entry.url == url).then_some(entry)
    }

    /// Best effort: a cache that cannot be written only costs quota later.
    pub(crate) fn put(&self, entry: &Cached) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.path(&entry.url)) else {
            return;
        };
        let stored = Stored {
            entry: entry.clone(),
            checksum: checksum(entry),
        };
        let Ok(text) = serde_json::to_string(&stored) else {
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

    #[test]
    fn a_damaged_entry_is_dropped_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::new(Some(dir.path().to_path_buf()));
        let url = "http://x/repos/a/b/issues";
        let entry = Cached {
            url: url.into(),
            etag: "\"e\"".into(),
            link: Some("<http://x/repos/a/b/issues?page=2>; rel=\"next\"".into()),
            body: "[1, 2]".into(),
        };
        let path = cache.path(url).unwrap();
        for damage in [
            // One byte of the body flipped.
            ("[1, 2]", "[1, 3]"),
            // The link pointed elsewhere.
            ("http://x/repos/a/b/issues?page=2", "http://evil/steal?page=2"),
            // Not JSON at all.
            ("{", "#"),
        ] {
            cache.put(&entry);
            assert!(cache.get(url).is_some());
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains(damage.0), "{text}");
            std::fs::write(&path, text.replacen(damage.0, damage.1, 1)).unwrap();
            assert!(cache.get(url).is_none(), "{damage:?} was served");
            assert!(!path.exists(), "{damage:?} was kept");
        }
        // A body that is not JSON, stored with a matching checksum, is not served either.
        cache.put(&Cached {
            body: "not json".into(),
            ..entry.clone()
        });
        assert!(cache.get(url).is_none());
    }
}
