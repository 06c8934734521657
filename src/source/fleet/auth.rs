//! HTTPS credentials for clones and fetches: the session's token (`source::credentials`)
//! handed to git through a credential helper at transfer time, so it never lands in
//! `.git/config`, the cache path, a URL, a log or an error message. The helper answers only for
//! the host being cloned: a server that redirects elsewhere does not get the token sent on.

use std::process::Command;
use std::sync::Arc;

use crate::error::Result;
use crate::source::credentials::{url_host, Credentials};

/// The session's credentials as git uses them (default: none).
#[derive(Debug, Clone, Default)]
pub(crate) struct GitAuth {
    credentials: Option<Arc<Credentials>>,
}

/// The helper git runs: for a `get` about the host it was set up for (`GITFLEET_GIT_HOST`), it
/// answers with the token from its own environment, so the token is on no command line and in
/// no file. Questions about any other host (a redirect) get no answer.
const HELPER: &str = "credential.helper=!f() { test \"$1\" = get || exit 0; h=; \
     while IFS= read -r l; do case \"$l\" in host=*) h=\"${l#host=}\";; esac; done; \
     test \"$h\" = \"$GITFLEET_GIT_HOST\" || exit 0; \
     printf 'username=%s\\npassword=%s\\n' \"${GITFLEET_GIT_USER:-x-access-token}\" \"$GITFLEET_GIT_TOKEN\"; }; f";

impl GitAuth {
    pub(crate) fn new(credentials: Arc<Credentials>) -> Self {
        GitAuth {
            credentials: Some(credentials),
        }
    }

    /// Lets the git command about to fetch `url` authenticate with the token (if `url`'s host
    /// may receive it). The user's own credential helpers are set aside so a stale stored
    /// password cannot win.
    /// An error when the session's GitHub App cannot mint a token for the URL's owner.
    pub(crate) fn apply(&self, cmd: &mut Command, url: &str) -> Result<()> {
        let Some(credentials) = &self.credentials else {
            return Ok(());
        };
        let Some(token) = credentials.clone_token(url)? else {
            return Ok(());
        };
        let Some(host) = url_host(url) else {
            return Ok(());
        };
        cmd.args(["-c", "credential.helper=", "-c", HELPER])
            .env("GITFLEET_GIT_TOKEN", token.expose())
            .env("GITFLEET_GIT_HOST", host);
        if let Some(user) = &credentials.username {
            cmd.env("GITFLEET_GIT_USER", user);
        }
        Ok(())
    }

    /// `text` with the tokens masked, for anything shown to the user.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match &self.credentials {
            Some(c) => c.scrub(text),
            None => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::credentials::{CredentialSettings, Credentials};

    #[test]
    fn the_token_never_prints_and_is_scoped_to_the_host() {
        let tokens = ["ghp_secret".to_string()];
        let credentials = Credentials::resolve_with(
            CredentialSettings {
                tokens: &tokens,
                ..Default::default()
            },
            |_| None,
        );
        let a = GitAuth::new(Arc::new(credentials));
        assert!(!format!("{a:?}").contains("ghp_secret"));
        assert_eq!(a.scrub("x ghp_secret y"), "x *** y");
        let mut cmd = Command::new("git");
        a.apply(&mut cmd, "https://GitHub.com:443/o/r").unwrap();
        let args: Vec<_> = cmd.get_args().map(|s| s.to_string_lossy().into_owned()).collect();
        assert!(args.iter().all(|s| !s.contains("ghp_secret")), "{args:?}");
        let env: Vec<_> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(
            env.contains(&("GITFLEET_GIT_HOST".into(), Some("GitHub.com:443".into()))),
            "{env:?}"
        );
        let mut other = Command::new("git");
        a.apply(&mut other, "https://evil.example/o/r").unwrap();
        assert_eq!(other.get_args().count(), 0);
    }
}
