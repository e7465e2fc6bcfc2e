//! A token source: "give me a valid access token", with caching, renewal before expiry, refresh-token
//! rotation, and single-flight renewal across threads (and, with a file cache, across processes).

use crate::cancel;
use crate::client::TokenClient;
use crate::error::{Error, Result, Status};
use crate::file_cache::{sha256_hex, FileCache};
use crate::form;
use crate::secret::Secret;
use crate::token::Token;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// How often a thread waiting for another thread's renewal checks whether its own wait was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Default margin before expiry at which a token is renewed.
pub const DEFAULT_SKEW: Duration = Duration::from_secs(60);

/// Settings of a [`TokenSource`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSourceOptions {
    skew: Duration,
    keep_password: bool,
    file_cache_dir: Option<PathBuf>,
}

impl Default for TokenSourceOptions {
    fn default() -> Self {
        TokenSourceOptions { skew: DEFAULT_SKEW, keep_password: false, file_cache_dir: None }
    }
}

impl TokenSourceOptions {
    /// A token is renewed once it is valid for less than this (default 60 s), or for less than half
    /// its lifetime if that is shorter, so that short-lived tokens are still used for a while.
    pub fn skew(&self) -> Duration {
        self.skew
    }
    pub fn set_skew(&mut self, skew: Duration) -> &mut Self {
        self.skew = skew;
        self
    }

    /// For the password grant: keep the password (zeroed when the source is dropped) to sign in again
    /// when the refresh token no longer works. Off by default: RFC 6749 section 4.3.1 says to discard
    /// it once the first token is obtained, and the source then renews with the refresh token only.
    pub fn keep_password(&self) -> bool {
        self.keep_password
    }
    pub fn set_keep_password(&mut self, keep: bool) -> &mut Self {
        self.keep_password = keep;
        self
    }

    /// Share tokens with other processes through files in this directory (created with mode 0700 if
    /// missing; must belong to this user and not be writable by others). See the file cache's docs for
    /// what is and is not protected.
    pub fn file_cache_dir(&self) -> Option<&PathBuf> {
        self.file_cache_dir.as_ref()
    }
    pub fn set_file_cache_dir(&mut self, dir: Option<PathBuf>) -> &mut Self {
        self.file_cache_dir = dir;
        self
    }
}

/// The grant a source renews with when it has no (working) refresh token.
enum Grant {
    /// The password is `None` once discarded (the default after the first token).
    Password { username: String, password: Option<Secret> },
    ClientCredentials,
    /// The source was made from a refresh token: nothing else to fall back on.
    RefreshOnly,
}

struct State {
    token: Option<Arc<Token>>,
    refresh_token: Option<Secret>,
    renewing: bool,
    /// Counts finished renewals, so waiters can tell that the one they waited for is over.
    renewals: u64,
    /// The failure of the last renewal, for the threads that waited on it.
    failure: Option<Error>,
}

/// Gives out a valid access token, renewing it when needed. Create it once and share it: it is `Send`
/// and `Sync`, and any number of threads asking at once while a renewal is due cause one request.
pub struct TokenSource {
    client: Arc<TokenClient>,
    grant: Grant,
    scope: Option<String>,
    skew: Duration,
    cache: Option<FileCache>,
    state: Mutex<State>,
    renewed: Condvar,
}

impl TokenSource {
    /// A source for the password grant. Unless `options` keep the password, the first token is
    /// requested now and the password discarded; renewals then use the refresh token (ask for the
    /// `offline_access` scope to get one from IdentityServer3).
    pub fn password(
        client: Arc<TokenClient>,
        username: &str,
        password: &str,
        scope: Option<&str>,
        options: &TokenSourceOptions,
    ) -> Result<TokenSource> {
        for (name, value) in [("username", username), ("password", password)] {
            if value.is_empty() {
                return Err(Error::invalid_argument(format!("{name} must not be empty")));
            }
        }
        let grant = Grant::Password { username: username.to_string(), password: Some(Secret::new(password)) };
        let mut source = TokenSource::new(client, grant, scope, None, options, &["password", username])?;
        if !options.keep_password {
            source.token()?;
            if let Grant::Password { password, .. } = &mut source.grant {
                *password = None; // dropping a Secret zeroes it
            }
        }
        Ok(source)
    }

