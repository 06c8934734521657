//! One changed file as `git log -p --full-index` prints it (git 2.47's `diff.c` and
//! `xdiff/xemit.c`): the `diff --git` line, mode, rename and index lines, then unified hunks
//! with 3 lines of context and git's default function-name rule in each hunk header.
//!
//! Object ids in `index` lines are written in full (`--full-index`): git's abbreviation
//! depends on the other objects of the repository, a full id means the same everywhere.
//! `.gitattributes` diff drivers (their own function-name patterns, `-diff`, textconv) are not
//! applied: every file diffs as git diffs a file without attributes.

use gix::object::tree::EntryKind;
use gix::ObjectId;

use gitfleet_diffcore::{xdiff_hunks, Hunk, XdiffOptions};

/// Context lines around each change (`diff.context`'s default).
const CONTEXT: u32 = 3;
/// xdiff keeps at most this many bytes of a function line (`struct func_line`).
const FUNC_LINE_BYTES: usize = 80;

/// One side of a changed file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    pub path: &'a str,
    pub id: ObjectId,
    pub kind: EntryKind,
    pub data: &'a [u8],
    pub binary: bool,
}

/// Appends the patch from `old` to `new` (None: the file does not exist on that side) to `out`.
/// `similarity`: the rename score in percent, for a renamed file. A file that changes between
/// regular file, symlink and submodule is written as git writes it: a deletion, then a
/// creation.
pub(crate) fn write_patch(
    out: &mut String,
    old: Option<Side<'_>>,
    new: Option<Side<'_>>,
    similarity: Option<u64>,
) {
    if let (Some(o), Some(n)) = (old, new) {
        if file_type(o.kind) != file_type(n.kind) {
            write_patch(out, Some(o), None, None);
            write_patch(out, None, Some(n), None);
            return;
        }
    }
    let (Some(a_path), Some(b_path)) = (old.or(new).map(|s| s.path), new.or(old).map(|s| s.path)) else {
        return;
    };
    let a_name = quoted("a/", a_path);
    let b_name = quoted("b/", b_path);
    out.push_str(&format!("diff --git {a_name} {b_name}\n"));
    match (old, new) {
        (None, Some(n)) => out.push_str(&format!("new file mode {:06o}\n", mode(n.kind))),
        (Some(o), None) => out.push_str(&format!("deleted file mode {:06o}\n", mode(o.kind))),
        (Some(o), Some(n)) if mode(o.kind) != mode(n.kind) => {
            out.push_str(&format!(
                "old mode {:06o}\nnew mode {:06o}\n",
                mode(o.kind),
                mode(n.kind)
            ));
        }
        _ => {}
    }
    if let Some(percent) = similarity {
        out.push_str(&format!(
            "similarity index {percent}%\nrename from {}\nrename to {}\n",
            quoted("", a_path),
            quoted("", b_path)
        ));
    }
    // The null id of the repository's hash (40 zeros for SHA-1, 64 for SHA-256).
    let null = ObjectId::null(old.or(new).map_or(gix::hash::Kind::Sha1, |s| s.id.kind()));
    let (old_id, new_id) = (old.map_or(null, |s| s.id), new.map_or(null, |s| s.id));
    if old_id != new_id {
        out.push_str(&format!("index {old_id}..{new_id}"));
        if let (Some(o), Some(n)) = (old, new) {
            if mode(o.kind) == mode(n.kind) {
                out.push_str(&format!(" {:06o}", mode(o.kind)));
            }
        }
        out.push('\n');
    }
    let a_label = if old.is_some() {
        a_name
    } else {
        "/dev/null".to_string()
    };
    let b_label = if new.is_some() {
        b_name
    } else {
        "/dev/null".to_string()
    };
    if old.is_some_and(|s| s.binary) || new.is_some_and(|s| s.binary) {
        if old_id != new_id {
            out.push_str(&format!("Binary files {a_label} and {b_label} differ\n"));
        }
        return;
    }
    let (old_data, new_data) = (old.map_or(&[][..], |s| s.data), new.map_or(&[][..], |s| s.data));
    let options = XdiffOptions {
        trim_common_tail: false,
        ..XdiffOptions::default()
    };
    let changes = xdiff_hunks(old_data, new_data, options);
    if changes.is_empty() {
        return;
    }
    // git puts a tab after a name with a space, so that patch tools find where it ends.
    let tab = |label: &str| if label.contains(' ') { "\t" } else { "" };
    out.push_str(&format!(
        "--- {a_label}{}\n+++ {b_label}{}\n",
        tab(&a_label),
        tab(&b_label)
    ));
    write_hunks(out, old_data, new_data, &changes);
}

