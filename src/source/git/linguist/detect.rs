//! A file's language as GitHub linguist decides it (`Linguist.detect`): its strategies in its
//! order (modeline, filename, shebang, extension, XML, manpage, heuristics), each narrowing the
//! candidates the previous ones left, stopping at the first that leaves one.
//!
//! The language data (languages.yml, heuristics.yml) and the modeline, filename, extension and
//! heuristic steps come from the `linguist` crate; the shebang, XML and manpage steps are
//! ported here from linguist 7.22.1 (`shebang.rb`, `strategy/*.rb`; MIT, `LICENSE-linguist`).
//! linguist's last step, a Bayesian classifier trained on its samples, is not ported: a file
//! still ambiguous after the heuristics takes the first of its candidates that linguist lists
//! as popular, else the first in languages.yml's (alphabetical) order.

use std::collections::HashMap;
use std::sync::LazyLock;

use ::linguist::definitions::LANGUAGES;
use ::linguist::DetectedLanguage;
use regex::Regex;

/// How much of a file the heuristics read (linguist's `HEURISTICS_CONSIDER_BYTES`).
const HEURISTICS_BYTES: usize = 50 * 1024;

/// linguist's popular.yml (7.22.1): the languages GitHub lists first.
const POPULAR: &[&str] = &[
    "C",
    "C#",
    "C++",
    "CoffeeScript",
    "CSS",
    "Dart",
    "DM",
    "Elixir",
    "Go",
    "Groovy",
    "HTML",
    "Java",
    "JavaScript",
    "Kotlin",
    "Objective-C",
    "Perl",
    "PHP",
    "PowerShell",
    "Python",
    "Ruby",
    "Rust",
    "Scala",
    "Shell",
    "Swift",
    "TypeScript",
];

/// Extensions too generic to name a language on their own (linguist's `generic.yml`): such a
/// file is decided by its content or left to the manpage step.
const GENERIC_EXTENSIONS: &[&str] = &[
    ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9", ".cmp", ".sol", ".stl", ".url",
];

/// The language named by `name` the way `.gitattributes` (`linguist-language=`) and modelines
/// name one: case-insensitive, by its name with spaces as dashes or by one of its aliases.
pub(crate) fn by_alias(name: &str) -> Option<&'static str> {
    static INDEX: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
        let mut index = HashMap::new();
        for (name, language) in LANGUAGES.iter() {
            index.insert(name.to_lowercase().replace(' ', "-"), name.as_str());
            for alias in language.aliases.iter().flatten() {
                index.entry(alias.to_lowercase()).or_insert(name.as_str());
            }
        }
        index
    });
    let name = name.to_lowercase();
    INDEX.get(&name).copied()
}

/// The language GitHub's language bar counts `language` under: its `group` in languages.yml
/// (TypeScript for TSX, Shell for Tcsh), else itself.
pub(crate) fn group_of(language: &str) -> Option<&'static str> {
    let (name, definition) = LANGUAGES.get_key_value(language)?;
    Some(definition.group.as_deref().unwrap_or(name.as_str()))
}

/// The language's type in languages.yml: `programming`, `markup`, `data` or `prose`.
pub(crate) fn type_of(language: &str) -> Option<&'static str> {
    use linguist_types::LanguageType as T;
    Some(match LANGUAGES.get(language)?.language_type {
        T::Programming => "programming",
        T::Markup => "markup",
        T::Data => "data",
        T::Prose => "prose",
    })
}

/// The language of the text file at `path` whose first bytes are `text` (at most linguist's
/// 128 KiB). None when no strategy names one.
pub(crate) fn language(path: &str, text: &str) -> Option<&'static str> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // A modeline decides on its own.
    if let Some(found) = names(::linguist::detect_language_by_modeline(text)).first() {
        return Some(found);
    }
    let mut candidates = Vec::new();
    let decided = narrow(
        &mut candidates,
        names(::linguist::detect_language_by_filename(path)),
    ) || narrow(&mut candidates, by_shebang(text))
        || (!is_generic(path) && narrow(&mut candidates, by_extension(path)))
        || (candidates.is_empty() && narrow(&mut candidates, by_xml_header(text)))
        || (candidates.is_empty() && narrow(&mut candidates, by_manpage_name(path)));
    if !decided {
        // linguist 7.22's heuristics answer for the extension alone, whatever the candidates.
        let head = &text[..floor_char_boundary(text, HEURISTICS_BYTES)];
        // Heuristics match extensions case-insensitively (linguist downcases the name).
        let found = names(::linguist::disambiguate(path.to_lowercase(), head));
        if !found.is_empty() {
            candidates = found;
        }
    }
    // Where linguist's classifier would weigh the candidates, the popular ones come first: the
    // classifier's training samples lean the same way (`.m` is Objective-C before Limbo, `.php`
    // PHP before Hack).
    candidates
        .iter()
        .find(|c| POPULAR.contains(c))
        .or(candidates.first())
        .copied()
}

