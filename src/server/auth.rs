//! Who may connect to `gitfleet serve`: SCRAM-SHA-256 (pgwire's implementation), so a password
//! never crosses the wire, against either the one `GITFLEET_PASSWORD` (any user name) or a
//! users file of `user:SCRAM-SHA-256$4096:<salt>$<salted password>` lines written by
//! `gitfleet serve --hash-password`.
//!
//! The file keeps pgwire's verifier, the salted password (PBKDF2-SHA-256, 4096 rounds) and not
//! the password; for SCRAM it is still a credential for this server, so the file must be
//! readable by the server's user only (a wider mode is warned about). An unknown user gets a
//! made-up verifier and fails exactly as a wrong password does.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use datafusion_postgres::pgwire;
use pgwire::api::auth::sasl::scram::gen_salted_password;
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::PgWireResult;

/// PBKDF2 rounds: pgwire's SCRAM announces 4096 (RFC 7677's minimum) to every client.
const ITERATIONS: usize = 4096;
const PREFIX: &str = "SCRAM-SHA-256$";

/// One user's SCRAM verifier.
#[derive(Clone)]
pub(super) struct Verifier {
    salt: Vec<u8>,
    salted: Vec<u8>,
}

impl Verifier {
    fn new(password: &str) -> Self {
        let salt = random_bytes();
        let salted = gen_salted_password(password, &salt, ITERATIONS);
        Verifier { salt, salted }
    }

    fn encode(&self) -> String {
        format!(
            "{PREFIX}{ITERATIONS}:{}${}",
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.salted)
        )
    }

    fn decode(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix(PREFIX)
            .ok_or("not a SCRAM-SHA-256 verifier (make one with gitfleet serve --hash-password)")?;
        let (iterations, rest) = rest.split_once(':').ok_or("no iteration count")?;
        if iterations != ITERATIONS.to_string() {
            return Err(format!("{iterations} iterations; this server uses {ITERATIONS}"));
        }
        let (salt, salted) = rest.split_once('$').ok_or("no salted password")?;
        let salt = STANDARD.decode(salt).map_err(|_| "bad salt")?;
        let salted = STANDARD.decode(salted).map_err(|_| "bad salted password")?;
        if salt.is_empty() || salted.len() != 32 {
            return Err("bad verifier".into());
        }
        Ok(Verifier { salt, salted })
    }
}

/// This process's secret for the salts of unknown users.
static UNKNOWN_USER_KEY: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(random_bytes);

fn random_bytes() -> Vec<u8> {
    let mut salt = vec![0u8; 16];
    getrandom_pin::getrandom(&mut salt).expect("the OS random source");
    salt
}

/// What `gitfleet serve --hash-password` prints for `password`: a users-file verifier.
pub(super) fn hash_password(password: &str) -> String {
    Verifier::new(password).encode()
}

/// The server's accounts.
#[derive(Clone)]
pub(super) enum Accounts {
    /// One password for any user name (`GITFLEET_PASSWORD`, `--password-file`).
    Shared(Verifier),
    /// A users file: each user's verifier and `allow-repo=` patterns.
    Users(HashMap<String, (Verifier, Vec<String>)>),
}

impl Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accounts::Shared(_) => f.write_str("Accounts::Shared(***)"),
            Accounts::Users(users) => write!(f, "Accounts::Users({} users, ***)", users.len()),
        }
    }
}

impl Accounts {
    pub(super) fn shared(password: &str) -> Self {
        Accounts::Shared(Verifier::new(password))
    }

