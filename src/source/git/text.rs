//! Turning git's bytes into text: commit encodings, line counts and binary detection as git does.

use std::borrow::Cow;

/// git treats a blob as binary when a NUL byte appears in its first 8000 bytes.
const BINARY_PROBE: usize = 8000;

pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_PROBE)].contains(&0)
}

/// Lines as git counts them: a final line without a newline still counts.
pub fn count_lines(data: &[u8]) -> i64 {
    let newlines = memchr_count(data);
    let trailing = !data.is_empty() && data[data.len() - 1] != b'\n';
    (newlines + usize::from(trailing)) as i64
}

fn memchr_count(data: &[u8]) -> usize {
    data.iter().filter(|&&b| b == b'\n').count()
}

/// Decodes text that git stored in `encoding` (the commit's `encoding` header), as `git log`
/// re-encodes it to UTF-8. Unknown encodings and invalid bytes decode lossily.
pub fn decode(bytes: &[u8], encoding: Option<&[u8]>) -> String {
    if let Some(label) = encoding {
        if let Some(enc) = encoding_rs::Encoding::for_label(label) {
            if enc != encoding_rs::UTF_8 {
                let (text, _, _) = enc.decode(bytes);
                return text.into_owned();
            }
        }
    }
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => s.to_string(),
        Cow::Owned(s) => s,
    }
}

/// git's `%s`: the first paragraph of the message with its lines joined by spaces.
pub fn summary(message: &str) -> String {
    let mut out = String::new();
    for line in message.trim_start_matches('\n').lines() {
        let line = line.trim_end();
        if line.trim_start().is_empty() {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_like_git() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
    }

    #[test]
    fn summary_joins_first_paragraph() {
        assert_eq!(summary("one\ntwo\n\nbody\n"), "one two");
        assert_eq!(summary("\n\nfirst\n"), "first");
    }

    #[test]
    fn latin1_is_reencoded() {
        assert_eq!(decode(b"caf\xe9", Some(b"ISO-8859-1")), "café");
        assert_eq!(decode(b"caf\xc3\xa9", None), "café");
    }

    #[test]
    fn nul_means_binary() {
        assert!(is_binary(b"ab\0cd"));
        assert!(!is_binary(b"abcd"));
    }
}
