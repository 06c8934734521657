//! git's span hashing (`diffcore-delta.c`), which scores how similar two files are for rename
//! detection: bytes cut into spans, spans hashed and counted, counts compared.

use std::collections::HashMap;

/// A span hash and the bytes of spans with that hash (`struct spanhash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub hash: u32,
    pub count: u64,
}

/// git's span hashing: bytes cut after each LF or 64 bytes, each span hashed into
/// `HASHBASE` buckets; a CR before LF is skipped in text. Sorted by hash.
pub fn hash_spans(data: &[u8], is_text: bool) -> Vec<Span> {
    const HASHBASE: u32 = 107927;
    let mut counts: HashMap<u32, u64> = HashMap::new();
    let mut add = |a1: u32, a2: u32, n: u64| {
        let hash = a1.wrapping_add(a2.wrapping_mul(0x61)) % HASHBASE;
        *counts.entry(hash).or_default() += n;
    };
    let (mut a1, mut a2, mut n) = (0u32, 0u32, 0u64);
    let mut at = 0;
    while at < data.len() {
        let c = data[at];
        at += 1;
        if is_text && c == b'\r' && data.get(at) == Some(&b'\n') {
            continue;
        }
        let old1 = a1;
        a1 = (a1 << 7) ^ (a2 >> 25);
        a2 = (a2 << 7) ^ (old1 >> 25);
        a1 = a1.wrapping_add(u32::from(c));
        n += 1;
        if n < 64 && c != b'\n' {
            continue;
        }
        add(a1, a2, n);
        (a1, a2, n) = (0, 0, 0);
    }
    if n > 0 {
        add(a1, a2, n);
    }
    let mut spans: Vec<Span> = counts
        .into_iter()
        .map(|(hash, count)| Span { hash, count })
        .collect();
    spans.sort_unstable_by_key(|s| s.hash);
    spans
}

/// git's `diffcore_count_changes`: bytes of `dst` copied from `src`, and bytes added.
pub fn count_changes(src: &[Span], dst: &[Span]) -> (u64, u64) {
    let (mut copied, mut added) = (0u64, 0u64);
    let mut d = 0;
    for s in src {
        while d < dst.len() && dst[d].hash < s.hash {
            added += dst[d].count;
            d += 1;
        }
        let mut dst_count = 0;
        if d < dst.len() && dst[d].hash == s.hash {
            dst_count = dst[d].count;
            d += 1;
        }
        if s.count < dst_count {
            added += dst_count - s.count;
            copied += s.count;
        } else {
            copied += dst_count;
        }
    }
    added += dst[d..].iter().map(|s| s.count).sum::<u64>();
    (copied, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_end_at_newlines_and_every_64_bytes() {
        let spans = hash_spans(b"a\nb\n", true);
        assert_eq!(spans.iter().map(|s| s.count).sum::<u64>(), 4);
        let long = vec![b'x'; 130];
        let spans = hash_spans(&long, true);
        // 64 + 64 + 2: two equal spans share a hash.
        assert_eq!(spans.iter().map(|s| s.count).sum::<u64>(), 130);
        assert_eq!(spans.len(), 2);
        // CR before LF is not counted in text, and is in binary data.
        let crlf: u64 = hash_spans(b"a\r\n", true).iter().map(|s| s.count).sum();
        let binary: u64 = hash_spans(b"a\r\n", false).iter().map(|s| s.count).sum();
        assert_eq!((crlf, binary), (2, 3));
    }

    #[test]
    fn copied_and_added_bytes() {
        let old = hash_spans(b"a\nb\nc\n", true);
        let new = hash_spans(b"a\nb\nd\ne\n", true);
        assert_eq!(count_changes(&old, &new), (4, 4));
        assert_eq!(count_changes(&old, &old), (6, 0));
    }
}
