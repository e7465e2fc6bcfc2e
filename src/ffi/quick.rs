//! The one-call functions in the shape of QFlow Hub's quick-start.

use super::boundary::{call_returning, optional_str, required_str};
use super::strings::owned_c_string;
use crate::error::Result;
use crate::quick::fetch_token;
use crate::token::Token;
use std::ffi::c_char;

/// Converts the quick-start's six arguments and runs the password grant.
///
/// # Safety
/// Every pointer is NULL or a NUL-terminated string.
unsafe fn fetch(
    token_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
) -> Result<Token> {
    // SAFETY: as promised by the caller.
    unsafe {
        fetch_token(
            optional_str("token_url", token_url)?,
            required_str("client_id", client_id)?,
            optional_str("client_secret", client_secret)?,
            required_str("username", username)?,
            required_str("password", password)?,
            optional_str("scope", scope)?,
        )
    }
}

/// Gets an access token with the password grant in one call, as in QFlow Hub's quick-start.
///
/// - `token_url`: NULL for QFlow Hub's "https://identity.qflowhub.io/core/connect/token".
/// - `client_id`, `username`, `password`: required, not empty; any characters.
/// - `client_secret`: NULL for a public client.
/// - `scope`: NULL for "qflowapi openid offline_access"; scopes may be separated by spaces or `+`.
///
/// Default options apply (see `qflow_client_options_new`). All one-call requests in a process share
/// one connection pool, so repeated calls reuse connections. For other grants, options or the full
/// response, use a `qflow_client`.
///
/// Ownership: returns an owned string the caller must release with `qflow_string_free`, or NULL on
/// failure (then see `qflow_last_error_*`). Arguments are borrowed for the duration of the call.
/// Thread-safety: safe from any number of threads at once.
#[no_mangle]
pub unsafe extern "C" fn qflow_fetch_token(
    token_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
) -> *mut c_char {
    call_returning(|| {
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let token = unsafe { fetch(token_url, client_id, client_secret, username, password, scope) }?;
        Ok(owned_c_string(token.access_token()))
    })
}

/// Same as `qflow_fetch_token`, returning the whole token response as JSON (access token, expiry,
/// refresh token, ...), exactly as the server sent it.
///
/// Ownership: returns an owned string the caller must release with `qflow_string_free`, or NULL on
/// failure (then see `qflow_last_error_*`).
/// Thread-safety: safe from any number of threads at once.
#[no_mangle]
pub unsafe extern "C" fn qflow_fetch_token_json(
    token_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
) -> *mut c_char {
    call_returning(|| {
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let token = unsafe { fetch(token_url, client_id, client_secret, username, password, scope) }?;
        Ok(owned_c_string(token.raw_json()))
    })
}
