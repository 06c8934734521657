//! GitHub's REST API as the tables need it: one GET with everything a good API citizen does —
//! the token with the most quota, rate-limit headers learned from every response, token
//! rotation on a primary limit, waiting as told on a secondary limit, ETag revalidation from
//! the on-disk cache, bounded retries with backoff on 5xx and timeouts — and `Link` pagination.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, ACCEPT, ETAG, IF_NONE_MATCH, LINK, RETRY_AFTER, USER_AGENT};
use reqwest::StatusCode;
use tokio::sync::Semaphore;

use super::cache::{Cached, EtagCache};
use crate::error::{Error, Result};
use crate::source::credentials::app::InstallationTokens;
use crate::source::credentials::{Credentials, Pick, Token, TokenPool};

/// How the session talks to GitHub.
#[derive(Debug)]
pub(crate) struct GitHubConfig {
    /// The API base URL (GitHub Enterprise: `https://host/api/v3`).
    pub api_url: String,
    pub tokens: Arc<TokenPool>,
    /// A GitHub App's installation tokens, used instead of `tokens` when set.
    pub app: Option<Arc<dyn InstallationTokens>>,
    /// Read in bulk over GraphQL where a table can (`GITFLEET_GITHUB_GRAPHQL=off`: REST only).
    pub graphql: bool,
    /// Fail at once when every token is out of quota, instead of waiting for the reset.
    pub no_wait: bool,
    pub cache_dir: Option<std::path::PathBuf>,
    /// Requests in flight at once (several repositories in one query).
    pub concurrency: usize,
    /// Attempts after the first for 5xx answers and timeouts.
    pub retries: u32,
    /// Backoff before the first retry; doubles each time.
    pub backoff: Duration,
    pub timeout: Duration,
}

impl GitHubConfig {
    /// The session's API URL and token pool, with default limits.
    pub(crate) fn new(credentials: &Credentials) -> Self {
        GitHubConfig {
            api_url: credentials.api_url.clone(),
            tokens: credentials.tokens.clone(),
            app: credentials.app.clone(),
            graphql: true,
            no_wait: false,
            cache_dir: None,
            concurrency: 4,
            retries: 3,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(30),
        }
    }
}

/// One page of a listing, or a single object.
#[derive(Debug)]
pub(crate) struct Page {
    pub body: serde_json::Value,
    /// The `rel="next"` URL exactly as GitHub gave it.
    pub next: Option<String>,
}

#[derive(Debug)]
pub(crate) struct GitHub {
    http: reqwest::Client,
    api: String,
    tokens: Arc<TokenPool>,
    app: Option<Arc<dyn InstallationTokens>>,
    graphql: bool,
    cache: EtagCache,
    no_wait: bool,
    retries: u32,
    backoff: Duration,
    slots: Semaphore,
    warned_anonymous: AtomicBool,
    /// GraphQL's points left and their reset (epoch seconds), as its last answer said.
    graphql_budget: std::sync::Mutex<Option<(i64, i64)>>,
}

/// The media type a request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Media {
    Json,
    /// Stargazers with `starred_at`.
    Star,
}

