//! A GitHub App's installation tokens over the API (the settings and the interface are
//! `source::credentials::app`'s): a JWT signed with the App's key (RS256, ten minutes at most
//! as GitHub allows) asks which installation serves an owner (`/orgs/{owner}/installation`, else
//! `/users/{owner}/installation`) and mints its token (`POST
//! /app/installations/{id}/access_tokens`). Tokens are kept per installation and minted again
//! five minutes before they expire, or when GitHub rejects one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::header::{ACCEPT, USER_AGENT};

use crate::error::{Error, Result};
use crate::source::credentials::app::{AppSettings, InstallationTokens};
use crate::source::credentials::{Token, TokenPool};

/// A token this close to its expiry is minted again.
const RENEW_BEFORE: i64 = 300;

pub(crate) struct GitHubApp {
    app_id: String,
    /// The key, or why it cannot be used (said at the first request, not when the session
    /// starts: most sessions never touch GitHub).
    key: std::result::Result<EncodingKey, String>,
    installation: Option<u64>,
    api: String,
    http: std::result::Result<reqwest::Client, String>,
    state: tokio::sync::Mutex<State>,
    /// Every token minted, for masking (a plain mutex: `scrub` is not async).
    minted: Mutex<Vec<Arc<Token>>>,
}

#[derive(Default)]
struct State {
    /// Owner (lower case) -> installation id.
    installations: HashMap<String, u64>,
    /// Installation id -> its token and when it expires (epoch seconds).
    tokens: HashMap<u64, (Arc<Token>, i64)>,
    last: Option<u64>,
}

impl std::fmt::Debug for GitHubApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubApp")
            .field("app_id", &self.app_id)
            .field("installation", &self.installation)
            .finish_non_exhaustive()
    }
}

impl GitHubApp {
    /// The App of `settings`, talking to the API at `api_url`.
    pub(crate) fn new(settings: &AppSettings, api_url: &str) -> Self {
        let key = std::fs::read(&settings.key_path)
            .map_err(|e| {
                format!(
                    "cannot read the GitHub App key {} (GITFLEET_GITHUB_APP_KEY): {e}",
                    settings.key_path.display()
                )
            })
            .and_then(|pem| {
                EncodingKey::from_rsa_pem(&pem).map_err(|_| {
                    format!(
                        "the GitHub App key {} (GITFLEET_GITHUB_APP_KEY) is not an RSA private key in PEM form",
                        settings.key_path.display()
                    )
                })
            });
        super::client::install_crypto_provider();
        // No pooled connections: clone threads use this client from runtimes of their own,
        // and a connection kept from a runtime that has ended cannot be used by another.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot start the GitHub client: {e}"));
        GitHubApp {
            app_id: settings.app_id.clone(),
            key,
            installation: settings.installation,
            api: api_url.trim_end_matches('/').to_string(),
            http,
            state: tokio::sync::Mutex::new(State::default()),
            minted: Mutex::new(Vec::new()),
        }
    }

