//! Fleets of repositories named by URL: parsing remote names, credentials, the clone cache and
//! the session's concurrent clone jobs.

pub(crate) mod auth;
pub(crate) mod clone;
pub(crate) mod jobs;
pub(crate) mod remote;
