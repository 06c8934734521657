//! The report's pages in tests: the sections and rows a page holds, and headless Chromium
//! (Debian's `chromium`; `scripts/test.sh` installs it) for the DOM after its scripts ran, what
//! it said on the console, screenshots, and the marks each chart drew.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A page as Chromium left it.
pub struct Rendered {
    pub dom: String,
    /// Every console message (errors, warnings and logs alike).
    pub console: Vec<String>,
}

fn chromium() -> &'static str {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name;
        }
    }
    panic!("the report's tests need Chromium (apt-get install chromium; scripts/test.sh installs it)");
}

fn run(page: &Path, url_suffix: &str, width: u32, height: u32, action: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{url_suffix}", page.canonicalize().unwrap().display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            // Time for vega-embed's promises to settle before the DOM is read.
            "--virtual-time-budget=20000",
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ])
        .args(action)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The DOM of `page` (with `url_suffix`, e.g. `#repo=...`) after its scripts ran, in a window
/// `width` pixels wide.
pub fn render(page: &Path, url_suffix: &str, width: u32) -> Rendered {
    let out = run(page, url_suffix, width, 2400, &["--dump-dom".to_string()]);
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

/// A PNG screenshot of `page`, `width` x `height`, written to `out`.
pub fn screenshot(page: &Path, width: u32, height: u32, out: &Path) {
    let _ = std::fs::remove_file(out);
    run(
        page,
        "",
        width,
        height,
        &[format!("--screenshot={}", out.display())],
    );
    let png = std::fs::read(out).expect("chromium wrote the screenshot");
    assert_eq!(&png[1..4], b"PNG");
    let png_width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(png_width, width, "{}", out.display());
}

/// Where tests leave what people look at (screenshots): the target directory's `report-shots`.
pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The data marks (bars, cells, points) each chart drew, by its `data-chart` name: SVG
/// elements Vega labels `role="graphics-symbol"`, axes, legends and lines left out.
pub fn marks(dom: &str) -> BTreeMap<String, usize> {
    let starts: Vec<(usize, String)> = dom
        .match_indices("data-chart=\"")
        .map(|(i, m)| {
            let rest = &dom[i + m.len()..];
            (i, rest[..rest.find('"').unwrap()].to_string())
        })
        .collect();
    let mut out = BTreeMap::new();
    for (k, (start, name)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(dom.len(), |(s, _)| *s);
        let count = dom[*start..end]
            .split("role=\"graphics-symbol\" aria-roledescription=\"")
            .skip(1)
            .filter(|rest| {
                let kind = &rest[..rest.find('"').unwrap_or(0)];
                matches!(kind, "bar" | "rect mark" | "point")
            })
            .count();
        out.insert(name.clone(), count);
    }
    out
}

/// The value of `attribute` on the page's `<body>`.
pub fn body_attribute(dom: &str, attribute: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let at = tag.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

/// The text of the element with `id` (tags stripped, entities of the report's escaping undone).
pub fn text_of(dom: &str, id: &str) -> Option<String> {
    let at = dom.find(&format!("id=\"{id}\""))?;
    let open_end = at + dom[at..].find('>')? + 1;
    let tag_start = dom[..at].rfind('<')?;
    let tag = dom[tag_start + 1..].split([' ', '>']).next()?.to_string();
    let close = open_end + dom[open_end..].find(&format!("</{tag}>"))?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in dom[open_end..close].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(unescape(&text))
}

/// Each section of a report page: its id and its SQL (as shown under the chart).
pub fn sections(html: &str) -> Vec<(String, String)> {
    html.split("<section class=\"section\" id=\"")
        .skip(1)
        .map(|part| {
            let id = part[..part.find('"').unwrap()].to_string();
            let code = &part[part.find("<pre><code>").unwrap() + 11..];
            let sql = unescape(&code[..code.find("</code>").unwrap()]);
            (id, sql)
        })
        .collect()
}

/// The rows section `id` draws (its query's; sections about the code at HEAD share one).
pub fn rows(data: &serde_json::Value, id: &str) -> serde_json::Value {
    let query = data["sections"][id]
        .as_str()
        .unwrap_or_else(|| panic!("no section {id}"));
    data["queries"][query]["rows"].clone()
}

/// The page's embedded data: `repos`, each section's query (`sections`) and each query's
/// `rows` and `error` (`queries`).
pub fn data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"gitfleet-data\">";
    let start = html.find(open).expect("the page holds its data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("the data is JSON")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The page without its scripts' contents: the markup and styles a browser loads resources for.
pub fn markup(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find("</script>")
            .map_or(rest.len(), |c| open + c + 9);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}
