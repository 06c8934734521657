//! Command-line arguments (the CLI contract other tools rely on).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "gitfleet", version, about = "SQL over fleets of git repositories")]
pub(super) struct Cli {
    /// Repository to scan when a query names none (path; repeatable). Default: the repository
    /// containing the current directory.
    #[arg(short = 'r', long = "repo", value_name = "PATH_OR_URL", global = true)]
    pub repos: Vec<String>,

    /// Cache directory for clones and computed data.
    #[arg(long, value_name = "DIR", env = "GITFLEET_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the cache of computed per-commit diff stats.
    #[arg(long, global = true)]
    pub no_stats_cache: bool,

    /// Clone (or fetch) at most N remote repositories at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), global = true)]
    pub clone_jobs: u16,

    /// Fetch updates into cached clones of remote repositories before reading them.
    #[arg(long, global = true)]
    pub refresh: bool,

    /// Fail the query when a remote repository cannot be cloned (default: warn and skip it).
    #[arg(long, global = true)]
    pub strict: bool,

    /// When every GitHub token is out of quota, fail at once instead of waiting for the reset.
    #[arg(long, global = true)]
    pub no_wait: bool,

    /// Print errors only (no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on stderr: -v info, -vv what each scan and clone did, with timings
    /// (or set GITFLEET_LOG, e.g. GITFLEET_LOG=gitfleet=debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Run queries on these workers (`gitfleet worker`): HOST:PORT, comma-separated or repeated.
    /// Each remote repository is cloned and scanned by one worker, always the same one.
    #[arg(long, value_name = "HOST:PORT,...", env = "GITFLEET_WORKERS", global = true)]
    pub workers: Vec<String>,

    /// The workers see this machine's paths (a shared file system), so scans of local
    /// repositories run on them too (default: those run here).
    #[arg(long, global = true)]
    pub workers_share_paths: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Run SQL: a QUERY, a file (-f), SQL piped on stdin, or an interactive shell.
    Sql {
        /// The SQL to run (several statements separated by ';' are run in order). It may start
        /// with a `--` comment.
        #[arg(allow_hyphen_values = true)]
        query: Option<String>,
        /// Read SQL from this file.
        #[arg(short = 'f', long = "file", value_name = "FILE.sql")]
        file: Option<PathBuf>,
        /// A value for the query's named parameter `$NAME` (repeatable), e.g. --param owner=apache.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the tables and their columns.
    Tables,
    /// Serve every table and analysis over the Postgres wire protocol (psql, BI tools).
    Serve {
        /// Address to listen on. Addresses other than loopback need a password.
        #[arg(long, default_value = "127.0.0.1:5433", value_name = "HOST:PORT")]
        listen: std::net::SocketAddr,
        /// File holding the password clients must send (else GITFLEET_PASSWORD; none on loopback).
        /// Any user name; the exchange is SCRAM-SHA-256, so the password never crosses the wire.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// Users and their SCRAM-SHA-256 verifiers, one `user:SCRAM-SHA-256$...` line each
        /// (make a verifier with --hash-password). Keep it readable by the server's user only.
        #[arg(long, value_name = "FILE", conflicts_with = "password_file")]
        users_file: Option<PathBuf>,
        /// Read a password on standard input, print its users-file verifier, and exit.
        #[arg(long)]
        hash_password: bool,
        /// PEM certificate chain for TLS (with --tls-key).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for TLS (with --tls-cert).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Memory all queries share (e.g. 2GB, 512MB, 25%: of this machine's memory). Sorts and
        /// aggregates spill to disk under the cache directory, else the query fails.
        #[arg(long, default_value = "25%", value_name = "SIZE", value_parser = parse_size)]
        memory_limit: u64,
        /// Memory one client's queries may hold, within --memory-limit (e.g. 512MB; default a
        /// quarter of --memory-limit), so one memory-hungry query fails alone instead of
        /// starving the others.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        query_memory_limit: Option<u64>,
        /// Threads one query's operators run on (0: half this machine's cores, at least 1), so
        /// one heavy query leaves the other clients the rest of the machine.
        #[arg(long, default_value_t = 0, value_name = "N")]
        query_threads: usize,
        /// Clients connected at once; the next one is refused (SQLSTATE 53300).
        #[arg(long, default_value_t = 64, value_name = "N")]
        max_connections: usize,
        /// Cancel statements running longer than this (e.g. 30s, 500ms, 5min; 0: never) unless
        /// the client sets its own statement_timeout.
        #[arg(long, default_value = "0", value_name = "DURATION", value_parser = parse_duration)]
        statement_timeout: std::time::Duration,
        /// Fail results with more rows than this (dashboards that forget a LIMIT); 0: no limit.
        #[arg(long, default_value_t = 0, value_name = "N")]
        max_result_rows: usize,
        /// Also serve repositories matching this glob over canonical names (repeatable), e.g.
        /// 'github:acme/*', 'https://git.example.com/team/**', '/srv/git/*'. Clients can name no
        /// other repository than these and the -r ones.
        #[arg(long, value_name = "PATTERN")]
        allow_repo: Vec<String>,
        /// Give up a clone or fetch that receives more than this (e.g. 2GB, 500MB), so clients
        /// cannot fill the disk through an allowed host.
        #[arg(long, default_value = "2GB", value_name = "SIZE", value_parser = parse_size)]
        max_clone_size: u64,
        /// Let clients run refresh_repos() (a fetch from the repository's server).
        #[arg(long)]
        allow_refresh: bool,
        /// Serve the GitHub tables (clients spend this server's GitHub token quota).
        #[arg(long)]
        github: bool,
    },
    /// Run scans for coordinators (`--workers` on sql, run or serve): clones go to this
    /// machine's cache directory, rows stream back over Arrow Flight.
    Worker {
        /// Address to listen on. Addresses other than loopback need GITFLEET_WORKER_SECRET (the
        /// same value on every worker and on the coordinator).
        #[arg(long, default_value = "127.0.0.1:7100", value_name = "HOST:PORT")]
        listen: std::net::SocketAddr,
    },
    /// Write one self-contained HTML report: commits per week, active authors, when people
    /// commit, top contributors, code age and ownership at HEAD, bus factor, churn hot spots
    /// (and, with --github, pull requests), each chart with the SQL it was drawn from.
    Report {
        /// Where to write the report (replaced only once it is complete).
        #[arg(
            short = 'o',
            long = "output",
            value_name = "FILE.html",
            default_value = "report.html"
        )]
        output: PathBuf,
        /// Only commits committed on or after this day (YYYY-MM-DD); the lines at HEAD are
        /// always those of HEAD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        /// Add pull requests opened and merged per month and time to merge, for the
        /// repositories on GitHub (by name, URL or origin remote; GITHUB_TOKEN as for gh_*).
        #[arg(long)]
        github: bool,
        /// The report's title.
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
    },
    /// Run a ready-made analysis from sql/ by name (without NAME: list them).
    Run {
        name: Option<String>,
        /// A value for one of the analysis' parameters (repeatable): the GitHub analyses need
        /// `--param owner=OWNER --param repo=REPO`.
        #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write results to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    Parquet,
    Arrow,
}