    /// A source for the client credentials grant; it can always renew with the client's credentials.
    pub fn client_credentials(client: Arc<TokenClient>, scope: Option<&str>, options: &TokenSourceOptions) -> Result<TokenSource> {
        TokenSource::new(client, Grant::ClientCredentials, scope, None, options, &["client_credentials"])
    }

    /// A source that starts from an existing refresh token (e.g. one stored by an earlier run).
    pub fn refresh_token(
        client: Arc<TokenClient>,
        refresh_token: &str,
        scope: Option<&str>,
        options: &TokenSourceOptions,
    ) -> Result<TokenSource> {
        if refresh_token.is_empty() {
            return Err(Error::invalid_argument("refresh_token must not be empty"));
        }
        // The cache key holds a digest of the refresh token, never the token itself.
        let id = sha256_hex(refresh_token);
        let initial = Some(Secret::new(refresh_token));
        TokenSource::new(client, Grant::RefreshOnly, scope, initial, options, &["refresh_token", &id])
    }

    fn new(
        client: Arc<TokenClient>,
        grant: Grant,
        scope: Option<&str>,
        refresh_token: Option<Secret>,
        options: &TokenSourceOptions,
        identity: &[&str],
    ) -> Result<TokenSource> {
        let scope = scope.map(form::normalize_scope).transpose()?.flatten();
        let cache = match &options.file_cache_dir {
            Some(dir) => {
                // Everything that makes tokens differ, so that no two kinds ever share an entry.
                let mut key = vec!["qflow-auth token v1", client.token_url(), client.client_id()];
                key.extend_from_slice(identity);
                key.push(scope.as_deref().unwrap_or(""));
                Some(FileCache::new(dir, &key.join("\0"))?)
            }
            None => None,
        };
        Ok(TokenSource {
            client,
            grant,
            scope,
            skew: options.skew,
            cache,
            state: Mutex::new(State { token: None, refresh_token, renewing: false, renewals: 0, failure: None }),
            renewed: Condvar::new(),
        })
    }

    /// A valid token: the cached one while it is valid for longer than the skew, otherwise a renewed
    /// one. Concurrent callers during a renewal wait for it and share its result or its error.
    pub fn token(&self) -> Result<Arc<Token>> {
        let mut state = self.lock();
        loop {
            if let Some(token) = self.usable_token(&state) {
                return Ok(token);
            }
            if state.renewing {
                let awaited = state.renewals;
                while state.renewing && state.renewals == awaited {
                    // Woken now and then to notice a cancellation of this thread's own wait.
                    state = self.renewed.wait_timeout(state, CANCEL_POLL).unwrap_or_else(|e| e.into_inner()).0;
                    cancel::check()?;
                }
                // The renewal we waited for is over: share its result, even a token so short-lived that
                // it would not count as usable (asking again would only repeat the request). A renewal
                // cancelled by the thread that ran it says nothing about this one: try again.
                if state.renewals == awaited + 1 {
                    match &state.failure {
                        Some(failure) if failure.status() == Status::Cancelled => {}
                        Some(failure) => return Err(failure.clone()),
                        None => {
                            if let Some(token) = &state.token {
                                return Ok(Arc::clone(token));
                            }
                        }
                    }
                }
                continue;
            }
            state.renewing = true;
            let refresh_token = state.refresh_token.clone();
            drop(state);

            let outcome = catch_unwind(AssertUnwindSafe(|| self.renew(refresh_token)))
                .unwrap_or_else(|_| Err(Error::internal("a panic was caught while renewing a token")));

            state = self.lock();
            state.renewing = false;
            state.renewals += 1;
            let result = match outcome {
                Ok((token, refresh_token)) => {
                    let token = Arc::new(token);
                    state.token = Some(Arc::clone(&token));
                    state.refresh_token = refresh_token;
                    state.failure = None;
                    Ok(token)
                }
                Err(error) => {
                    state.failure = Some(error.clone());
                    Err(error)
                }
            };
            self.renewed.notify_all();
            return result;
        }
    }