    /// A JWT for the App: issued a minute in the past (clock drift, as GitHub advises), valid
    /// for nine minutes more.
    fn jwt(&self) -> Result<String> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iat: i64,
            exp: i64,
            iss: &'a str,
        }
        let key = self.key.as_ref().map_err(|e| Error::GitHubAuth(e.clone()))?;
        let now = now();
        let claims = Claims {
            iat: now - 60,
            exp: now + 540,
            iss: &self.app_id,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, key)
            .map_err(|e| Error::GitHubAuth(format!("cannot sign the GitHub App's token: {e}")))
    }

    /// A request to the API as the App itself (JWT); its status and JSON body.
    async fn call(&self, method: reqwest::Method, path: &str) -> Result<(u16, serde_json::Value)> {
        let http = self.http.as_ref().map_err(|e| Error::GitHub(e.clone()))?;
        let url = format!("{}{path}", self.api);
        let response = http
            .request(method, &url)
            .bearer_auth(self.jwt()?)
            .header(USER_AGENT, concat!("gitfleet/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await
            .map_err(|e| Error::GitHub(format!("GitHub App: {path}: {}", e.without_url())))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
        if status == 401 {
            let message = json["message"].as_str().unwrap_or("").to_string();
            return Err(Error::GitHubAuth(format!(
                "GitHub rejected the App's JWT (401 {message}): check GITFLEET_GITHUB_APP_ID and GITFLEET_GITHUB_APP_KEY"
            )));
        }
        Ok((status, json))
    }

    /// The installation serving `owner`'s repositories.
    async fn installation_of(&self, owner: &str) -> Result<u64> {
        for kind in ["orgs", "users"] {
            let (status, body) = self
                .call(reqwest::Method::GET, &format!("/{kind}/{owner}/installation"))
                .await?;
            match status {
                200 => {
                    return body["id"].as_u64().ok_or_else(|| {
                        Error::GitHub(format!("GitHub App: /{kind}/{owner}/installation has no id"))
                    })
                }
                404 => continue,
                code => {
                    return Err(Error::GitHub(format!(
                        "GitHub App: /{kind}/{owner}/installation answered {code}"
                    )))
                }
            }
        }
        Err(Error::GitHubAuth(format!(
            "the GitHub App {} is not installed on {owner} (or set GITFLEET_GITHUB_APP_INSTALLATION_ID)",
            self.app_id
        )))
    }

    /// A fresh token for `installation`, and when it expires.
    async fn mint(&self, installation: u64) -> Result<(Arc<Token>, i64)> {
        let path = format!("/app/installations/{installation}/access_tokens");
        let (status, body) = self.call(reqwest::Method::POST, &path).await?;
        let (Some(secret), Some(expires)) = (body["token"].as_str(), body["expires_at"].as_str()) else {
            return Err(Error::GitHubAuth(format!(
                "GitHub App: minting a token for installation {installation} answered {status}: {}",
                body["message"].as_str().unwrap_or("no token")
            )));
        };
        let expires_at = chrono::DateTime::parse_from_rfc3339(expires)
            .map(|t| t.timestamp())
            .unwrap_or_else(|_| now() + 3600);
        let token = TokenPool::new([secret.to_string()]).tokens().remove(0);
        self.minted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(token.clone());
        tracing::debug!(installation, expires_at, "GitHub App token minted");
        Ok((token, expires_at))
    }
}

#[async_trait::async_trait]
impl InstallationTokens for GitHubApp {
    async fn token(&self, owner: Option<&str>) -> Result<Arc<Token>> {
        // One lock for the whole lookup: concurrent first requests mint one token, not several.
        let mut state = self.state.lock().await;
        let installation = match (self.installation, owner) {
            (Some(id), _) => id,
            (None, Some(owner)) => {
                let key = owner.to_ascii_lowercase();
                match state.installations.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = self.installation_of(owner).await?;
                        state.installations.insert(key, id);
                        id
                    }
                }
            }
            (None, None) => state.last.ok_or_else(|| {
                Error::GitHubAuth(
                    "a GitHub App needs an owner to find its installation: name one in the query, or set GITFLEET_GITHUB_APP_INSTALLATION_ID"
                        .into(),
                )
            })?,
        };
        state.last = Some(installation);
        if let Some((token, expires_at)) = state.tokens.get(&installation) {
            if *expires_at - now() > RENEW_BEFORE && !token.quota().invalid {
                return Ok(token.clone());
            }
        }
        let (token, expires_at) = self.mint(installation).await?;
        state.tokens.insert(installation, (token.clone(), expires_at));
        Ok(token)
    }

    fn token_blocking(&self, owner: &str) -> Result<Arc<Token>> {
        // Clone threads are plain threads; a thread of its own with a small runtime keeps this
        // right even if one day it is called from inside the engine's runtime.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(Error::Io)?;
                    runtime.block_on(self.token(Some(owner)))
                })
                .join()
                .unwrap_or_else(|_| Err(Error::GitHub("GitHub App: minting a token failed".into())))
        })
    }

    fn reject(&self, token: &Token) {
        TokenPool::invalidate(token);
    }

    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for token in self.minted.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            text = text.replace(token.secret(), "***");
        }
        text
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
