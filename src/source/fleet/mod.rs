//! Fleets of repositories named by URL: parsing remote names, credentials, the clone cache and
//! the session's concurrent clone jobs.

pub mod auth;
pub mod clone;
pub mod jobs;
pub mod remote;
