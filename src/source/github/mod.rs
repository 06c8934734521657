//! GitHub's REST API: the client ([`client`]), its tokens ([`tokens`]) and its conditional
//! request cache ([`cache`]). The `gh_*` tables in `table::github` read through this.

pub mod cache;
pub mod client;
pub mod tokens;

pub use client::{GitHub, GitHubConfig, Media, Page};
pub use tokens::TokenPool;
