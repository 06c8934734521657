//! Commit message trailers (`Signed-off-by: ...`, `Co-authored-by: ...`) exactly as
//! `git log --format='%(trailers:only,unfold)'` finds them: a port of git 2.47's `trailer.c`
//! (`find_trailer_block_start`, `find_separator`, `unfold_value`) and `commit.c`'s
//! `ignored_log_message_bytes`, with git's defaults: `:` as the only separator, `#` as the
//! comment prefix, no `trailer.<token>.*` configuration, and no `---` divider (git log reads
//! the whole message).
//!
//! Works on bytes with git's character classes (ASCII only: `isspace` is space, tab, CR and
//! LF), so a message in any encoding splits where git splits it.

/// One trailer: its key and its unfolded value, both trimmed as git trims them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trailer {
    pub key: String,
    pub value: String,
}

const COMMENT: &[u8] = b"#";
const SCISSORS: &[u8] = b"\n# ------------------------ >8 ------------------------\n";
const GIT_GENERATED_PREFIXES: [&[u8]; 2] = [b"Signed-off-by: ", b"(cherry picked from commit "];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The start of the line after the one starting at `at` (or the end).
fn next_line(buf: &[u8], at: usize) -> usize {
    buf[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(buf.len(), |i| at + i + 1)
}

/// git's `is_blank_line`: only whitespace up to the end of the line.
fn is_blank_line(line: &[u8]) -> bool {
    line.iter().take_while(|&&c| c != b'\n').all(|&c| is_space(c))
}

/// git's `last_line`: the start of the last line of `buf[..len]` (a final newline belongs to
/// it); None when `len` is 0.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    match len {
        0 => None,
        1 => Some(0),
        _ => Some(
            buf[..len - 1]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1),
        ),
    }
}

