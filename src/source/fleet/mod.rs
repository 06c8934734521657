//! Fleets of repositories named by URL: parsing remote names, the clone cache, cloning.

pub mod clone;
pub mod remote;
