//! Command-line arguments (the CLI contract other tools rely on).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "gitfleet", version, about = "SQL over fleets of git repositories")]
pub struct Cli {
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

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SQL: a QUERY, a file (-f), SQL piped on stdin, or an interactive shell.
    Sql {
        /// The SQL to run (several statements separated by ';' are run in order).
        query: Option<String>,
        /// Read SQL from this file.
        #[arg(short = 'f', long = "file", value_name = "FILE.sql")]
        file: Option<PathBuf>,
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
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// PEM certificate chain for TLS (with --tls-key).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for TLS (with --tls-cert).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Run a ready-made analysis from sql/ by name (without NAME: list them).
    Run {
        name: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write results to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
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
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Arrow)
    }
}
