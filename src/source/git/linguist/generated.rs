//! Whether a file is generated, as GitHub linguist 7.22.1 decides it: `generated.rb`
//! (`Linguist::Generated.generated?`) ported rule for rule, in its order. Its first rules look
//! at the path alone (Xcode and IntelliJ files, Pods/, lock files, node_modules/, ...); the
//! content rules after them read only what the Ruby reads (the first line or the first few
//! lines, the last two, all of them for minified JS/CSS and compiled CoffeeScript, the whole
//! content for PostScript fonts), and the content is split into lines only once a rule whose
//! extension matches needs it.
//!
//! linguist is under the MIT licence, Copyright (c) 2017 GitHub, Inc. (`LICENSE-linguist`).
//!
//! How the Ruby is read here:
//! - linguist hands these rules the blob's bytes as a binary (ASCII-8BIT) string, so every
//!   content regex is a bytes regex without Unicode (`(?-u)`): `\s`, `\w`, `\d`, `\b` and `(?i)`
//!   are ASCII, `.` matches any byte but `\n` and a negated class any other byte, and a line's
//!   `length` is its byte count. Invalid UTF-8 needs no special care.
//! - The path is a UTF-8 string: its regexes are `str` regexes, where Ruby's `\w` is still ASCII
//!   (so it is spelled `[0-9A-Za-z_]`), `.` is one character and `/i` folds Unicode case.
//! - Ruby's `^` and `$` are line anchors, hence `(?m)`. The lines have no `\n` in them, so on a
//!   line `^` is its start.
//! - A regex that is only a literal (`/Cargo\.lock/`) is a substring test.

use std::cell::OnceCell;
use std::sync::LazyLock;

use regex::bytes::Regex as BytesRegex;
use regex::Regex;

/// A regex on the path, compiled once.
macro_rules! path_regex {
    ($re:literal) => {{
        static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("path regex compiles"));
        &*RE
    }};
}

/// A regex on the content (bytes, ASCII classes: see the module doc), compiled once.
macro_rules! content_regex {
    ($re:literal) => {{
        static RE: LazyLock<BytesRegex> =
            LazyLock::new(|| BytesRegex::new(concat!("(?-u)", $re)).expect("content regex compiles"));
        &*RE
    }};
}

/// Whether the file at `path` (repository-relative, `/`-separated) with content `data` is
/// generated (`Linguist::Generated.generated?(path, data)`).
pub(crate) fn is_generated(path: &str, data: &[u8]) -> bool {
    Generated::new(path, data).generated()
}

const PROTOBUF_EXTENSIONS: &[&str] = &[".py", ".java", ".h", ".cc", ".cpp", ".m", ".rb", ".php"];

const APACHE_THRIFT_EXTENSIONS: &[&str] = &[
    ".rb", ".py", ".go", ".js", ".m", ".java", ".h", ".cc", ".cpp", ".php",
];

const HAXE_EXTENSIONS: &[&str] = &[".js", ".py", ".lua", ".cpp", ".h", ".java", ".cs", ".php"];

struct Generated<'a> {
    name: &'a str,
    /// `File.extname(name)`.
    extname: &'a str,
    /// `extname.downcase` (Unicode, as Ruby downcases a UTF-8 string; it is only compared with
    /// ASCII extensions, where Ruby's and Rust's lowercasing agree).
    extname_lower: String,
    data: &'a [u8],
    /// `data.split("\n", -1)`, split on first use.
    lines: OnceCell<Vec<&'a [u8]>>,
}

impl<'a> Generated<'a> {
    fn new(name: &'a str, data: &'a [u8]) -> Self {
        let extname = extname(name);
        Generated {
            name,
            extname,
            extname_lower: extname.to_lowercase(),
            data,
            lines: OnceCell::new(),
        }
    }

    /// Ruby's `data.split("\n", -1)`: trailing empty lines are kept (`"a\n"` is `["a", ""]`),
    /// but an empty string has no lines at all.
    fn lines(&self) -> &[&'a [u8]] {
        self.lines.get_or_init(|| {
            if self.data.is_empty() {
                Vec::new()
            } else {
                self.data.split(|&b| b == b'\n').collect()
            }
        })
    }