/// One linguist strategy's step: its answer is `found` narrowed to the candidates so far (or
/// `found` when there are none); an empty answer leaves the candidates as they were. True when
/// one language is left, which ends the detection.
fn narrow(candidates: &mut Vec<&'static str>, found: Vec<&'static str>) -> bool {
    let next: Vec<&'static str> = if candidates.is_empty() {
        found
    } else {
        candidates.iter().copied().filter(|c| found.contains(c)).collect()
    };
    if !next.is_empty() {
        *candidates = next;
    }
    candidates.len() == 1
}

fn names(found: ::linguist::Result<Vec<DetectedLanguage>>) -> Vec<&'static str> {
    // The crate errs only on a path that is not UTF-8 or a heuristic regex it cannot run on
    // this text; linguist would then have no answer from that step either.
    found
        .map(|v| v.into_iter().map(|l| l.name).collect())
        .unwrap_or_default()
}

/// linguist's `Language.find_by_extension`: the languages of the file name's longest extension
/// that names any (`.tar.gz` before `.gz`), matched case-insensitively.
fn by_extension(path: &str) -> Vec<&'static str> {
    static BY_EXTENSION: LazyLock<HashMap<String, Vec<&'static str>>> = LazyLock::new(|| {
        let mut index: HashMap<String, Vec<&'static str>> = HashMap::new();
        for (name, language) in LANGUAGES.iter() {
            for extension in language.extensions.iter().flatten() {
                index
                    .entry(extension.to_lowercase())
                    .or_default()
                    .push(name.as_str());
            }
        }
        for names in index.values_mut() {
            names.sort_unstable();
            names.dedup();
        }
        index
    });
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    // The part before the first dot is the name, not an extension (`.bashrc` is one).
    name.match_indices('.')
        .find_map(|(i, _)| BY_EXTENSION.get(&name[i..]))
        .cloned()
        .unwrap_or_default()
}

fn is_generic(path: &str) -> bool {
    let lower = path.to_lowercase();
    GENERIC_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// linguist's XML strategy: an `<?xml version=` declaration in the first two lines.
fn by_xml_header(text: &str) -> Vec<&'static str> {
    // `/<?xml version=/` in Ruby: the `<` is optional.
    let header: String = text.lines().take(2).collect::<Vec<_>>().join("\n");
    if header.contains("xml version=") {
        vec!["XML"]
    } else {
        Vec::new()
    }
}

/// linguist's manpage strategy: section-number extensions (`.1` to `.9` and friends).
fn by_manpage_name(path: &str) -> Vec<&'static str> {
    // Ruby's `[1-9](?![0-9])[a-z_0-9]*` without look-ahead: one digit, then a non-digit or
    // nothing, then more name characters.
    static MANPAGE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\.(?:[1-9](?:[a-z_][a-z_0-9]*)?|0p|n|man|mdoc)(?:\.in)?$").unwrap()
    });
    if MANPAGE.is_match(path) {
        vec!["Roff Manpage", "Roff"]
    } else {
        Vec::new()
    }
}

/// The languages whose `interpreters` include the script's `#!` interpreter.
fn by_shebang(text: &str) -> Vec<&'static str> {
    static BY_INTERPRETER: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
        let mut index: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for (name, language) in LANGUAGES.iter() {
            for interpreter in language.interpreters.iter().flatten() {
                index.entry(interpreter.as_str()).or_default().push(name.as_str());
            }
        }
        for names in index.values_mut() {
            names.sort_unstable();
        }
        index
    });
    interpreter(text)
        .and_then(|name| BY_INTERPRETER.get(name.as_str()))
        .cloned()
        .unwrap_or_default()
}

