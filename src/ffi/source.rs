//! `qflow_token_source`: "give me a valid access token", cached and renewed, shared across threads
//! (and, with a file cache, across processes).
//!
//! Functions: `qflow_token_source_options_new`, `qflow_token_source_options_set_*`,
//! `qflow_token_source_options_free`, `qflow_token_source_new_password`,
//! `qflow_token_source_new_client_credentials`, `qflow_token_source_new_refresh_token`,
//! `qflow_token_source_token`, `qflow_token_source_cached_token`, `qflow_token_source_invalidate`,
//! `qflow_token_source_free`.

use super::boundary::{call, call_with_optional_output, call_with_output, handle, handle_mut, infallible, optional_str, required_str};
use super::client::qflow_client;
use super::token::{qflow_token, TokenView};
use crate::client::TokenClient;
use crate::error::{Result, Status};
use crate::source::{TokenSource, TokenSourceOptions};
use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings for a token source, read (copied) by the `qflow_token_source_new_*` functions.
///
/// Thread-safety: not synchronised; do not change one options object from several threads at once.
#[allow(non_camel_case_types)]
pub struct qflow_token_source_options {
    inner: TokenSourceOptions,
}

/// Creates token source options with the defaults: renew 60 s before expiry, discard the password
/// after the first token, no file cache.
///
/// Ownership: the caller owns the result and must release it with `qflow_token_source_options_free`.
/// Returns NULL only if a panic was caught (an internal error).
#[no_mangle]
pub extern "C" fn qflow_token_source_options_new() -> *mut qflow_token_source_options {
    infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(qflow_token_source_options { inner: TokenSourceOptions::default() }))
    })
}

/// Releases token source options.
///
/// Ownership: takes ownership of `options`. NULL: accepted and ignored. Must not be called twice.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_options_free(options: *mut qflow_token_source_options) {
    if options.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from qflow_token_source_options_new, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(options) }))
}

fn update(options: *mut qflow_token_source_options, change: impl FnOnce(&mut TokenSourceOptions) -> Result<()>) -> Status {
    // SAFETY: the caller passes NULL or a live options object it does not use concurrently.
    call(|| change(&mut unsafe { handle_mut("options", options) }?.inner))
}

/// Sets how long before expiry a token is renewed, in seconds (default 60). A token that lives
/// shorter than twice this is renewed at half its lifetime instead. 0 renews only at expiry.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_options_set_skew_seconds(
    options: *mut qflow_token_source_options,
    skew_seconds: u64,
) -> Status {
    update(options, |o| {
        o.set_skew(Duration::from_secs(skew_seconds));
        Ok(())
    })
}

/// For password-grant sources: keep the password (in memory, zeroed when the source is freed) to
/// sign in again when the refresh token stops working. Off by default, as RFC 6749 section 4.3.1
/// asks: the first token is then requested when the source is created and the password discarded.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_options_set_keep_password(
    options: *mut qflow_token_source_options,
    keep: bool,
) -> Status {
    update(options, |o| {
        o.set_keep_password(keep);
        Ok(())
    })
}

/// Shares tokens with other processes through files in `dir` (e.g. between PHP-FPM workers), so that
/// concurrent processes renew once. NULL (the default) keeps tokens in memory only. The directory is
/// created with mode 0700 if missing; the source fails to be created if it belongs to another user or
/// others can write to it. Tokens are stored in plain text, readable only by this user (mode 0600).
///
/// Ownership: `dir` is borrowed for the call.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `dir` is empty or not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_options_set_file_cache_dir(
    options: *mut qflow_token_source_options,
    dir: *const c_char,
) -> Status {
    update(options, |o| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let dir = unsafe { optional_str("dir", dir) }?;
        if dir == Some("") {
            return Err(crate::Error::invalid_argument("dir must not be empty (pass NULL for no file cache)"));
        }
        o.set_file_cache_dir(dir.map(PathBuf::from));
        Ok(())
    })
}

/// A token source.
///
/// Ownership: created by a `qflow_token_source_new_*` function, released with
/// `qflow_token_source_free`. It keeps what it needs of its client, so the client may be freed first.
/// Thread-safety: `qflow_token_source_token` and `qflow_token_source_invalidate` may be called from
/// any number of threads at once; while a renewal is due, concurrent callers cause one request and
/// share its result or its error.
#[allow(non_camel_case_types)]
pub struct qflow_token_source {
    inner: TokenSource,
    /// The C strings of the current token, reused for every handle until the source renews.
    current: Mutex<Option<Arc<TokenView>>>,
}

/// Builds a source and hands it out through `source_out`.
unsafe fn create(
    client: *const qflow_client,
    options: *const qflow_token_source_options,
    source_out: *mut *mut qflow_token_source,
    make: impl FnOnce(Arc<TokenClient>, &TokenSourceOptions) -> Result<TokenSource>,
) -> Status {
    call_with_output("source_out", source_out, || {
        // SAFETY: the caller passes NULL or live handles.
        let (client, options) = unsafe { (handle("client", client)?, options.as_ref()) };
        let defaults = TokenSourceOptions::default();
        let inner = make(client.shared(), options.map_or(&defaults, |o| &o.inner))?;
        Ok(qflow_token_source { inner, current: Mutex::new(None) })
    })
}