impl GitHub {
    pub(crate) fn new(config: GitHubConfig) -> Result<Self> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::GitHub(format!("cannot start the GitHub client: {e}")))?;
        let api = config.api_url.trim_end_matches('/').to_string();
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(Error::GitHub(format!(
                "GITHUB_API_URL must be an http(s) URL, got '{api}'"
            )));
        }
        Ok(GitHub {
            http,
            api,
            tokens: config.tokens,
            app: config.app,
            graphql: config.graphql,
            cache: EtagCache::new(config.cache_dir),
            no_wait: config.no_wait,
            retries: config.retries,
            backoff: config.backoff,
            slots: Semaphore::new(config.concurrency.max(1)),
            warned_anonymous: AtomicBool::new(false),
            graphql_budget: std::sync::Mutex::new(None),
        })
    }

    pub(crate) fn tokens(&self) -> &TokenPool {
        &self.tokens
    }

    /// The API URL for `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// The web address of a repository, as git tables name it: `https://github.com/o/r` for
    /// github.com (and servers standing in for it), `https://host/o/r` for Enterprise.
    pub(crate) fn repo_url(&self, owner: &str, repo: &str) -> String {
        let web = match self.api.strip_suffix("/api/v3") {
            Some(host) => host.to_string(),
            None => "https://github.com".to_string(),
        };
        format!("{web}/{owner}/{repo}")
    }

    /// GET `url` with the session's best token.
    pub(crate) async fn get(&self, url: &str, media: Media) -> Result<Page> {
        self.request(url, media, None).await
    }

    /// GET `url` with one given token (the rate-limit table asks about each).
    pub(crate) async fn get_with(&self, url: &str, token: &Arc<Token>) -> Result<Page> {
        self.request(url, Media::Json, Some(token.clone())).await
    }

    async fn request(&self, url: &str, media: Media, fixed: Option<Arc<Token>>) -> Result<Page> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let what = self.describe(url);
        let mut failures = 0u32;
        let mut rejected = 0u32;
        loop {
            let token = match &fixed {
                Some(t) => Some(t.clone()),
                None => {
                    let token = self.next_token(self.owner_of(url)).await?;
                    if token.is_none() && !self.warned_anonymous.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "no GitHub token (GITHUB_TOKEN or GITFLEET_GITHUB_TOKENS): \
                             unauthenticated requests are limited to 60 an hour"
                        );
                    }
                    token
                }
            };
            let cached = self.cache.get(url);
            let mut request = self
                .http
                .get(url)
                .header(USER_AGENT, concat!("gitfleet/", env!("CARGO_PKG_VERSION")))
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header(
                    ACCEPT,
                    match media {
                        Media::Json => "application/vnd.github+json",
                        Media::Star => "application/vnd.github.star+json",
                    },
                );
            if let Some(t) = &token {
                request = request.bearer_auth(t.secret());
            }
            if let Some(c) = &cached {
                request = request.header(IF_NONE_MATCH, &c.etag);
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    let reason = if e.is_timeout() {
                        "timed out".to_string()
                    } else if e.is_connect() {
                        "cannot connect".to_string()
                    } else {
                        strip_url(e)
                    };
                    if failures < self.retries {
                        failures += 1;
                        self.back_off(failures).await;
                        continue;
                    }
                    return Err(Error::GitHub(format!("{what}: {reason}")));
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(t) = &token {
                TokenPool::observe(t, |name| header(&headers, name));
            }
            if status == StatusCode::NOT_MODIFIED {
                if let Some(c) = cached {
                    return self.page(&what, &c.body, c.link.as_deref());
                }
            }
            let body = response
                .text()
                .await
                .map_err(|e| Error::GitHub(format!("{what}: reading the answer: {}", strip_url(e))))?;
            if status.is_success() {
                let link = header(&headers, LINK.as_str());
                if let Some(etag) = header(&headers, ETAG.as_str()) {
                    self.cache.put(&Cached {
                        url: url.to_string(),
                        etag,
                        link: link.clone(),
                        body: body.clone(),
                    });
                }
                return self.page(&what, &body, link.as_deref());
            }
            let message = api_message(&body);
            match status.as_u16() {
                401 => match &token {
                    // An installation token GitHub no longer takes (revoked, or its hour up
                    // early): mint another, once.
                    Some(t) if fixed.is_none() && self.app.is_some() && rejected == 0 => {
                        rejected += 1;
                        if let Some(app) = &self.app {
                            app.reject(t);
                        }
                        continue;
                    }
                    Some(_) if self.app.is_some() => {
                        return Err(Error::GitHubAuth(format!(
                            "{what}: GitHub rejected the App's installation token (401)"
                        )))
                    }
                    Some(t) if fixed.is_none() => {
                        TokenPool::invalidate(t);
                        tracing::warn!(
                            "GitHub rejected token {} (401 Bad credentials); not using it again",
                            t.id
                        );
                        continue;
                    }
                    Some(t) => {
                        return Err(Error::GitHubAuth(format!(
                            "{what}: token {} is not valid (401)",
                            t.id
                        )))
                    }
                    None => {
                        return Err(Error::GitHubAuth(format!(
                            "{what}: GitHub requires authentication (401): set GITHUB_TOKEN"
                        )))
                    }
                },
                403 | 429 => {
                    let retry_after =
                        header(&headers, RETRY_AFTER.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
                    let remaining =
                        header(&headers, "x-ratelimit-remaining").and_then(|v| v.trim().parse::<i64>().ok());
                    if retry_after.is_some() || message.to_lowercase().contains("secondary rate limit") {
                        // Secondary limit: wait as told (a minute when not told), then retry.
                        let wait = retry_after.unwrap_or(60);
                        if wait > MAX_WAIT {
                            return Err(Error::GitHubRateLimit {
                                message: format!(
                                    "{what}: GitHub secondary rate limit; it asks to wait {wait} s, longer than its hourly window; not waiting"
                                ),
                                reset: now().saturating_add(wait as i64),
                            });
                        }
                        if self.no_wait {
                            return Err(Error::GitHubRateLimit {
                                message: format!(
                                    "{what}: GitHub secondary rate limit; it asks to wait {wait} s (--no-wait set)"
                                ),
                                reset: now().saturating_add(wait as i64),
                            });
                        }
                        tracing::warn!("GitHub secondary rate limit: waiting {wait} s as asked");
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                        continue;
                    }
                    if remaining == Some(0) || message.to_lowercase().contains("rate limit exceeded") {
                        let reset =
                            header(&headers, "x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok());
                        match &token {
                            Some(t) if fixed.is_none() => {
                                TokenPool::exhaust(t, reset);
                                continue;
                            }
                            _ => {
                                self.wait_for_reset(
                                    reset.unwrap_or(now().saturating_add(60)),
                                    "GitHub rate limit reached",
                                )
                                .await?;
                                continue;
                            }
                        }
                    }
                    return Err(Error::GitHub(format!("{what}: forbidden (403): {message}")));
                }
                404 => {
                    return Err(Error::GitHubNotFound(format!(
                        "{what}: not found (404): no such owner or repository, or the token cannot see it"
                    )))
                }
                500..=599 if failures < self.retries => {
                    failures += 1;
                    self.back_off(failures).await;
                    continue;
                }
                code => {
                    return Err(Error::GitHub(format!(
                        "{what}: GitHub answered {code}: {message}"
                    )))
                }
            }
        }
    }

    /// Whether tables may read in bulk over GraphQL.
    pub(crate) fn uses_graphql(&self) -> bool {
        self.graphql
    }

    /// The GraphQL endpoint: `/graphql` beside the REST base, `/api/graphql` for Enterprise's
    /// `/api/v3`.
    pub(crate) fn graphql_url(&self) -> String {
        match self.api.strip_suffix("/api/v3") {
            Some(host) => format!("{host}/api/graphql"),
            None => format!("{}/graphql", self.api),
        }
    }

    /// One GraphQL query about `owner`'s repositories: its `data`. The
    /// token is picked as for REST; GraphQL's own budget is read from the `rateLimit` field
    /// the query asks for, and when the next query would not fit, this waits for its reset
    /// (or fails with `--no-wait`). Errors GitHub reports in `errors` are this call's error (a
    /// repository it cannot resolve is `GitHubNotFound`); None when the server has no GraphQL
    /// endpoint (404), so the caller falls back to REST.
    pub(crate) async fn graphql(
        &self,
        owner: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<Option<serde_json::Value>> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let url = self.graphql_url();
        let what = "GitHub GraphQL".to_string();
        let mut failures = 0u32;
        let mut rejected = 0u32;
        loop {
            let budget = *self.graphql_budget.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((remaining, reset)) = budget {
                // Pace by the reported cost: a query costs at least one point.
                if remaining < 1 {
                    self.wait_for_reset(reset, "GitHub's GraphQL budget is spent")
                        .await?;
                    *self.graphql_budget.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }
            // GraphQL needs a token: without one it answers 401 whatever the query.
            let token = self.next_token(Some(owner)).await?.ok_or_else(|| {
                Error::GitHubAuth(format!(
                    "{what}: GitHub's GraphQL API needs a token (GITHUB_TOKEN)"
                ))
            })?;
            let request = self
                .http
                .post(&url)
                .header(USER_AGENT, concat!("gitfleet/", env!("CARGO_PKG_VERSION")))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::json!({ "query": query, "variables": variables }).to_string())
                .bearer_auth(token.secret());
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    if failures < self.retries {
                        failures += 1;
                        self.back_off(failures).await;
                        continue;
                    }
                    return Err(Error::GitHub(format!("{what}: {}", strip_url(e))));
                }
            };
            let status = response.status().as_u16();
            let body = response
                .text()
                .await
                .map_err(|e| Error::GitHub(format!("{what}: reading the answer: {}", strip_url(e))))?;
            match status {
                200 => {}
                401 => {
                    if rejected == 0 {
                        rejected += 1;
                        match &self.app {
                            Some(app) => app.reject(&token),
                            None => TokenPool::invalidate(&token),
                        }
                        continue;
                    }
                    return Err(Error::GitHubAuth(format!(
                        "{what}: GitHub rejected the token (401)"
                    )));
                }
                404 => return Ok(None),
                500..=599 if failures < self.retries => {
                    failures += 1;
                    self.back_off(failures).await;
                    continue;
                }
                code => {
                    return Err(Error::GitHub(format!(
                        "{what}: GitHub answered {code}: {}",
                        api_message(&body)
                    )))
                }
            }
            let answer: serde_json::Value = serde_json::from_str(&body)
                .map_err(|e| Error::GitHub(format!("{what}: the answer is not JSON: {e}")))?;
            if let Some(errors) = answer
                .get("errors")
                .and_then(|e| e.as_array())
                .filter(|e| !e.is_empty())
            {
                let messages: Vec<&str> = errors.iter().filter_map(|e| e.get("message")?.as_str()).collect();
                let message = format!("{what}: {}", messages.join("; "));
                if errors
                    .iter()
                    .any(|e| e.get("type").and_then(|t| t.as_str()) == Some("NOT_FOUND"))
                {
                    return Err(Error::GitHubNotFound(message));
                }
                return Err(Error::GitHub(message));
            }
            let data = answer.get("data").cloned().unwrap_or(serde_json::Value::Null);
            let limit = &data["rateLimit"];
            let cost = limit["cost"].as_i64().unwrap_or(1);
            if let (Some(remaining), Some(reset)) = (
                limit["remaining"].as_i64(),
                limit["resetAt"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp()),
            ) {
                *self.graphql_budget.lock().unwrap_or_else(|e| e.into_inner()) = Some((remaining, reset));
            }
            tracing::debug!(cost, "GitHub GraphQL query");
            return Ok(Some(data));
        }
    }

    /// The token the next request about `owner` goes out with: the GitHub App's installation
    /// token when an App is set, else the configured token with the most quota left (waiting
    /// for the earliest reset when every one is spent); None when no token is configured.
    async fn next_token(&self, owner: Option<&str>) -> Result<Option<Arc<Token>>> {
        if let Some(app) = &self.app {
            return Ok(Some(app.token(owner).await?));
        }
        loop {
            match self.tokens.pick(now()) {
                Pick::Token(t) => return Ok(Some(t)),
                Pick::Anonymous => return Ok(None),
                Pick::AllInvalid => {
                    return Err(Error::GitHubAuth(
                        "GitHub rejected every configured token (401 Bad credentials): check \
                         GITHUB_TOKEN / GITFLEET_GITHUB_TOKENS"
                            .into(),
                    ))
                }
                Pick::WaitUntil(reset) => {
                    self.wait_for_reset(reset, "every GitHub token is out of quota")
                        .await?
                }
            }
        }
    }

    /// The owner a request is about (`/repos/{owner}/...`, `/orgs/{owner}/...`,
    /// `/users/{owner}/...`), which picks a GitHub App's installation.
    fn owner_of<'a>(&self, url: &'a str) -> Option<&'a str> {
        let path = url.strip_prefix(self.api.as_str())?.split('?').next()?;
        let mut parts = path.trim_start_matches('/').split('/');
        match (parts.next(), parts.next()) {
            (Some("repos" | "orgs" | "users"), Some(owner)) if !owner.is_empty() => Some(owner),
            _ => None,
        }
    }

    async fn back_off(&self, failures: u32) {
        tokio::time::sleep(self.backoff * 2u32.saturating_pow(failures - 1)).await;
    }

    async fn wait_for_reset(&self, reset: i64, why: &str) -> Result<()> {
        let wait = seconds_until(reset, now());
        if wait > MAX_WAIT {
            return Err(Error::GitHubRateLimit {
                message: format!(
                    "{why}: GitHub names a reset {wait} s away, longer than its hourly window; not waiting"
                ),
                reset,
            });
        }
        if self.no_wait {
            return Err(Error::GitHubRateLimit {
                message: format!("{why} until the reset in {wait} s (--no-wait set)"),
                reset,
            });
        }
        tracing::warn!("{why}: waiting {wait} s for the reset");
        tokio::time::sleep(Duration::from_secs(wait)).await;
        Ok(())
    }

    /// A page: the body as JSON, and the next page's URL, which must be under the API base.
    fn page(&self, what: &str, body: &str, link: Option<&str>) -> Result<Page> {
        let body = serde_json::from_str(body)
            .map_err(|e| Error::GitHub(format!("{what}: the answer is not JSON: {e}")))?;
        let next = link.and_then(next_link);
        if let Some(next) = &next {
            if !under_api(&self.api, next) {
                return Err(Error::GitHub(format!(
                    "{what}: the next page's link leads outside the API ({}); not following it",
                    next.split('?').next().unwrap_or(next)
                )));
            }
        }
        Ok(Page { body, next })
    }

    /// `GET /repos/o/r/issues` for messages: the path without the API base.
    fn describe(&self, url: &str) -> String {
        let path = url.strip_prefix(&self.api).unwrap_or(url);
        format!("GitHub GET {}", path.split('?').next().unwrap_or(path))
    }
}