/// The interpreter a `#!` line runs (linguist's `Shebang.interpreter`): the last component of
/// its path, or what `env` runs after its options and variable assignments, without a trailing
/// version (`python3.11` -> `python3`); `sh` scripts that `exec` another interpreter name it.
fn interpreter(text: &str) -> Option<String> {
    static ENV_SKIP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:(?:(?:-[i0uCSv]*|--\S+)\s+)+|(?:\S+=\S+\s+)+)").unwrap());
    static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.\d+$").unwrap());
    static SH_EXEC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"exec (\w+).+\$0.+\$@").unwrap());
    let line = text.strip_prefix("#!")?.split('\n').next()?;
    let rest = line.trim_start_matches([' ', '\t', '\r', '\x0b', '\x0c']);
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (path, mut rest) = rest.split_at(end);
    if path.is_empty() {
        return None;
    }
    let mut script = path.rsplit('/').next()?.to_string();
    if script == "env" {
        rest = rest.trim_start();
        while let Some(m) = ENV_SKIP.find(rest) {
            if m.is_empty() {
                break;
            }
            rest = &rest[m.end()..];
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        script = rest[..end].to_string();
        rest = &rest[end..];
    }
    script = VERSION.replace(&script, "").into_owned();
    if script == "sh" {
        let exec = text
            .lines()
            .take(5)
            .find_map(|l| SH_EXEC.captures(l).map(|c| c[1].to_string()));
        if let Some(exec) = exec {
            script = exec;
        }
    }
    // `osascript -l JavaScript` is not AppleScript: linguist gives no interpreter then.
    if script == "osascript" && rest.contains("-l") {
        return None;
    }
    Some(script.rsplit('/').next().unwrap_or(&script).to_string())
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    (0..=max).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_name_their_interpreter_as_linguist_reads_them() {
        assert_eq!(
            interpreter("#!/usr/bin/env python3\n").as_deref(),
            Some("python3")
        );
        assert_eq!(
            interpreter("#!/usr/bin/env -S ruby -w\n").as_deref(),
            Some("ruby")
        );
        assert_eq!(
            interpreter("#!/usr/bin/env FOO=1 node\n").as_deref(),
            Some("node")
        );
        assert_eq!(interpreter("#! /bin/bash -e\n").as_deref(), Some("bash"));
        assert_eq!(interpreter("#!/usr/bin/python2.7\n").as_deref(), Some("python2"));
        assert_eq!(
            interpreter("#!/bin/sh\nexec scala \"$0\" \"$@\"\n!#\n").as_deref(),
            Some("scala")
        );
        assert_eq!(interpreter("#!/usr/bin/env\n"), None);
        assert_eq!(interpreter("no shebang\n"), None);
    }

    #[test]
    fn strategies_run_in_linguists_order() {
        assert_eq!(
            language("tool", "#!/usr/bin/env python3\nprint(1)\n"),
            Some("Python")
        );
        assert_eq!(language("Makefile", "all:\n"), Some("Makefile"));
        // A modeline beats the extension.
        assert_eq!(language("notes.txt", "# vim: ft=ruby\n"), Some("Ruby"));
        // The heuristics decide an ambiguous extension.
        assert_eq!(language("w.h", "#include <iostream>\nclass W {};\n"), Some("C++"));
        assert_eq!(
            language("x.unknownext", "<?xml version=\"1.0\"?>\n<a/>\n"),
            Some("XML")
        );
        assert_eq!(
            language("git.1", ".TH GIT 1\n.SH NAME\ngit\n"),
            Some("Roff Manpage")
        );
        assert_eq!(language("x.unknownext", "hello\n"), None);
        // Extensions match whatever their case, the longest first.
        assert_eq!(language("Keys.JAVA", "class Keys {}\n"), Some("Java"));
        assert_eq!(by_extension("a/x.blade.php"), vec!["Blade"]);
        assert_eq!(by_alias("rust"), Some("Rust"));
        assert_eq!(by_alias("C++"), Some("C++"));
        assert_eq!(by_alias("no-such-language"), None);
        assert_eq!(type_of("Markdown"), Some("prose"));
        assert_eq!(group_of("TSX"), Some("TypeScript"));
        assert_eq!(group_of("Rust"), Some("Rust"));
    }
}
