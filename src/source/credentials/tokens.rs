//! The session's GitHub tokens and what each has left: API requests go out with the token
//! that has the most quota; every response's `X-RateLimit-*` headers update it; a token GitHub
//! rejects (401) is retired. Clones authenticate with the first valid token.

use std::sync::{Arc, Mutex, RwLock};

use super::Secret;

/// The user's GitHub tokens, trimmed, empties dropped: `explicit` (Python/engine
/// configuration), else `GITFLEET_GITHUB_TOKENS` (comma-separated), else `GITHUB_TOKEN`, with
/// the environment read through `env`.
pub(super) fn configured_from(explicit: &[String], env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let clean = |list: Vec<String>| -> Vec<String> {
        list.iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let explicit = clean(explicit.to_vec());
    if !explicit.is_empty() {
        return explicit;
    }
    let listed =
        clean(env("GITFLEET_GITHUB_TOKENS").map_or(vec![], |l| l.split(',').map(String::from).collect()));
    if !listed.is_empty() {
        return listed;
    }
    clean(env("GITHUB_TOKEN").into_iter().collect())
}

/// One configured token. `id` is what output, logs and errors may show.
#[derive(Debug)]
pub struct Token {
    secret: Secret,
    pub id: String,
    quota: Mutex<Quota>,
}

/// What GitHub last said about a token's core quota.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quota {
    pub limit: Option<i64>,
    pub remaining: Option<i64>,
    pub used: Option<i64>,
    /// Epoch seconds when `remaining` is refilled.
    pub reset: Option<i64>,
    pub invalid: bool,
}

impl Token {
    pub fn secret(&self) -> &str {
        self.secret.expose()
    }

    pub fn quota(&self) -> Quota {
        self.quota.lock().unwrap().clone()
    }

    /// Requests this token can still make at `now` (unknown: assume plenty).
    pub fn available(&self, now: i64) -> i64 {
        let q = self.quota.lock().unwrap();
        match (q.remaining, q.reset) {
            (_, Some(reset)) if reset <= now => q.limit.unwrap_or(i64::MAX),
            (Some(remaining), _) => remaining,
            (None, _) => i64::MAX,
        }
    }
}

/// Which credentials the next request uses.
#[derive(Debug, Clone)]
pub enum Pick {
    Token(Arc<Token>),
    /// No token is configured: unauthenticated (60 requests an hour).
    Anonymous,
    /// Every token is spent until this epoch second.
    WaitUntil(i64),
    /// Every configured token was rejected by GitHub.
    AllInvalid,
}

/// The tokens requests rotate over. Shared (`Arc`) between sessions and the Python
/// `TokenManager`, so what one learns about a token's quota the others see; tokens can be
/// added while it is in use.
#[derive(Debug, Default)]
pub struct TokenPool {
    tokens: RwLock<Vec<Arc<Token>>>,
}