    /// Reads a users file: `user:verifier [allow-repo=PATTERN ...]` per line; blank lines and
    /// `#` comments skipped. A user with patterns reads only the repositories they match
    /// (within the server's own `-r` and `--allow-repo` rules).
    pub(super) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
        warn_if_readable_by_others(path);
        let mut users = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{}:{}", path.display(), n + 1);
            let mut fields = line.split_whitespace();
            let account = fields.next().unwrap_or_default();
            let (user, verifier) = account
                .split_once(':')
                .ok_or_else(|| format!("{at}: expected user:SCRAM-SHA-256$..."))?;
            if user.is_empty() || user.chars().any(|c| c.is_control()) {
                return Err(format!("{at}: bad user name"));
            }
            let verifier = Verifier::decode(verifier).map_err(|why| format!("{at}: {why}"))?;
            let mut patterns = Vec::new();
            for field in fields {
                match field.strip_prefix("allow-repo=") {
                    Some(pattern) if !pattern.is_empty() => patterns.push(pattern.to_string()),
                    _ => return Err(format!("{at}: expected allow-repo=PATTERN, found '{field}'")),
                }
            }
            if users.insert(user.to_string(), (verifier, patterns)).is_some() {
                return Err(format!("{at}: user '{user}' listed twice"));
            }
        }
        if users.is_empty() {
            return Err(format!("users file {} lists no user", path.display()));
        }
        Ok(Accounts::Users(users))
    }

    /// What a logged-in `user` may read beyond the server's rules; None when accounts carry no
    /// grants (one shared password).
    pub(super) fn grant(&self, user: &str) -> Option<crate::engine::UserGrant> {
        use crate::engine::UserGrant;
        match self {
            Accounts::Shared(_) => None,
            Accounts::Users(users) => Some(match users.get(user) {
                Some((_, patterns)) => UserGrant::for_patterns(patterns),
                None => UserGrant::Pending,
            }),
        }
    }

    fn verifier(&self, user: &str) -> Verifier {
        match self {
            Accounts::Shared(v) => v.clone(),
            // An unknown user fails as a wrong password does, and gets the same salt on every
            // attempt as a real user does (derived from the name with this run's secret), so
            // the exchange does not tell which users exist.
            Accounts::Users(users) => users
                .get(user)
                .map(|(v, _)| v.clone())
                .unwrap_or_else(|| Verifier {
                    salt: gen_salted_password(user, &UNKNOWN_USER_KEY, 1)[..16].to_vec(),
                    salted: random_bytes().repeat(2),
                }),
        }
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            super::log_line!(
                "gitfleet serve: warning: {} is readable by other users; its verifiers log in to \
                 this server (chmod 600 it)",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[async_trait]
impl AuthSource for Accounts {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let v = self.verifier(login.user().unwrap_or_default());
        Ok(Password::new(Some(v.salt), v.salted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_round_trip_and_bad_lines_are_named() {
        let line = hash_password("s3cret");
        assert!(line.starts_with("SCRAM-SHA-256$4096:"), "{line}");
        assert!(!line.contains("s3cret"));
        let v = Verifier::decode(&line).unwrap();
        assert_eq!(v.salted, gen_salted_password("s3cret", &v.salt, ITERATIONS));
        // Salted afresh each time.
        assert_ne!(hash_password("s3cret"), line);

        let dir = std::env::temp_dir().join(format!("gitfleet-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("users");
        std::fs::write(
            &file,
            format!("# team\nalice:{line}\n\nbob:{}\n", hash_password("b")),
        )
        .unwrap();
        let Accounts::Users(users) = Accounts::load(&file).unwrap() else {
            panic!("a users file");
        };
        assert_eq!(users.len(), 2);
        // An unknown user's salt is the same on every attempt, as a known user's is.
        let accounts = Accounts::load(&file).unwrap();
        assert_eq!(
            accounts.verifier("mallory").salt,
            accounts.verifier("mallory").salt
        );
        assert_ne!(accounts.verifier("mallory").salt, accounts.verifier("eve").salt);
        std::fs::write(&file, "alice:plaintext\n").unwrap();
        let err = Accounts::load(&file).unwrap_err();
        assert!(
            err.ends_with(
                "users:1: not a SCRAM-SHA-256 verifier (make one with gitfleet serve --hash-password)"
            ),
            "{err}"
        );
        std::fs::write(&file, format!("alice:{line}\nalice:{line}\n")).unwrap();
        assert!(Accounts::load(&file).unwrap_err().contains("listed twice"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