/// Creates a source for the password grant. Unless the options keep the password, the first token
/// is requested now (so this call can fail like `qflow_client_request_password`) and the password is
/// then discarded; renewals use the refresh token, so ask for `offline_access` with IdentityServer3.
///
/// - `client`: required; the source keeps its own reference to it.
/// - `username`, `password`: required, not empty.
/// - `scope`: NULL for none; scopes separated by spaces or `+`.
/// - `options`: NULL for the defaults; copied.
/// - `source_out`: receives the source on success only.
///
/// Ownership: on success the caller owns `*source_out`; release it with `qflow_token_source_free`.
/// Strings are borrowed for the call. Thread-safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_new_password(
    client: *const qflow_client,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
    options: *const qflow_token_source_options,
    source_out: *mut *mut qflow_token_source,
) -> Status {
    // SAFETY (this function): the caller passes NULL or valid strings and handles.
    unsafe {
        create(client, options, source_out, |client, options| {
            let username = required_str("username", username)?;
            let password = required_str("password", password)?;
            TokenSource::password(client, username, password, optional_str("scope", scope)?, options)
        })
    }
}

/// Creates a source for the client credentials grant. No request is made until the first
/// `qflow_token_source_token`.
///
/// Ownership: on success the caller owns `*source_out`; release it with `qflow_token_source_free`.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_new_client_credentials(
    client: *const qflow_client,
    scope: *const c_char,
    options: *const qflow_token_source_options,
    source_out: *mut *mut qflow_token_source,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and handles.
    unsafe {
        create(client, options, source_out, |client, options| {
            TokenSource::client_credentials(client, optional_str("scope", scope)?, options)
        })
    }
}

/// Creates a source from an existing refresh token (e.g. one saved by an earlier run). No request is
/// made until the first `qflow_token_source_token`; rotated refresh tokens replace it as they come.
///
/// Ownership: on success the caller owns `*source_out`; release it with `qflow_token_source_free`.
/// The refresh token is copied and zeroed when the source is freed.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_new_refresh_token(
    client: *const qflow_client,
    refresh_token: *const c_char,
    scope: *const c_char,
    options: *const qflow_token_source_options,
    source_out: *mut *mut qflow_token_source,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and handles.
    unsafe {
        create(client, options, source_out, |client, options| {
            let refresh_token = required_str("refresh_token", refresh_token)?;
            TokenSource::refresh_token(client, refresh_token, optional_str("scope", scope)?, options)
        })
    }
}

/// A valid token: the cached one while it is valid for longer than the skew (no request, no
/// allocation beyond the handle), otherwise a renewed one.
///
/// Ownership: on success the caller owns `*token_out` and must release it with `qflow_token_free`;
/// the handle stays valid after later renewals. Thread-safety: may be called concurrently.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_token(
    source: *const qflow_token_source,
    token_out: *mut *mut qflow_token,
) -> Status {
    call_with_output("token_out", token_out, || {
        // SAFETY: the caller passes NULL or a live source.
        let source = unsafe { handle("source", source) }?;
        let token = source.inner.token()?;
        Ok(source.handle_for(token))
    })
}

/// The cached token, if the source holds one valid for longer than the skew: what
/// `qflow_token_source_token` would return without a request. Never sends a request, and never waits
/// for another thread's renewal. For callers that want to skip a thread hop on the cached path (e.g.
/// an async binding); `qflow_token_source_token` itself is as fast when the token is cached.
///
/// Ownership: on success `*token_out` is a token the caller owns (release it with `qflow_token_free`),
/// or NULL when no valid token is cached (still `QFLOW_STATUS_OK`).
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `source` or `token_out` is NULL.
/// Thread-safety: may be called concurrently.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_cached_token(
    source: *const qflow_token_source,
    token_out: *mut *mut qflow_token,
) -> Status {
    call_with_optional_output("token_out", token_out, || {
        // SAFETY: the caller passes NULL or a live source.
        let source = unsafe { handle("source", source) }?;
        Ok(source.inner.cached().map(|token| source.handle_for(token)))
    })
}

impl qflow_token_source {
    /// A handle on `token`, sharing the C strings of the current token while it stays current.
    fn handle_for(&self, token: Arc<crate::Token>) -> qflow_token {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let view = match current.as_ref() {
            Some(view) if Arc::ptr_eq(&view.token, &token) => Arc::clone(view),
            _ => {
                let view = Arc::new(TokenView::new(token));
                *current = Some(Arc::clone(&view));
                view
            }
        };
        qflow_token::shared(view)
    }
}

/// Forgets the current token, e.g. after the API answered 401 with it, so that the next
/// `qflow_token_source_token` renews (with the refresh token when there is one). With a file cache the
/// shared entry is removed too if it still holds this token.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `source` is NULL. Thread-safety: may be called
/// concurrently.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_invalidate(source: *const qflow_token_source) -> Status {
    // SAFETY: the caller passes NULL or a live source.
    call(|| unsafe { handle("source", source) }?.inner.invalidate())
}

/// Releases a source, zeroing the refresh token and any kept password.
///
/// Ownership: takes ownership of `source`. Token handles obtained from it stay valid.
/// NULL: accepted and ignored. Must not be called twice, nor while other threads use the source.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_source_free(source: *mut qflow_token_source) {
    if source.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from this library, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(source) }))
}
