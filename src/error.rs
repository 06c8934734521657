//! The library's error type, and its single conversion into DataFusion's error.

use datafusion::error::DataFusionError;

/// Everything that can go wrong between a repository on disk and a record batch.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("repository not found: {0}")]
    RepoNotFound(String),
    #[error("not a git repository: {0}")]
    NotARepository(String),
    #[error("remote repository '{0}' needs a cache directory to be cloned into")]
    RemoteNotSupported(String),
    #[error(
        "no repository to scan: run inside a git repository, pass -r PATH, \
         or name one with repo = '...'"
    )]
    NoRepository,
    #[error("{repo}: unknown revision '{rev}'")]
    UnknownRevision { repo: String, rev: String },
    #[error("{repo}: {message}")]
    Git { repo: String, message: String },
    #[error("{0}")]
    InvalidArgument(String),
    /// A served session named a repository (or table) it was not granted.
    #[error("repository '{0}' is not served here")]
    NotServed(String),
    /// A served session used something the server does not offer its clients.
    #[error("{0}")]
    Refused(String),
    /// A clone or fetch failed; the message names the URL (never a credential).
    #[error("{0}")]
    Clone(String),
    /// A GitHub API failure; the message names the request (never a token).
    #[error("{0}")]
    GitHub(String),
    /// GitHub refused the credentials (401), or every configured token.
    #[error("{0}")]
    GitHubAuth(String),
    /// Out of GitHub quota and told not to wait; `reset` is when it refills (epoch seconds).
    #[error("{message}")]
    GitHubRateLimit { message: String, reset: i64 },
    /// GitHub has no such owner or repository (404), or the token cannot see it.
    #[error("{0}")]
    GitHubNotFound(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an error is, for front ends that map kinds to their own error types
/// (the Python package's exception classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad SQL, an unknown table or column, a bad argument or a missing required filter.
    Query,
    /// A repository or revision that does not exist or cannot be read.
    Repository,
    /// A clone or fetch failed.
    Clone,
    GitHub,
    GitHubAuth,
    /// Out of quota; the reset time in epoch seconds.
    GitHubRateLimit(i64),
    GitHubNotFound,
    /// Not granted to this client (`gitfleet serve`'s repository list, `--github`, ...).
    Permission,
    /// A statement nests deeper than the engine plans safely (PostgreSQL's "stack depth limit
    /// exceeded"); a kind of query error.
    TooComplex,
    /// Anything else (I/O, internal).
    Other,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RepoNotFound(_)
            | Error::NotARepository(_)
            | Error::NoRepository
            | Error::UnknownRevision { .. }
            | Error::Git { .. } => ErrorKind::Repository,
            Error::RemoteNotSupported(_) | Error::InvalidArgument(_) => ErrorKind::Query,
            Error::NotServed(_) | Error::Refused(_) => ErrorKind::Permission,
            Error::Clone(_) => ErrorKind::Clone,
            Error::GitHub(_) => ErrorKind::GitHub,
            Error::GitHubAuth(_) => ErrorKind::GitHubAuth,
            Error::GitHubRateLimit { reset, .. } => ErrorKind::GitHubRateLimit(*reset),
            Error::GitHubNotFound(_) => ErrorKind::GitHubNotFound,
            Error::Io(_) | Error::Arrow(_) => ErrorKind::Other,
        }
    }

    /// A git failure inside `repo`, keeping only the library's message.
    pub(crate) fn git(repo: &str, err: impl std::fmt::Display) -> Self {
        Error::Git {
            repo: repo.to_string(),
            message: err.to_string(),
        }
    }
}

impl From<Error> for DataFusionError {
    fn from(err: Error) -> Self {
        match err {
            Error::Arrow(e) => DataFusionError::ArrowError(Box::new(e), None),
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
