//! `git http-backend` behind a small HTTP server with basic auth on 127.0.0.1
//! (`tests/support/git_http_server.py`). Shared by the clone and worker tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `git http-backend` behind HTTP basic auth (password = `token`, if given).
pub struct HttpServer {
    child: Child,
    pub port: u16,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_http(root: &Path, extra: &[&str]) -> HttpServer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/git_http_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("--root")
        .arg(root)
        .args(extra)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the test HTTP server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("the server prints its port");
    HttpServer { child, port }
}
