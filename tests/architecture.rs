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
