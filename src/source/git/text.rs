//! Turning git's bytes into text: commit encodings, line counts and binary detection as git does.

use std::borrow::Cow;

// Line counts and binary detection are kernels of the scans, built optimised in their crate.
pub(crate) use gitfleet_diffcore::{count_lines, is_binary};

/// Decodes text that git stored in `encoding` (the commit's `encoding` header), as `git log`
/// re-encodes it to UTF-8. Unknown encodings and invalid bytes decode lossily.
pub(crate) fn decode(bytes: &[u8], encoding: Option<&[u8]>) -> String {
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
pub(crate) fn summary(message: &str) -> String {
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

/// `git blame`'s summary (`find_commit_subject`): the first line of the message that is not
/// blank, as it is; a message with none gives `(<commit id>)`, as git prints it.
pub(crate) fn first_line(message: &str, id: &str) -> String {
    message
        .split('\n')
        .find(|line| !line.bytes().all(|b| b.is_ascii_whitespace()))
        .map_or_else(|| format!("({id})"), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blame_summary_is_the_first_line() {
        assert_eq!(first_line("one\ntwo\n\nbody\n", "c"), "one");
        assert_eq!(first_line("\n  \nfirst  \n", "c"), "first  ");
        assert_eq!(first_line("", "abc"), "(abc)");
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
}
