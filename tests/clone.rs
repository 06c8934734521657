//! Clone-on-scan against a real `git daemon` on 127.0.0.1 (no test reaches the internet).

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Daemon {
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_daemon(base: &Path) -> Daemon {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The daemon binary itself: `git daemon` would run it as a child that outlives a kill.
    let exec_path = git(base, &["--exec-path"]).trim().to_string();
    let child = Command::new(Path::new(&exec_path).join("git-daemon"))
        .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("git daemon");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "git daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Daemon { child, port }
}

#[test]
fn remote_repositories_are_cloned_once_then_read_from_the_cache() {
    let source = fixture("basic");
    let served = scratch_dir("served");
    git(
        &served,
        &["clone", "-q", "--bare", source.to_str().unwrap(), "basic.git"],
    );
    let daemon = start_daemon(&served);
    let url = format!("git://127.0.0.1:{}/basic.git", daemon.port);
    let missing = format!("git://127.0.0.1:{}/missing.git", daemon.port);
    let cache = scratch_dir("clone-cache");
    let config = gitfleet::EngineConfig {
        repos: vec![],
        cache_dir: Some(cache.clone()),
        ..Default::default()
    };
    let run = |sql: &str| try_query_with(&config, sql).map(|b| rows(&b));
    let expected = git(&source, &["rev-list", "--count", "HEAD"]).trim().to_string();
    let all = git(&source, &["rev-list", "--count", "--all"]).trim().to_string();

    assert_eq!(
        run(&format!("SELECT count(*) FROM commits('{url}')")).unwrap(),
        vec![vec![expected.clone()]]
    );
    // All branches and tags came along.
    assert_eq!(
        run(&format!("SELECT count(*) FROM commits('{url}', '--all')")).unwrap(),
        vec![vec![all]]
    );
    let clone_dir = cache.join(format!("repos/127.0.0.1_{}/basic.git", daemon.port));
    let repos = run(&format!(
        "SELECT repo, url, path, is_bare, status FROM repos('{url}')"
    ))
    .unwrap();
    assert_eq!(
        repos,
        vec![vec![
            url.clone(),
            url.clone(),
            clone_dir.display().to_string(),
            "true".into(),
            "ready".into()
        ]]
    );

    // A repository the server does not have: one clear line naming the URL, no half entry left.
    let err = run(&format!("SELECT * FROM commits('{missing}')")).unwrap_err();
    assert!(err.contains(&format!("cannot clone {missing}")), "{err}");
    assert!(!err.contains('\n'), "{err}");
    let parent = clone_dir.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "basic.git")
        .collect();
    assert!(leftovers.is_empty(), "half entries left: {leftovers:?}");
    // In `repos` the failure is a row and does not hide the good repository.
    let both = run(&format!(
        "SELECT repo, status FROM repos('{url}', '{missing}') ORDER BY repo"
    ))
    .unwrap();
    assert_eq!(both[0], vec![url.clone(), "ready".to_string()]);
    assert_eq!(both[1], vec![missing.clone(), "failed".to_string()]);

    // With the server gone, the cached clone still answers; `repo =` filters accept the URL.
    drop(daemon);
    let sql = format!("SELECT count(*) FROM commits WHERE repo = '{url}'");
    assert_eq!(run(&sql).unwrap(), vec![vec![expected]]);
}

#[test]
fn bad_urls_are_one_clear_line() {
    let config = gitfleet::EngineConfig {
        cache_dir: Some(scratch_dir("bad-url-cache")),
        ..Default::default()
    };
    for (url, needle) in [
        ("ftp://host/x", "unsupported scheme"),
        ("https://github.com/../etc", "bad repository path"),
        ("https://user:s3cret@/x", "bad host"),
    ] {
        let err = try_query_with(&config, &format!("SELECT * FROM commits('{url}')")).unwrap_err();
        assert!(err.contains(needle), "{url}: {err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
