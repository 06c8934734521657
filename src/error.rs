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
    /// A clone or fetch failed; the message names the URL (never a credential).
    #[error("{0}")]
    Clone(String),
    /// A GitHub API failure; the message names the request (never a token).
    #[error("{0}")]
    GitHub(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A git failure inside `repo`, keeping only the library's message.
    pub fn git(repo: &str, err: impl std::fmt::Display) -> Self {
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
