//! One log line per client query on stderr: peer, user, time, rows, outcome and the query.
//! Whatever the client sent is escaped (no forged lines from a user name with a newline) and
//! credentials in URLs are masked.

use std::net::SocketAddr;
use std::time::Instant;

use datafusion_postgres::pgwire;
use pgwire::api::ClientInfo;
use pgwire::error::PgWireError;

/// A one-line record of a query, written when the query ends (or its client goes).
pub(super) struct QueryLog {
    peer: SocketAddr,
    user: String,
    sql: String,
    started: Instant,
    pub rows: usize,
    done: bool,
}

impl QueryLog {
    pub(super) fn new<C: ClientInfo + ?Sized>(client: &C, sql: &str) -> Self {
        QueryLog {
            peer: client.socket_addr(),
            user: client.metadata().get("user").cloned().unwrap_or_default(),
            sql: one_line(sql),
            started: Instant::now(),
            rows: 0,
            done: false,
        }
    }

    pub(super) fn finish(&mut self, outcome: &str) {
        if self.done {
            return;
        }
        self.done = true;
        super::log_line!(
            "{} user={} {:.1}ms rows={} {outcome} query=\"{}\"",
            self.peer,
            quoted(&self.user),
            self.started.elapsed().as_secs_f64() * 1000.0,
            self.rows,
            self.sql
        );
    }
}

impl Drop for QueryLog {
    fn drop(&mut self) {
        self.finish("error=\"client went away\"");
    }
}

/// A client-given name, quoted and escaped as Rust strings are (`"a\nb"`): one line, always.
pub(super) fn quoted(name: &str) -> String {
    format!("{name:?}")
}

/// The query as one line, at most 300 characters, control characters replaced, double quotes
/// turned into single ones (the line quotes it), any `user:password@` in URLs masked.
pub(super) fn one_line(sql: &str) -> String {
    let mut line: String = sql
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    line = crate::engine::mask_credentials(&line);
    if line.chars().count() > 300 {
        line = line.chars().take(300).collect::<String>() + "...";
    }
    line.replace('"', "'")
}

/// An error's message as one log line.
pub(super) fn error_text(e: &PgWireError) -> String {
    let text = match e {
        PgWireError::UserError(info) => info.message.clone(),
        other => other.to_string(),
    };
    one_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_queries_are_one_line_without_credentials() {
        assert_eq!(
            one_line("SELECT *\n  FROM commits('https://user:tok@host/x')"),
            "SELECT * FROM commits('https://***@host/x')"
        );
        // A quote inside the password (doubled in SQL) does not end the masking early.
        assert_eq!(
            one_line("SELECT * FROM commits('https://user:pa''ss@host/x')"),
            "SELECT * FROM commits('https://***@host/x')"
        );
        assert_eq!(one_line("SELECT 1\u{1b}[2J"), "SELECT 1?[2J");
    }

    #[test]
    fn names_cannot_forge_lines() {
        assert_eq!(
            quoted("bob\n127.0.0.1:1 user=admin"),
            "\"bob\\n127.0.0.1:1 user=admin\""
        );
    }
}
