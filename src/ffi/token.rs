//! `qflow_token`: a token response with borrowed getters.
//!
//! Functions: `qflow_token_access_token`, `qflow_token_token_type`, `qflow_token_expires_in`,
//! `qflow_token_expires_at`, `qflow_token_is_expired`, `qflow_token_refresh_token`,
//! `qflow_token_scope`, `qflow_token_id_token`, `qflow_token_get`, `qflow_token_raw_json`,
//! `qflow_token_free`.

use super::boundary::infallible;
use super::view::{member_name, read, CView};
use crate::token::Token;
use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// A token response. Immutable once created.
///
/// Ownership: returned by the `qflow_client_request_*` functions and `qflow_token_source_token`;
/// release it with `qflow_token_free`. Every string a getter returns is borrowed from the token: valid
/// until the token is freed, never to be freed by the caller.
/// Thread-safety: getters may be called from any number of threads at once.
#[allow(non_camel_case_types)]
pub struct qflow_token {
    shared: Arc<TokenView>,
}

/// A token with its C strings. Shared between handles: a token source hands out the same one to
/// every caller until it renews, without rebuilding the strings.
pub(crate) struct TokenView {
    pub token: Arc<Token>,
    view: CView,
}

impl TokenView {
    pub fn new(token: Arc<Token>) -> TokenView {
        let view = CView::new(token.fields(), token.raw_json());
        TokenView { token, view }
    }
}

impl qflow_token {
    pub(crate) fn new(token: Token) -> qflow_token {
        qflow_token { shared: Arc::new(TokenView::new(Arc::new(token))) }
    }

    pub(crate) fn shared(shared: Arc<TokenView>) -> qflow_token {
        qflow_token { shared }
    }

    fn view(&self) -> &CView {
        &self.shared.view
    }

    fn token(&self) -> &Token {
        &self.shared.token
    }
}

/// The access token, to send as `Authorization: Bearer <token>`. Never NULL for a non-NULL token.
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_access_token(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().string("access_token"))
}

/// The token type as the server sent it, e.g. "Bearer" (compare case-insensitively); NULL if absent.
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_token_type(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().string("token_type"))
}

/// The lifetime in seconds the server gave (`expires_in`); -1 when it gave none or `token` is NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_expires_in(token: *const qflow_token) -> i64 {
    read(token, -1, |t| t.token().expires_in().map_or(-1, |s| i64::try_from(s).unwrap_or(i64::MAX)))
}

/// When the token expires, in seconds since the Unix epoch (the time the response arrived plus
/// `expires_in`); -1 when unknown or `token` is NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_expires_at(token: *const qflow_token) -> i64 {
    read(token, -1, |t| {
        t.token()
            .expires_at()
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or(-1, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

/// Whether the token has expired or will within `leeway_seconds`. A token whose response had no
/// `expires_in` is never reported expired. A NULL `token` counts as expired.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_is_expired(token: *const qflow_token, leeway_seconds: u64) -> bool {
    read(token, true, |t| t.token().is_expired(Duration::from_secs(leeway_seconds)))
}

/// The refresh token; NULL if the server sent none (e.g. without the `offline_access` scope).
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_refresh_token(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().string("refresh_token"))
}

/// The granted scope, space-separated; NULL if the server did not send it (IdentityServer3 does
/// not: the granted scope is then the requested one).
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_scope(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().string("scope"))
}

/// The OpenID Connect ID token; NULL if absent.
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_id_token(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().string("id_token"))
}

/// Any member of the response by name: a string member as its text, any other value (number, bool,
/// object, array, null) as its JSON text, e.g. "17" or "{\"a\":1}". NULL if there is no such member or
/// `name` is NULL or not UTF-8.
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. `name` is borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_get(token: *const qflow_token, name: *const c_char) -> *const c_char {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    let Some(name) = (unsafe { member_name(name) }) else {
        return std::ptr::null();
    };
    read(token, std::ptr::null(), |t| t.view().get(name))
}

/// The response body exactly as received (JSON).
///
/// Ownership: borrowed; valid until `qflow_token_free(token)`. NULL token: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_raw_json(token: *const qflow_token) -> *const c_char {
    read(token, std::ptr::null(), |t| t.view().raw_json())
}

/// Releases a token handle. Its strings are overwritten with zeros once no handle uses them any more
/// (a token source hands out several handles to the same token while it is valid).
///
/// Ownership: takes ownership of `token`; it and every string borrowed from it must not be used
/// afterwards. NULL: accepted and ignored. Must not be called twice with the same pointer.
#[no_mangle]
pub unsafe extern "C" fn qflow_token_free(token: *mut qflow_token) {
    if token.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from this library, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(token) }))
}