    /// The token in this source's memory while it is valid for longer than the skew: what
    /// [`TokenSource::token`] would return without a request. Never sends a request or waits for one.
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.usable_token(&self.lock())
    }

    fn usable_token(&self, state: &State) -> Option<Arc<Token>> {
        state.token.as_ref().filter(|t| self.usable(t)).cloned()
    }

    /// Forgets the current token (e.g. after the API answered 401), so the next [`TokenSource::token`]
    /// renews. The refresh token is kept. With a file cache, the shared entry is removed too if it
    /// still holds this token.
    pub fn invalidate(&self) -> Result<()> {
        let dropped = self.lock().token.take();
        match (&self.cache, dropped) {
            (Some(cache), Some(token)) => cache.remove_if_holding(token.access_token()),
            _ => Ok(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn usable(&self, token: &Token) -> bool {
        let (Some(expires_at), Some(lifetime)) = (token.expires_at(), token.expires_in()) else {
            return true; // no expiry given: valid until invalidated
        };
        let margin = self.skew.min(Duration::from_secs(lifetime) / 2);
        SystemTime::now().checked_add(margin).is_some_and(|deadline| deadline < expires_at)
    }

    /// Gets a new token: from the shared file if another process renewed already, else from the server.
    fn renew(&self, refresh_token: Option<Secret>) -> Result<(Token, Option<Secret>)> {
        let Some(cache) = &self.cache else {
            return self.fetch(refresh_token);
        };
        if let Some(cached) = cache.read().filter(|c| self.usable(&c.token)) {
            return Ok((cached.token, cached.refresh_token));
        }
        let _lock = cache.lock()?;
        // Another process may have renewed while we waited for the lock; its refresh token is the
        // newest one (the one we hold may have been rotated away).
        let cached = cache.read();
        let newest_refresh = match cached {
            Some(c) if self.usable(&c.token) => return Ok((c.token, c.refresh_token)),
            Some(c) => c.refresh_token.or(refresh_token),
            None => refresh_token,
        };
        let (token, refresh_token) = self.fetch(newest_refresh)?;
        // The token is good even if the cache cannot be written; the next renewal will try again.
        let _ = cache.write(&token, refresh_token.as_ref());
        Ok((token, refresh_token))
    }

    /// Renews with the refresh token when there is one, falling back to the original grant where
    /// that is possible. Returns the token and the refresh token to use next (the rotated one, if the
    /// server sent one). A cancellation stops the grants, but never a refresh request once sent.
    fn fetch(&self, refresh_token: Option<Secret>) -> Result<(Token, Option<Secret>)> {
        let scope = self.scope.as_deref();
        let mut refresh_failure = None;
        if let Some(refresh) = refresh_token {
            // Not cancellable once begun: see cancel::shielded.
            cancel::check()?;
            match cancel::shielded(|| self.client.request_refresh(refresh.expose(), scope)) {
                Ok(token) => {
                    let next = token.refresh_token().map(Secret::new).unwrap_or(refresh);
                    return Ok((token, Some(next)));
                }
                // invalid_grant: the refresh token expired or was revoked; signing in again may help.
                Err(e) if e.status() == Status::Oauth && e.oauth_error().is_some_and(|o| o.error == "invalid_grant") => {
                    refresh_failure = Some(e)
                }
                Err(e) => return Err(e),
            }
        }
        let token = match &self.grant {
            Grant::ClientCredentials => self.client.request_client_credentials(scope)?,
            Grant::Password { username, password: Some(password) } => {
                self.client.request_password(username, password.expose(), scope)?
            }
            Grant::Password { password: None, .. } => {
                return Err(refresh_failure.unwrap_or_else(|| cannot_renew("the password grant")))
            }
            Grant::RefreshOnly => return Err(refresh_failure.unwrap_or_else(|| cannot_renew("a refresh token"))),
        };
        let next = token.refresh_token().map(Secret::new);
        Ok((token, next))
    }
}

fn cannot_renew(made_from: &str) -> Error {
    Error::new(Status::InvalidState, format!(
        "the token cannot be renewed: this source was made from {made_from} and has no refresh token left \
         (ask for the offline_access scope, or keep the password with keep_password)"
    ))
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("client", &self.client)
            .field("scope", &self.scope)
            .field("skew", &self.skew)
            .field("file_cache", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}