/// Whether `url` is under the API base `api` (same scheme, host and port, below its path):
/// the only place a page's `next` link may lead, since requests there carry the token. Both
/// are compared as the HTTP client will request them (dot segments resolved, escapes
/// normalised), so `/api/v3/../../x` is not under `/api/v3`; credentials in a link are refused.
pub(crate) fn under_api(api: &str, url: &str) -> bool {
    let (Ok(api), Ok(url)) = (
        reqwest::Url::parse(api.trim_end_matches('/')),
        reqwest::Url::parse(url),
    ) else {
        return false;
    };
    let base = api.path().trim_end_matches('/');
    let path = url.path();
    api.scheme() == url.scheme()
        && api.host() == url.host()
        && api.port_or_known_default() == url.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && (path == base || path.starts_with(&format!("{base}/")) || (base.is_empty() && path == "/"))
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim();
        (is_next && target.starts_with('<') && target.ends_with('>'))
            .then(|| target[1..target.len() - 1].to_string())
    })
}

/// The longest wait for a rate limit that is honoured: GitHub's primary limits reset within
/// the hour; a reset or `Retry-After` further away (a proxy's or a broken server's) is an
/// error, never a query that hangs for days.
const MAX_WAIT: u64 = 3_660;

/// Seconds from `now` until `reset` (epoch seconds), plus one so the reset has happened.
fn seconds_until(reset: i64, now: i64) -> u64 {
    reset.saturating_sub(now).max(0).unsigned_abs().saturating_add(1)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_string)
}