impl Format {
    /// Binary formats hold one result and must not go to a terminal.
    pub(crate) fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Arrow)
    }
}

/// `NAME=VALUE` for `--param` (the value may hold '=').
fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value))
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err(format!("'{text}' is not NAME=VALUE (e.g. owner=apache)")),
    }
}

/// A size in bytes: `2GB`, `512MB`, `64k`, `1.5G`, a plain number of bytes, or a percentage of
/// this machine's memory (`25%`).
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Some(percent) = t.strip_suffix('%') {
        let p: f64 = percent
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a size (e.g. 2GB, 512MB, 25%)"))?;
        if !(0.0..=100.0).contains(&p) || p == 0.0 {
            return Err(format!("'{text}': a percentage of memory is between 0 and 100"));
        }
        let total = total_memory()
            .ok_or("cannot read this machine's memory size; give the limit in bytes (e.g. 2GB)")?;
        return Ok((total as f64 * p / 100.0) as u64);
    }
    let lower = t.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = lower[digits.len()..].trim_end_matches("ib").trim_end_matches('b');
    let scale: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(format!("'{text}' is not a size (e.g. 2GB, 512MB, 25%)")),
    };
    let n: f64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 2GB, 512MB, 25%)"))?;
    if n <= 0.0 {
        return Err(format!("'{text}': the size must be positive"));
    }
    Ok((n * scale as f64) as u64)
}

/// This machine's memory in bytes (Linux: /proc/meminfo).
fn total_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// A duration: `500ms`, `30s`, `5min`, `2h`, or a plain number of milliseconds (as Postgres'
/// statement_timeout); `0` is none.
pub(super) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let ms_per: f64 = match &t[digits.len()..] {
        "" | "ms" => 1.0,
        "s" => 1e3,
        "min" | "m" => 60e3,
        "h" => 3600e3,
        _ => return Err(format!("'{text}' is not a duration (e.g. 500ms, 30s, 5min)")),
    };
    let n: f64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 500ms, 30s, 5min)"))?;
    if n < 0.0 {
        return Err(format!("'{text}': a duration cannot be negative"));
    }
    Ok(std::time::Duration::from_millis((n * ms_per) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("256MB"), Ok(256 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("25%").unwrap() > 0);
        assert!(parse_size("lots").is_err() && parse_size("0").is_err() && parse_size("5XB").is_err());
        assert_eq!(parse_duration("30s"), Ok(std::time::Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(std::time::Duration::from_millis(500)));
        assert_eq!(parse_duration("2min"), Ok(std::time::Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(std::time::Duration::ZERO));
        assert!(parse_duration("soon").is_err());
    }
}