/// `xdl_emit_diff`: changes closer than twice the context share a hunk.
fn write_hunks(out: &mut String, old: &[u8], new: &[u8], changes: &[Hunk]) {
    let (old_lines, new_lines) = (lines(old), lines(new));
    let (old_count, new_count) = (old_lines.len() as u32, new_lines.len() as u32);
    let mut func: Vec<u8> = Vec::new();
    let mut func_searched_to: i64 = -1;
    let mut start = 0;
    while start < changes.len() {
        let mut end = start;
        while end + 1 < changes.len()
            && changes[end + 1].before.start - changes[end].before.end <= 2 * CONTEXT
        {
            end += 1;
        }
        let (first, last) = (&changes[start], &changes[end]);
        let s1 = first.before.start.saturating_sub(CONTEXT);
        let s2 = first.after.start.saturating_sub(CONTEXT);
        let after = CONTEXT
            .min(old_count - last.before.end)
            .min(new_count - last.after.end);
        let (e1, e2) = (last.before.end + after, last.after.end + after);
        // The function line: the nearest line above the hunk that starts like a definition,
        // looking no further up than the previous hunk's search; else the previous one's.
        let mut l = i64::from(s1) - 1;
        while l != func_searched_to && l >= 0 {
            if let Some(name) = function_name(old_lines[l as usize]) {
                func = name.to_vec();
                break;
            }
            l -= 1;
        }
        func_searched_to = i64::from(s1) - 1;
        let mut header = format!("@@ -{} +{} @@", range(s1, e1 - s1), range(s2, e2 - s2)).into_bytes();
        if !func.is_empty() {
            header.push(b' ');
            header.extend_from_slice(&func);
        }
        out.push_str(valid_prefix(&header));
        out.push('\n');
        for i in s2..first.after.start {
            record(out, ' ', new_lines[i as usize]);
        }
        for (k, change) in changes[start..=end].iter().enumerate() {
            if k > 0 {
                let previous = &changes[start + k - 1];
                for i in previous.after.end..change.after.start {
                    record(out, ' ', new_lines[i as usize]);
                }
            }
            for i in change.before.clone() {
                record(out, '-', old_lines[i as usize]);
            }
            for i in change.after.clone() {
                record(out, '+', new_lines[i as usize]);
            }
        }
        for i in last.after.end..e2 {
            record(out, ' ', new_lines[i as usize]);
        }
        start = end + 1;
    }
}

/// git's `sane_truncate_line`: a hunk header ends where its UTF-8 stops being valid, so a
/// function line cut at 80 bytes in the middle of a character, or not UTF-8 at all, is cut
/// there.
fn valid_prefix(line: &[u8]) -> &str {
    match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&line[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// A hunk header's range: `start,count` (1-based), the count left out when 1, the start one
/// lower when the range is empty.
fn range(start: u32, count: u32) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

/// One line with its prefix; a last line without a newline gets git's marker.
fn record(out: &mut String, prefix: char, line: &[u8]) {
    out.push(prefix);
    out.push_str(&String::from_utf8_lossy(line));
    if !line.ends_with(b"\n") {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// `def_ff`: a line starting with a letter, `_` or `$`, cut to 80 bytes, trailing white space
/// (git's: space, tab, CR, LF) removed.
fn function_name(line: &[u8]) -> Option<&[u8]> {
    let first = *line.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return None;
    }
    let mut name = &line[..line.len().min(FUNC_LINE_BYTES)];
    while let Some((&last, rest)) = name.split_last() {
        if !matches!(last, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        name = rest;
    }
    Some(name)
}

/// The lines of `data`, each with its newline (the last one may have none).
fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

fn mode(kind: EntryKind) -> u32 {
    match kind {
        EntryKind::Tree => 0o040000,
        EntryKind::Blob => 0o100644,
        EntryKind::BlobExecutable => 0o100755,
        EntryKind::Link => 0o120000,
        EntryKind::Commit => 0o160000,
    }
}

/// git's `S_IFMT` classes: a change between them is a deletion and a creation in a patch.
fn file_type(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Blob | EntryKind::BlobExecutable => 0,
        EntryKind::Link => 1,
        EntryKind::Commit => 2,
        EntryKind::Tree => 3,
    }
}

/// `prefix` + `path`, C-quoted as git quotes names (`quote_c_style`, with `core.quotePath`'s
/// default): in double quotes, with `\t`-style and octal escapes, when the name holds a control
/// character, a double quote, a backslash or a non-ASCII byte.
fn quoted(prefix: &str, path: &str) -> String {
    let bytes = path.as_bytes();
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f;
    if !bytes.iter().any(|&b| needs(b)) {
        return format!("{prefix}{path}");
    }
    let mut s = format!("\"{prefix}");
    for &b in bytes {
        match b {
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b if needs(b) => s.push_str(&format!("\\{b:03o}")),
            b => s.push(b as char),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_as_git_quotes_them() {
        assert_eq!(quoted("a/", "plain name.txt"), "a/plain name.txt");
        assert_eq!(quoted("a/", "é.txt"), "\"a/\\303\\251.txt\"");
        assert_eq!(quoted("", "tab\there\"\\"), "\"tab\\there\\\"\\\\\"");
        assert_eq!(quoted("b/", "del\x7f\x01"), "\"b/del\\177\\001\"");
    }

    #[test]
    fn hunk_ranges_are_written_as_git_writes_them() {
        assert_eq!(range(0, 0), "0,0");
        assert_eq!(range(4, 0), "4,0");
        assert_eq!(range(0, 1), "1");
        assert_eq!(range(9, 7), "10,7");
    }

    #[test]
    fn hunk_headers_end_where_their_utf8_does() {
        assert_eq!(valid_prefix("@@ -1 +1 @@ къ".as_bytes()), "@@ -1 +1 @@ къ");
        assert_eq!(valid_prefix(b"@@ -1 +1 @@ \xd0\xba\xd1"), "@@ -1 +1 @@ к");
        assert_eq!(valid_prefix(b"@@ -1 +1 @@ caf\xe9 au lait"), "@@ -1 +1 @@ caf");
    }

    #[test]
    fn function_names_follow_gits_default_rule() {
        assert_eq!(function_name(b"void f(int x)   \n"), Some(&b"void f(int x)"[..]));
        assert_eq!(function_name(b"  indented\n"), None);
        assert_eq!(function_name(b"$var\r\n"), Some(&b"$var"[..]));
        assert_eq!(function_name(b"\xc3\xa9t\xc3\xa9\n"), None);
        let long = [b'x'; 100];
        assert_eq!(function_name(&long).map(<[u8]>::len), Some(80));
    }
}
