//! Lines as git counts them, and binary detection as git does it.

use crate::xdiff::{xdiff_counts, XdiffOptions};

/// git treats a blob as binary when a NUL byte appears in its first 8000 bytes.
const BINARY_PROBE: usize = 8000;

pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_PROBE)].contains(&0)
}

/// Lines as git counts them: a final line without a newline still counts.
pub fn count_lines(data: &[u8]) -> i64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    let trailing = !data.is_empty() && data[data.len() - 1] != b'\n';
    (newlines + usize::from(trailing)) as i64
}

/// Lines added and removed between two texts, as `git log --numstat` counts them: git's own
/// Myers diff (the xdiff port) with its heuristics and no tail trimming (numstat asks for
/// context lines). A minimal diff would count differently where git's gives up on minimality.
pub fn count_changed_lines(old: &[u8], new: &[u8]) -> (i64, i64) {
    if old == new {
        return (0, 0);
    }
    let options = XdiffOptions {
        trim_common_tail: false,
        ..Default::default()
    };
    let (added, removed) = xdiff_counts(old, new, options);
    (i64::from(added), i64::from(removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_binary_as_git() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\nb\n"), 2);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
        assert!(is_binary(b"a\0b"));
        assert!(is_binary(b"ab\0cd"));
        assert!(!is_binary(b"abcd"));
        let mut late = vec![b'a'; BINARY_PROBE];
        late.push(0);
        assert!(
            !is_binary(&late),
            "a NUL after the first 8000 bytes does not count"
        );
    }

    #[test]
    fn changed_lines_of_an_edit() {
        assert_eq!(count_changed_lines(b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        assert_eq!(count_changed_lines(b"same\n", b"same\n"), (0, 0));
        assert_eq!(count_changed_lines(b"", b"x\ny\n"), (2, 0));
    }
}