/// The `message` of a GitHub error body, else the start of the body.
fn api_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// reqwest's message without the URL it appends (the URL is already in our message).
fn strip_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// rustls needs one process-wide crypto provider; ring is the one already built for the server.
pub(super) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let link = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
        let api = "https://ghe.corp/api/v3";
        assert!(under_api(
            api,
            "https://ghe.corp/api/v3/repositories/1/issues?page=2"
        ));
        assert!(under_api(
            "https://api.github.com",
            "https://API.github.com/x?page=2"
        ));
        assert!(!under_api(api, "https://ghe.corp/api/v3evil/x"));
        assert!(!under_api(api, "https://ghe.corp.evil/api/v3/x"));
        assert!(!under_api(api, "https://evil/api/v3/x"));
        assert!(!under_api("https://api.github.com", "http://api.github.com/x"));
    }

    #[test]
    fn graphql_lives_beside_the_rest_api() {
        let client = |api: &str| {
            let credentials = crate::source::credentials::Credentials::resolve_with(
                crate::source::credentials::CredentialSettings {
                    api_url: Some(api),
                    ..Default::default()
                },
                |_| None,
            );
            GitHub::new(GitHubConfig::new(&credentials)).unwrap()
        };
        assert_eq!(
            client("https://api.github.com").graphql_url(),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            client("https://ghe.corp/api/v3/").graphql_url(),
            "https://ghe.corp/api/graphql"
        );
        assert_eq!(
            client("http://127.0.0.1:9").graphql_url(),
            "http://127.0.0.1:9/graphql"
        );
    }

    #[test]
    fn links_that_leave_the_api_are_refused() {
        let api = "http://127.0.0.1:8080/api/v3";
        assert!(under_api(api, "http://127.0.0.1:8080/api/v3/x?page=2"));
        assert!(under_api(api, "http://127.0.0.1:8080/api/v3?page=2"));
        for url in [
            "http://127.0.0.1:8080/api/v3/../../x",
            "http://127.0.0.1:8080/api/v3/%2e%2e/x",
            "http://user:pw@127.0.0.1:8080/api/v3/x",
            "http://127.0.0.1:8081/api/v3/x",
            "http://127.0.0.1:8080@evil/api/v3/x",
            "not a url",
        ] {
            assert!(!under_api(api, url), "{url}");
        }
        assert_eq!(seconds_until(i64::MIN, i64::MAX), 1);
        assert_eq!(seconds_until(i64::MAX, i64::MIN), i64::MAX as u64 + 1);
        assert_eq!(seconds_until(100, 40), 61);
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzz::{fuzz, mutated};

    const LINKS: &[&str] = &[
        r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#,
        r#"<https://x/?page=1>; rel="prev""#,
        r#"<http://127.0.0.1:8080/api/v3/x?page=3>; rel = "next""#,
        "garbage",
    ];
    const SUFFIXES: &[&str] = &[
        "/x?page=2",
        "?page=2",
        "/../x",
        "/%2e%2e/x",
        "/..%2f..%2fx",
        "@evil/x",
        ".evil/x",
        ":8081/x",
        "/x#frag",
        "\\..\\x",
        "/./x",
        "//x",
        "/\u{e9}",
        "/x y",
    ];

    /// Link headers built from parts name the URL of their first `rel="next"` part; mutated
    /// headers, URLs, rate-limit values and waits never panic; a link judged under the API is
    /// requested from the API's host, below its path; no wait exceeds the hour.
    #[test]
    fn fuzz_github_headers() {
        let part = (
            "[a-z0-9/?=&.:-]{1,20}",
            prop::sample::select(vec!["next", "last", "prev", "first", "next last"]),
            prop::sample::select(vec![
                "; rel=\"{}\"",
                ";rel=\"{}\"",
                "; rel = \"{}\"",
                "; foo=1; rel=\"{}\"",
            ]),
        );
        let header = prop::collection::vec(part, 0..5);
        let api = prop::sample::select(vec![
            "https://api.github.com",
            "http://127.0.0.1:8080/api/v3",
            "https://ghe.corp/api/v3/",
        ]);
        let hostile = (api.clone(), mutated(SUFFIXES, "/.%?#@:\\"))
            .prop_map(|(a, s)| (a.to_string(), format!("{a}{s}")));
        let values = prop::collection::vec(
            prop_oneof![
                any::<i64>().prop_map(|v| v.to_string()),
                any::<u64>().prop_map(|v| v.to_string()),
                Just("1e300".to_string()),
                Just("-1e300".to_string()),
                Just("NaN".to_string()),
                Just("inf".to_string()),
                ".{0,8}",
            ],
            5,
        );
        let input = (header, hostile, mutated(LINKS, "<>;,=\" "), values, any::<i64>());
        fuzz(
            "fuzz_github_headers",
            input,
            |(parts, (api, url), raw, values, now)| {
                let text: Vec<String> = parts
                    .iter()
                    .map(|(target, rel, form)| format!("<https://h/{target}>{}", form.replace("{}", rel)))
                    .collect();
                let want = parts
                    .iter()
                    .find(|(_, rel, form)| *rel == "next" && !form.contains(" = "))
                    .map(|(target, _, _)| format!("https://h/{target}"));
                let got = next_link(&text.join(", "));
                if !parts
                    .iter()
                    .any(|(_, rel, form)| *rel == "next" && form.contains(" = "))
                {
                    prop_assert_eq!(got, want);
                }
                let _ = next_link(&raw);
                if under_api(&api, &url) {
                    let (a, u) = (
                        reqwest::Url::parse(api.trim_end_matches('/')).unwrap(),
                        reqwest::Url::parse(&url).unwrap(),
                    );
                    prop_assert_eq!(a.host_str(), u.host_str());
                    prop_assert_eq!(a.port_or_known_default(), u.port_or_known_default());
                    prop_assert!(
                        u.path().starts_with(a.path().trim_end_matches('/')),
                        "{} leaves {}",
                        url,
                        api
                    );
                    prop_assert!(!u.path().contains("/../"));
                }
                let pool = TokenPool::new(["tok_ffffffffffff6666".to_string()]);
                let token = pool.tokens()[0].clone();
                let names = [
                    "x-ratelimit-limit",
                    "x-ratelimit-remaining",
                    "x-ratelimit-used",
                    "x-ratelimit-reset",
                    "retry-after",
                ];
                TokenPool::observe(&token, |name| {
                    names.iter().position(|n| *n == name).map(|i| values[i].clone())
                });
                let _ = token.available(now);
                if let Pick::WaitUntil(reset) = pool.pick(now) {
                    let _ = seconds_until(reset, now);
                }
                prop_assert!(token.quota().remaining.is_none_or(|r| r >= 0));
                Ok(())
            },
        );
    }
}