    /// `generated?`: the rules in generated.rb's order.
    fn generated(&self) -> bool {
        self.xcode_file()
            || self.intellij_file()
            || self.cocoapods()
            || self.carthage_build()
            || self.generated_graphql_relay()
            || self.generated_net_designer_file()
            || self.generated_net_specflow_feature_file()
            || self.composer_lock()
            || self.cargo_lock()
            || self.node_modules()
            || self.go_vendor()
            || self.go_lock()
            || self.poetry_lock()
            || self.esy_lock()
            || self.npm_shrinkwrap_or_package_lock()
            || self.terraform_lock()
            || self.generated_yarn_plugnplay()
            || self.godeps()
            || self.generated_by_zephir()
            || self.minified_files()
            || self.has_source_map()
            || self.source_map()
            || self.compiled_coffeescript()
            || self.generated_parser()
            || self.generated_net_docfile()
            || self.generated_postscript()
            || self.compiled_cython_file()
            || self.pipenv_lock()
            || self.generated_go()
            || self.generated_protocol_buffer_from_go()
            || self.generated_protocol_buffer()
            || self.generated_javascript_protocol_buffer()
            || self.generated_apache_thrift()
            || self.generated_jni_header()
            || self.vcr_cassette()
            || self.generated_antlr()
            || self.generated_module()
            || self.generated_unity3d_meta()
            || self.generated_racc()
            || self.generated_jflex()
            || self.generated_grammarkit()
            || self.generated_roxygen2()
            || self.generated_html()
            || self.generated_jison()
            || self.generated_grpc_cpp()
            || self.generated_dart()
            || self.generated_perl_ppport_header()
            || self.generated_gamemakerstudio()
            || self.generated_gimp()
            || self.generated_visualstudio6()
            || self.generated_haxe()
            || self.generated_jooq()
            || self.generated_pascal_tlb()
    }

    fn xcode_file(&self) -> bool {
        matches!(self.extname, ".nib" | ".xcworkspacedata" | ".xcuserstate")
    }

    fn intellij_file(&self) -> bool {
        path_regex!(r"(?m)(?:^|/)\.idea/").is_match(self.name)
    }

    fn cocoapods(&self) -> bool {
        path_regex!(r"(?m)(?:^Pods|/Pods)/").is_match(self.name)
    }

    fn carthage_build(&self) -> bool {
        path_regex!(r"(?m)(?:^|/)Carthage/Build/").is_match(self.name)
    }

    fn maybe_minified(&self) -> bool {
        matches!(self.extname_lower.as_str(), ".js" | ".css")
    }

    /// Average line length (in bytes, integer division) over 110.
    fn minified_files(&self) -> bool {
        if !self.maybe_minified() {
            return false;
        }
        let lines = self.lines();
        if lines.is_empty() {
            return false;
        }
        let total: usize = lines.iter().map(|line| line.len()).sum();
        total / lines.len() > 110
    }

    fn has_source_map(&self) -> bool {
        if !self.maybe_minified() {
            return false;
        }
        let re = content_regex!(r"(?m)^/[*/][#@] source(?:Mapping)?URL|sourceURL=");
        last(self.lines(), 2).iter().any(|line| re.is_match(line))
    }