impl TokenPool {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let pool = TokenPool::default();
        for secret in secrets {
            pool.add(&secret);
        }
        pool
    }

    /// Adds a token (trimmed; empty or already present: ignored) and returns it.
    pub fn add(&self, secret: &str) -> Option<Arc<Token>> {
        let secret = secret.trim();
        if secret.is_empty() {
            return None;
        }
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = tokens.iter().find(|t| t.secret() == secret) {
            return Some(known.clone());
        }
        let token = Arc::new(Token {
            id: mask(tokens.len(), secret),
            secret: Secret::new(secret.to_string()),
            quota: Mutex::new(Quota::default()),
        });
        tokens.push(token.clone());
        Some(token)
    }

    /// The token whose secret is `secret`, if configured.
    pub fn find(&self, secret: &str) -> Option<Arc<Token>> {
        self.tokens().into_iter().find(|t| t.secret() == secret.trim())
    }

    pub fn tokens(&self) -> Vec<Arc<Token>> {
        self.tokens.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// The valid token with the most quota left at `now` (epoch seconds).
    pub fn pick(&self, now: i64) -> Pick {
        let tokens = self.tokens();
        if tokens.is_empty() {
            return Pick::Anonymous;
        }
        let valid: Vec<&Arc<Token>> = tokens.iter().filter(|t| !t.quota().invalid).collect();
        // Ties go to the first configured token (min_by_key keeps the first of equals).
        let Some(best) = valid.iter().min_by_key(|t| std::cmp::Reverse(t.available(now))) else {
            return Pick::AllInvalid;
        };
        if best.available(now) > 0 {
            return Pick::Token((*best).clone());
        }
        let reset = valid
            .iter()
            .filter_map(|t| t.quota().reset)
            .min()
            .unwrap_or(now + 60);
        Pick::WaitUntil(reset)
    }

    /// Learns a token's quota from a response's headers; odd or missing values are ignored.
    pub fn observe(token: &Token, header: impl Fn(&str) -> Option<String>) {
        let number = |name: &str| {
            header(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(|v| v as i64)
        };
        let mut q = token.quota.lock().unwrap();
        if let Some(v) = number("x-ratelimit-limit") {
            q.limit = Some(v);
        }
        if let Some(v) = number("x-ratelimit-remaining") {
            q.remaining = Some(v.max(0));
        }
        if let Some(v) = number("x-ratelimit-used") {
            q.used = Some(v);
        }
        if let Some(v) = number("x-ratelimit-reset") {
            q.reset = Some(v);
        }
    }

    /// The token hit its primary limit: nothing left until `reset`.
    pub fn exhaust(token: &Token, reset: Option<i64>) {
        let mut q = token.quota.lock().unwrap();
        q.remaining = Some(0);
        if reset.is_some() {
            q.reset = reset;
        }
    }

    /// GitHub rejected the token (401): never use it again this session.
    pub fn invalidate(token: &Token) {
        token.quota.lock().unwrap().invalid = true;
    }
}

/// `#2…wxyz`: which configured token, and its last four characters (as GitHub's settings page
/// shows them), so a user can tell tokens apart without the secret being shown.
fn mask(index: usize, secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = if chars.len() >= 12 {
        chars[chars.len() - 4..].iter().collect()
    } else {
        String::new()
    };
    format!("#{}…{tail}", index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn picks_the_token_with_most_quota_and_waits_when_all_are_spent() {
        let pool = TokenPool::new([
            "tok_aaaaaaaaaaaa1111".to_string(),
            "tok_bbbbbbbbbbbb2222".to_string(),
        ]);
        let (a, b) = (pool.tokens()[0].clone(), pool.tokens()[1].clone());
        assert_eq!(a.id, "#1…1111");
        TokenPool::observe(
            &a,
            headers(&[("x-ratelimit-remaining", "10"), ("x-ratelimit-reset", "1000")]),
        );
        TokenPool::observe(
            &b,
            headers(&[("x-ratelimit-remaining", "50"), ("x-ratelimit-reset", "2000")]),
        );
        assert!(matches!(pool.pick(0), Pick::Token(t) if t.id == b.id));
        TokenPool::exhaust(&b, Some(2000));
        assert!(matches!(pool.pick(0), Pick::Token(t) if t.id == a.id));
        TokenPool::exhaust(&a, None);
        assert!(matches!(pool.pick(0), Pick::WaitUntil(1000)));
        // After a reset the token is usable again.
        assert!(matches!(pool.pick(1500), Pick::Token(t) if t.id == a.id));
        TokenPool::invalidate(&a);
        TokenPool::invalidate(&b);
        assert!(matches!(pool.pick(0), Pick::AllInvalid));
    }

    #[test]
    fn odd_header_values_are_ignored() {
        let pool = TokenPool::new(["tok_cccccccccccc3333".to_string()]);
        let t = pool.tokens()[0].clone();
        TokenPool::observe(
            &t,
            headers(&[("x-ratelimit-remaining", "lots"), ("x-ratelimit-limit", " 5000 ")]),
        );
        assert_eq!(t.quota().remaining, None);
        assert_eq!(t.quota().limit, Some(5000));
        assert!(!format!("{t:?}").contains("cccccccc"));
    }

    #[test]
    fn tokens_added_later_join_the_rotation_once() {
        let pool = TokenPool::new(Vec::<String>::new());
        assert!(matches!(pool.pick(0), Pick::Anonymous));
        let a = pool.add(" tok_dddddddddddd4444 ").unwrap();
        assert!(pool.add("").is_none());
        let again = pool.add("tok_dddddddddddd4444").unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        pool.add("tok_eeeeeeeeeeee5555");
        assert_eq!(pool.tokens().len(), 2);
        assert_eq!(pool.tokens()[1].id, "#2…5555");
        TokenPool::exhaust(&a, Some(100));
        assert!(matches!(pool.pick(0), Pick::Token(t) if t.id == "#2…5555"));
        assert!(pool.find("tok_eeeeeeeeeeee5555").is_some() && pool.find("nope").is_none());
    }
}