/// git's `find_separator` with `:` as the separator: the separator's position in a line of the
/// form `<token><optional whitespace>:`, or None.
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if c == b':' {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// The message text git looks for trailers in: after leading blank lines (`subject_off`), and
/// before trailing comments, blank lines and a scissors line (`ignored_log_message_bytes`).
fn log_message(message: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < message.len() {
        let end = next_line(message, start);
        if !is_blank_line(&message[start..end]) {
            break;
        }
        start = end;
    }
    let msg = &message[start..];
    // wt_status_locate_end: everything from a scissors line on is not part of the message.
    let cutoff = if msg.starts_with(&SCISSORS[1..]) {
        0
    } else {
        find(msg, SCISSORS).map_or(msg.len(), |i| i + 1)
    };
    let (mut boc, mut bol, mut in_conflicts) = (None::<usize>, 0, false);
    while bol < cutoff {
        let next = next_line(msg, bol);
        let line = &msg[bol..];
        if msg[bol..cutoff].starts_with(COMMENT) || line[0] == b'\n' {
            boc.get_or_insert(bol);
        } else if line.starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            boc.get_or_insert(bol);
        } else if in_conflicts && line[0] == b'\t' {
            // A path in an old-style conflicts block.
        } else if boc.is_some() {
            boc = None;
            in_conflicts = false;
        }
        bol = next;
    }
    &msg[..boc.unwrap_or(cutoff)]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// git's `find_trailer_block_start`: where the trailer block of `buf` starts (`buf.len()` when
/// it has none). The block is the last paragraph after the title, when its lines are all
/// trailers, or at least a quarter of them are and one starts as git's own trailers do.
fn trailer_block_start(buf: &[u8]) -> usize {
    let len = buf.len();
    // The first paragraph is the title and cannot be trailers.
    let mut s = 0;
    while s < len {
        if !buf[s..].starts_with(COMMENT) && is_blank_line(&buf[s..]) {
            break;
        }
        s = next_line(buf, s);
    }
    let end_of_title = s;
    let (mut only_spaces, mut recognized_prefix) = (true, false);
    let (mut trailer_lines, mut non_trailer_lines, mut possible_continuation_lines) =
        (0usize, 0usize, 0usize);
    let mut l = last_line(buf, len);
    while let Some(at) = l.filter(|&at| at >= end_of_title) {
        l = last_line(buf, at);
        let bol = &buf[at..];
        if bol.starts_with(COMMENT) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(bol) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0)
            {
                return next_line(buf, at);
            }
            return len;
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| bol.starts_with(p)) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
            continue;
        }
        let line = &bol[..next_line(bol, 0)];
        if find_separator(line).is_some_and(|p| p >= 1) && !is_space(bol[0]) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_space(bol[0]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_space(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_space(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// git's `unfold_value`: each newline and the whitespace after it become one space.
fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        let c = value[i];
        i += 1;
        if c == b'\n' {
            while i < value.len() && is_space(value[i]) {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(c);
        }
    }
    trim(&out).to_vec()
}

/// The trailers of a commit message (its raw bytes, as stored), in order; `decode` turns a
/// key's or value's bytes into text (the commit's encoding).
pub(crate) fn parse(message: &[u8], decode: impl Fn(&[u8]) -> String) -> Vec<Trailer> {
    let msg = log_message(message);
    let start = trailer_block_start(msg);
    // git's trailer_info_get: split the block into lines, folding continuation lines (those
    // starting with whitespace) into the trailer before them.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut last_is_trailer = false;
    let mut at = start;
    while at < msg.len() {
        let end = next_line(msg, at);
        let line = &msg[at..end];
        at = end;
        if last_is_trailer && is_space(line[0]) {
            lines
                .last_mut()
                .expect("a trailer before")
                .extend_from_slice(line);
            continue;
        }
        last_is_trailer = find_separator(line).is_some_and(|p| p >= 1);
        lines.push(line.to_vec());
    }
    lines
        .iter()
        .filter(|line| !line.starts_with(COMMENT))
        .filter_map(|line| {
            let separator = find_separator(line).filter(|&p| p >= 1)?;
            Some(Trailer {
                key: decode(trim(&line[..separator])),
                value: decode(&unfold(trim(&line[separator + 1..]))),
            })
        })
        .collect()
}

/// The `Co-authored-by` trailers of `message` (GitHub matches the key in any case), as written:
/// "Name <email>".
pub(crate) fn co_authors(message: &str) -> Vec<String> {
    parse(message.as_bytes(), |b| String::from_utf8_lossy(b).into_owned())
        .into_iter()
        .filter(|t| t.key.eq_ignore_ascii_case("co-authored-by"))
        .map(|t| t.value)
        .collect()
}

/// "Name <email>" as (name, email), both trimmed; without angle brackets, all of it is the name.
pub(crate) fn split_identity(person: &str) -> (&str, &str) {
    match (person.rfind('<'), person.rfind('>')) {
        (Some(open), Some(close)) if open < close => (person[..open].trim(), person[open + 1..close].trim()),
        _ => (person.trim(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trailers(message: &str) -> Vec<(String, String)> {
        parse(message.as_bytes(), |b| String::from_utf8_lossy(b).into_owned())
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn identities_split_at_their_angle_brackets() {
        assert_eq!(split_identity(" Ada L <ada@x> "), ("Ada L", "ada@x"));
        assert_eq!(split_identity("just a name"), ("just a name", ""));
        assert_eq!(split_identity("odd > <"), ("odd > <", ""));
    }

    #[test]
    fn the_last_paragraph_of_trailers() {
        assert_eq!(
            trailers("Fix it\n\nBody text.\n\nSigned-off-by: A <a@x>\nCo-authored-by: B <b@x>\n"),
            pairs(&[("Signed-off-by", "A <a@x>"), ("Co-authored-by", "B <b@x>")])
        );
    }

    #[test]
    fn the_title_is_never_a_trailer() {
        assert!(trailers("Fixes: the title\n").is_empty());
        assert!(trailers("Fixes: the title\n\n").is_empty());
    }

    #[test]
    fn continuation_lines_are_unfolded() {
        assert_eq!(
            trailers("t\n\nReviewed-by: A\n  and B\n\tand C\n"),
            pairs(&[("Reviewed-by", "A and B and C")])
        );
    }

    #[test]
    fn a_mostly_prose_paragraph_needs_a_git_prefix() {
        assert!(trailers("t\n\nThis is prose.\nMore prose.\nKey: v\n").is_empty());
        assert_eq!(
            trailers("t\n\nprose\nprose\nprose\nSigned-off-by: A\n"),
            pairs(&[("Signed-off-by", "A")])
        );
        assert!(trailers("t\n\np\np\np\np\nSigned-off-by: A\n").is_empty());
    }

    #[test]
    fn comments_and_scissors_are_not_part_of_the_message() {
        assert_eq!(
            trailers("t\n\nA: 1\n# a comment\n\n# ------------------------ >8 ------------------------\nB: 2\n\nC: 3\n"),
            pairs(&[("A", "1")])
        );
    }

    #[test]
    fn whitespace_before_the_separator_and_odd_keys() {
        assert_eq!(trailers("t\n\nBug #42: x\n"), Vec::<(String, String)>::new());
        assert_eq!(trailers("t\n\nKey : v\n"), pairs(&[("Key", "v")]));
        assert!(trailers("t\n\n: v\n").is_empty());
    }
}