    fn source_map(&self) -> bool {
        if self.extname_lower != ".map" {
            return false;
        }
        // Ruby's /i folds Unicode case fully, so its `ss` also matches `ß` (and `ẞ`); the regex
        // crate folds one character to one, hence the explicit `ß` (which `(?i)` extends to `ẞ`).
        path_regex!(r"(?mi)(?:\.c(?:ss|ß)|\.js)\.map$").is_match(self.name)
            || self.lines().first().is_some_and(|line| {
                content_regex!(r#"(?m)^\{"version":\d+,"#).is_match(line)
                    || content_regex!(r"(?m)^/\*\* Begin line maps\. \*\*/\{").is_match(line)
            })
    }

    fn compiled_coffeescript(&self) -> bool {
        if self.extname != ".js" {
            return false;
        }
        let lines = self.lines();
        // CoffeeScript > 1.2 says so on the first line.
        if lines
            .first()
            .is_some_and(|line| line.starts_with(b"// Generated by "))
        {
            return true;
        }
        // A module closure, `(function() {` ... `}).call(this);`, then an empty last line.
        let closure = lines.first().copied() == Some(&b"(function() {"[..])
            && nth_last(lines, 2) == Some(&b"}).call(this);"[..])
            && nth_last(lines, 1) == Some(&b""[..]);
        if !closure {
            return false;
        }
        let temps = content_regex!(r"(_fn|_i|_len|_ref|_results)");
        let helpers = content_regex!(r"(__bind|__extends|__hasProp|__indexOf|__slice)");
        let mut score = 0usize;
        for line in lines {
            if contains(line, b"var ") {
                // `gsub(re).count`: the number of non-overlapping matches, as `find_iter` counts.
                score += temps.find_iter(line).count();
                score += 3 * helpers.find_iter(line).count();
            }
        }
        score >= 3
    }

    fn generated_net_docfile(&self) -> bool {
        if self.extname_lower != ".xml" {
            return false;
        }
        let lines = self.lines();
        if lines.len() <= 3 {
            return false;
        }
        contains(lines[1], b"<doc>")
            && contains(lines[2], b"<assembly>")
            && nth_last(lines, 2).is_some_and(|line| contains(line, b"</doc>"))
    }

    fn generated_net_designer_file(&self) -> bool {
        path_regex!(r"(?mi)\.designer\.(?:cs|vb)$").is_match(self.name)
    }

    fn generated_net_specflow_feature_file(&self) -> bool {
        path_regex!(r"(?mi)\.feature\.cs$").is_match(self.name)
    }

    /// PEG.js: a `/* ... Generated by PEG.js` comment in the first five lines, joined with
    /// nothing between them (so `^` is their start).
    fn generated_parser(&self) -> bool {
        if self.extname != ".js" {
            return false;
        }
        let head = first(self.lines(), 5).concat();
        content_regex!(r"(?m)^(?:[^/]|/[^*])*/\*(?:[^*]|\*[^/])*Generated by PEG.js").is_match(&head)
    }

    fn generated_postscript(&self) -> bool {
        if !matches!(self.extname, ".ps" | ".eps" | ".pfa") {
            return false;
        }
        // Ruby: /(\n|\r\n|\r)\s*(?:currentfile eexec\s+|\/sfnts\s+\[\1<)\h{8,}\1/ on the whole
        // content. The regex crate has no backreferences; `\1` is one of three line ends, so the
        // regex is the union of its three spellings, which matches where the Ruby does.
        // (`\h` is Ruby's hex digit.)
        let font = content_regex!(
            r"\n\s*(?:currentfile eexec\s+|/sfnts\s+\[\n<)[0-9a-fA-F]{8,}\n|\r\n\s*(?:currentfile eexec\s+|/sfnts\s+\[\r\n<)[0-9a-fA-F]{8,}\r\n|\r\s*(?:currentfile eexec\s+|/sfnts\s+\[\r<)[0-9a-fA-F]{8,}\r"
        );
        if font.is_match(self.data) {
            return true;
        }
        let lines = self.lines();
        let Some(creator) = first(lines, 10)
            .iter()
            .find(|line| line.starts_with(b"%%Creator: "))
            .copied()
        else {
            return false;
        };
        if content_regex!(r"[0-9]|draw|mpage|ImageMagick|inkscape|MATLAB").is_match(creator)
            || content_regex!(r"PCBNEW|pnmtops|\(Unknown\)|Serif Affinity|Filterimage -tops")
                .is_match(creator)
        {
            return true;
        }
        contains(creator, b"EAGLE")
            && first(lines, 5)
                .iter()
                .any(|line| line.starts_with(b"%%Title: EAGLE Drawing "))
    }

    fn generated_go(&self) -> bool {
        self.extname == ".go"
            && self.lines().len() > 1
            && any_contains(first(self.lines(), 40), b"Code generated by")
    }

    fn generated_protocol_buffer_from_go(&self) -> bool {
        self.extname == ".proto"
            && self.lines().len() > 1
            && any_contains(
                first(self.lines(), 20),
                b"This file was autogenerated by go-to-protobuf",
            )
    }

    fn generated_protocol_buffer(&self) -> bool {
        PROTOBUF_EXTENSIONS.contains(&self.extname)
            && self.lines().len() > 1
            && any_contains(
                first(self.lines(), 3),
                b"Generated by the protocol buffer compiler.  DO NOT EDIT!",
            )
    }

    fn generated_javascript_protocol_buffer(&self) -> bool {
        self.extname == ".js"
            && self.lines().len() > 6
            && contains(self.lines()[5], b"GENERATED CODE -- DO NOT EDIT!")
    }

    fn generated_apache_thrift(&self) -> bool {
        APACHE_THRIFT_EXTENSIONS.contains(&self.extname)
            && any_contains(first(self.lines(), 6), b"Autogenerated by Thrift Compiler")
    }

    fn generated_jni_header(&self) -> bool {
        if self.extname != ".h" {
            return false;
        }
        let lines = self.lines();
        lines.len() > 2
            && contains(lines[0], b"/* DO NOT EDIT THIS FILE - it is machine generated */")
            && contains(lines[1], b"#include <jni.h>")
    }

    fn node_modules(&self) -> bool {
        self.name.contains("node_modules/")
    }

    fn go_vendor(&self) -> bool {
        // Ruby: /vendor\/((?!-)[-0-9A-Za-z]+(?<!-)\.)+(com|edu|gov|in|me|net|org|fm|io)/. The
        // regex crate has no lookaround; a label neither starting nor ending with `-` is the
        // same set of strings as `[0-9A-Za-z](?:[-0-9A-Za-z]*[0-9A-Za-z])?`.
        path_regex!(
            r"vendor/(?:[0-9A-Za-z](?:[-0-9A-Za-z]*[0-9A-Za-z])?\.)+(?:com|edu|gov|in|me|net|org|fm|io)"
        )
        .is_match(self.name)
    }

    fn go_lock(&self) -> bool {
        self.name.contains("Gopkg.lock") || self.name.contains("glide.lock")
    }

    fn poetry_lock(&self) -> bool {
        self.name.contains("poetry.lock")
    }

    fn esy_lock(&self) -> bool {
        // Ruby's `\w` is ASCII even on a UTF-8 string; its `.` (unescaped, as in the original)
        // is any character but a newline, like the regex crate's.
        path_regex!(r"(?m)(?:^|/)(?:[0-9A-Za-z_]+\.)?esy.lock$").is_match(self.name)
    }

    fn npm_shrinkwrap_or_package_lock(&self) -> bool {
        self.name.contains("npm-shrinkwrap.json") || self.name.contains("package-lock.json")
    }

    fn generated_yarn_plugnplay(&self) -> bool {
        path_regex!(r"(?m)(?:^|/)\.pnp\..*$").is_match(self.name)
    }

    fn godeps(&self) -> bool {
        self.name.contains("Godeps/")
    }

    fn composer_lock(&self) -> bool {
        self.name.contains("composer.lock")
    }

    fn generated_by_zephir(&self) -> bool {
        path_regex!(r"(?m).\.zep\.(?:c|h|php)$").is_match(self.name)
    }

    fn cargo_lock(&self) -> bool {
        self.name.contains("Cargo.lock")
    }

    fn vcr_cassette(&self) -> bool {
        self.extname == ".yml"
            && self.lines().len() > 2
            && nth_last(self.lines(), 2).is_some_and(|line| contains(line, b"recorded_with: VCR"))
    }

    fn generated_antlr(&self) -> bool {
        self.extname == ".g" && self.lines().len() > 2 && contains(self.lines()[1], b"generated by Xtest")
    }

    fn compiled_cython_file(&self) -> bool {
        matches!(self.extname, ".c" | ".cpp")
            && self.lines().len() > 1
            && contains(self.lines()[0], b"Generated by Cython")
    }

    fn pipenv_lock(&self) -> bool {
        self.name.contains("Pipfile.lock")
    }

    fn terraform_lock(&self) -> bool {
        path_regex!(r"(?m)(?:^|/)\.terraform\.lock\.hcl$").is_match(self.name)
    }

    /// KiCAD or GFortran module files.
    fn generated_module(&self) -> bool {
        if self.extname != ".mod" {
            return false;
        }
        let lines = self.lines();
        lines.len() > 1
            && (contains(lines[0], b"PCBNEW-LibModule-V") || contains(lines[0], b"GFORTRAN module version '"))
    }

    fn generated_unity3d_meta(&self) -> bool {
        self.extname == ".meta" && self.lines().len() > 1 && contains(self.lines()[0], b"fileFormatVersion: ")
    }

    fn generated_racc(&self) -> bool {
        self.extname == ".rb"
            && self.lines().len() > 2
            && self.lines()[2].starts_with(b"# This file is automatically generated by Racc")
    }

    fn generated_jflex(&self) -> bool {
        self.extname == ".java"
            && self.lines().len() > 1
            && self.lines()[0].starts_with(b"/* The following code was generated by JFlex ")
    }

    fn generated_grammarkit(&self) -> bool {
        self.extname == ".java"
            && self.lines().len() > 1
            && self.lines()[0].starts_with(b"// This is a generated file. Not intended for manual editing.")
    }

    fn generated_roxygen2(&self) -> bool {
        self.extname == ".Rd"
            && self.lines().len() > 1
            && contains(self.lines()[0], b"% Generated by roxygen2: do not edit by hand")
    }

    fn generated_jison(&self) -> bool {
        if self.extname != ".js" {
            return false;
        }
        let lines = self.lines();
        lines.len() > 1
            && (lines[0].starts_with(b"/* parser generated by jison ")
                || lines[0].starts_with(b"/* generated by jison-lex "))
    }

    fn generated_grpc_cpp(&self) -> bool {
        matches!(self.extname, ".cpp" | ".hpp" | ".h" | ".cc")
            && self.lines().len() > 1
            && self.lines()[0].starts_with(b"// Generated by the gRPC")
    }

    fn generated_dart(&self) -> bool {
        // Ruby downcases the (binary, so ASCII-only) first line and matches lowercase; an ASCII
        // case-insensitive match is the same test without the copy.
        self.extname == ".dart"
            && self.lines().len() > 1
            && content_regex!(r"(?i)generated code\W{2,3}do not modify").is_match(self.lines()[0])
    }

    fn generated_perl_ppport_header(&self) -> bool {
        path_regex!(r"(?m)ppport\.h$").is_match(self.name)
            && self.lines().len() > 10
            && contains(self.lines()[8], b"Automatically created by Devel::PPPort")
    }

    fn generated_graphql_relay(&self) -> bool {
        self.name.contains("__generated__/")
    }

    fn generated_gamemakerstudio(&self) -> bool {
        if !matches!(self.extname, ".yy" | ".yyp") {
            return false;
        }
        let lines = self.lines();
        lines.len() > 3
            && (content_regex!(r#""modelName":\s*"GM"#).is_match(lines[2])
                || content_regex!(r"(?m)^\d\.\d\.\d.+\|\{").is_match(lines[0]))
    }

    fn generated_gimp(&self) -> bool {
        if !matches!(self.extname, ".c" | ".h") {
            return false;
        }
        let Some(line) = self.lines().first() else {
            return false;
        };
        content_regex!(r"/\* GIMP [a-zA-Z0-9\- ]+ C\-Source image dump \(.+?\.c\) \*/").is_match(line)
            || content_regex!(r"/\*  GIMP header image file format \([a-zA-Z0-9\- ]+\): .+?\.h  \*/")
                .is_match(line)
    }

    fn generated_visualstudio6(&self) -> bool {
        self.extname_lower == ".dsp"
            && any_contains(
                first(self.lines(), 3),
                b"# Microsoft Developer Studio Generated Build File",
            )
    }

    fn generated_haxe(&self) -> bool {
        HAXE_EXTENSIONS.contains(&self.extname) && any_contains(first(self.lines(), 3), b"Generated by Haxe")
    }

    /// HTML from pkgdown, mandoc, Doxygen, or a tool its `<meta name="generator">` names.
    fn generated_html(&self) -> bool {
        if !matches!(self.extname_lower.as_str(), ".html" | ".htm" | ".xhtml") {
            return false;
        }
        let lines = self.lines();
        if lines.len() <= 1 {
            return false;
        }
        // pkgdown
        if any_contains(
            first(lines, 2),
            b"<!-- Generated by pkgdown: do not edit by hand -->",
        ) {
            return true;
        }
        // mandoc
        if lines.len() > 2 && lines[2].starts_with(b"<!-- This is an automatically generated file.") {
            return true;
        }
        // Doxygen
        let doxygen = content_regex!(r"(?i)<!--\s+Generated by Doxygen\s+[.0-9]+\s*-->");
        if first(lines, 31).iter().any(|line| doxygen.is_match(line)) {
            return true;
        }
        // <meta name="generator" content="..." /> in the first 31 lines, joined with spaces.
        // Ruby's `[^>]++` is possessive; since `[^>]` cannot match the `>` after it, giving
        // characters back could never help, so the greedy `[^>]+` matches the same.
        let head = first(lines, 31).join(&b' ');
        let tool = content_regex!(r"(?mi)^(?:org\s+mode|j?latex2html|groff|makeinfo|texi2html|ronn)\b");
        content_regex!(r"(?i)<meta(\s+[^>]+)>")
            .captures_iter(&head)
            .filter_map(|caps| caps.get(1))
            .any(|attributes| {
                let meta = HtmlMeta::parse(attributes.as_bytes());
                meta.name
                    .is_some_and(|name| name.eq_ignore_ascii_case(b"generator"))
                    && [meta.content, meta.value]
                        .into_iter()
                        .flatten()
                        .any(|cv| tool.is_match(cv))
            })
    }

    fn generated_jooq(&self) -> bool {
        self.extname_lower == ".java"
            && any_contains(first(self.lines(), 2), b"This file is generated by jOOQ.")
    }

    /// Delphi type library imports, `*_TLB.pas`.
    fn generated_pascal_tlb(&self) -> bool {
        path_regex!(r"(?mi)_tlb\.pas$").is_match(self.name)
    }
}

/// The attributes `extract_html_meta` keeps from a `<meta ...>` tag; a later one of the same
/// name wins, as in the Ruby's `to_h`.
struct HtmlMeta<'h> {
    name: Option<&'h [u8]>,
    content: Option<&'h [u8]>,
    value: Option<&'h [u8]>,
}

impl<'h> HtmlMeta<'h> {
    fn parse(attributes: &'h [u8]) -> Self {
        // `.sub(/\/\Z/, "")`: the text has no newline, so `\Z` is its end.
        let text = attributes.strip_suffix(b"/").unwrap_or(attributes);
        let text = ruby_strip(text);
        // Ruby: /(?<=^|\s)(name|content|value)\s*=\s*("[^"]+"|'[^']+'|[^\s"']+)/ix. The regex
        // crate has no lookbehind, so the whitespace before the name is consumed instead. That
        // finds the same matches: a match ends in a quote or a non-space, so the whitespace a
        // next match consumes never belongs to the previous one (and `^` is the start, as the
        // text has no newline).
        let attribute =
            content_regex!(r#"(?i)(?:^|\s)(name|content|value)\s*=\s*("[^"]+"|'[^']+'|[^\s"']+)"#);
        let mut meta = HtmlMeta {
            name: None,
            content: None,
            value: None,
        };
        for caps in attribute.captures_iter(text) {
            let (Some(key), Some(value)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            // `gsub(/\A["']|["']\Z/, '')`: one quote off each end.
            let value = value.as_bytes();
            let value = value
                .strip_prefix(b"\"")
                .or_else(|| value.strip_prefix(b"'"))
                .unwrap_or(value);
            let value = value
                .strip_suffix(b"\"")
                .or_else(|| value.strip_suffix(b"'"))
                .unwrap_or(value);
            let key = key.as_bytes();
            if key.eq_ignore_ascii_case(b"name") {
                meta.name = Some(value);
            } else if key.eq_ignore_ascii_case(b"content") {
                meta.content = Some(value);
            } else {
                meta.value = Some(value);
            }
        }
        meta
    }
}

/// Ruby's `File.extname` (Unix): the basename's last `.` and what follows, ignoring trailing
/// slashes and the basename's leading dots (`.bashrc` has none, `a.tar.gz` has `.gz`, `a.` has
/// `.`).
fn extname(name: &str) -> &str {
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    let start = bytes[..end].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let stem = name[start..end].trim_start_matches('.');
    stem.rfind('.').map_or("", |dot| &stem[dot..])
}

/// Ruby's `String#strip`: ASCII whitespace and NUL off both ends.
fn ruby_strip(text: &[u8]) -> &[u8] {
    let strip = |b: &u8| *b == 0 || b.is_ascii_whitespace() || *b == 0x0b;
    let start = text.iter().position(|b| !strip(b)).unwrap_or(text.len());
    let end = text.iter().rposition(|b| !strip(b)).map_or(start, |i| i + 1);
    &text[start..end]
}

/// `lines.first(n)`; also `lines[0..n - 1]`.
fn first<'l, 'a>(lines: &'l [&'a [u8]], n: usize) -> &'l [&'a [u8]] {
    &lines[..n.min(lines.len())]
}

/// `lines.last(n)`.
fn last<'l, 'a>(lines: &'l [&'a [u8]], n: usize) -> &'l [&'a [u8]] {
    &lines[lines.len().saturating_sub(n)..]
}

/// `lines[-n]` (`n >= 1`): None past the start, as Ruby's nil.
fn nth_last<'a>(lines: &[&'a [u8]], n: usize) -> Option<&'a [u8]> {
    lines.len().checked_sub(n).and_then(|i| lines.get(i).copied())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|window| window == needle)
}

fn any_contains(lines: &[&[u8]], needle: &[u8]) -> bool {
    lines.iter().any(|line| contains(line, needle))
}
