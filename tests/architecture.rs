//! Fitness test for the one-way data flow: front ends talk to the engine, never to git sources
//! or table internals directly.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn front_ends_do_not_reach_below_the_engine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/cli"), &mut files);
    rust_files(&root.join("src/server"), &mut files);
    rust_files(&root.join("src/report"), &mut files);
    files.push(root.join("src/main.rs"));
    assert!(files.len() > 2);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "gitfleet::source",
            "gitfleet::table",
            "crate::source",
            "crate::table",
            "git2::",
            "gix::",
        ] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
        }
    }
}

#[test]
fn sources_know_nothing_of_arrow_or_datafusion() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/source"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["arrow::", "datafusion::"] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
        }
    }
}

/// The library reports through `tracing` (the CLI prints, Python warns, serve logs), never by
/// writing to stderr itself.
#[test]
fn the_library_does_not_print() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src/source", "src/table", "src/engine"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.push(root.join("src/engine.rs"));
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["eprintln!", "println!", "eprint!("] {
            assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
        }
    }
}

/// Inside `src/table`, module dependencies form no cycle: table files use the shared modules
/// (`def`, `spec`, `sink`, `columns`, ...), the registry in `mod.rs` uses the table files, and
/// nothing below reaches back up. (A module `use`s a sibling through `super::NAME`; an item of
/// `mod.rs` itself counts as a use of `mod`.)
#[test]
fn table_modules_have_no_import_cycles() {
    use std::collections::{BTreeMap, BTreeSet};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/table");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            sources.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in &sources {
        let deps = edges.entry(name.clone()).or_default();
        // Unit tests sit at the end of a file, where `super::` is the file itself.
        let text = text.split("#[cfg(test)]").next().unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut used = |target: String| {
            if target.is_empty() {
                return;
            }
            let target = if modules.contains(&target) {
                target
            } else {
                "mod".to_string()
            };
            if &target != name {
                deps.insert(target);
            }
        };
        for prefix in ["super::", "crate::table::"] {
            for (i, _) in code.match_indices(prefix) {
                let rest = &code[i + prefix.len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    for item in group.split('}').next().unwrap().split(',') {
                        let item = ident(item.trim());
                        if !item.is_empty() && item != "self" {
                            used(item);
                        }
                    }
                } else {
                    used(ident(rest));
                }
            }
        }
        if name == "mod" {
            for module in &modules {
                if code.contains(&format!("{module}::")) && module != "mod" {
                    deps.insert(module.clone());
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = stack.iter().position(|n| n == node) {
            panic!(
                "import cycle in src/table: {} -> {node}",
                stack[at..].join(" -> ")
            );
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done);
        }
        stack.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done);
    }
    assert!(edges["commits"].contains("def") && edges["mod"].contains("commits"));
}
