//! `qflow_client`: a token client for one endpoint and one set of client credentials.
//!
//! Functions: `qflow_client_new`, `qflow_client_new_from_authority`, `qflow_client_request_password`,
//! `qflow_client_request_client_credentials`, `qflow_client_request_refresh`,
//! `qflow_client_request_grant`, `qflow_client_revoke`, `qflow_client_introspect`,
//! `qflow_client_userinfo`, `qflow_client_token_url`, `qflow_client_revocation_url`,
//! `qflow_client_introspection_url`, `qflow_client_userinfo_url`, `qflow_client_issuer`,
//! `qflow_client_discovery_warning`,
//! `qflow_client_free`.

use super::boundary::{call, call_with_output, handle, infallible, optional_str, required_str};
use super::claims::qflow_claims;
use super::options::qflow_client_options;
use super::strings::lossy_c_string;
use super::token::qflow_token;
use super::view::read;
use crate::claims::Claims;
use crate::client::TokenClient;
use crate::error::{Error, Result, Status};
use crate::options::ClientOptions;
use crate::token::Token;
use std::ffi::{c_char, CString};
use std::sync::Arc;

/// A token client. Create it once per endpoint and client and share it: it keeps connections alive
/// and reuses them across requests.
///
/// Thread-safety: all `qflow_client_request_*` functions may be called on one client from any number
/// of threads at once. `qflow_client_free` must not race with them.
#[allow(non_camel_case_types)]
pub struct qflow_client {
    inner: Arc<TokenClient>,
    /// The endpoints and what discovery reported, as C strings for the borrowed getters.
    token_url: CString,
    revocation_url: Option<CString>,
    introspection_url: Option<CString>,
    userinfo_url: Option<CString>,
    issuer: Option<CString>,
    discovery_warning: Option<CString>,
}

impl qflow_client {
    fn new(inner: TokenClient) -> qflow_client {
        let discovery = inner.discovery();
        qflow_client {
            token_url: lossy_c_string(inner.token_url()),
            revocation_url: inner.revocation_url().map(lossy_c_string),
            introspection_url: inner.introspection_url().map(lossy_c_string),
            userinfo_url: inner.userinfo_url().map(lossy_c_string),
            issuer: discovery.and_then(|d| d.issuer()).map(lossy_c_string),
            discovery_warning: discovery.and_then(|d| d.warning()).map(lossy_c_string),
            inner: Arc::new(inner),
        }
    }

    /// The core client, for objects (token sources) that keep using it after the handle is freed.
    pub(crate) fn shared(&self) -> Arc<TokenClient> {
        Arc::clone(&self.inner)
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<qflow_client>();
};

/// Creates a client for the token endpoint `token_url`, e.g.
/// "https://identity.qflowhub.io/core/connect/token".
///
/// - `token_url`: required; https://, or http:// to a loopback host (or to any host if the options
///   allow insecure HTTP).
/// - `client_id`: required, not empty.
/// - `client_secret`: NULL for a public client (which then sends only its `client_id`); not empty.
/// - `options`: NULL for the defaults (see `qflow_client_options_new`); copied, so it may be freed
///   right after this call.
/// - `client_out`: receives the client on success only.
///
/// Ownership: on success the caller owns `*client_out` and must release it with `qflow_client_free`.
/// All string arguments are borrowed for the duration of the call; the secret is copied and zeroed
/// when the client is freed.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` (naming the parameter) for NULL required arguments,
/// non-UTF-8 strings, empty values, a malformed or insecure URL, or an unreadable CA file.
/// Thread-safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_new(
    token_url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const qflow_client_options,
    client_out: *mut *mut qflow_client,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and a NULL or live options object.
    unsafe { create("token_url", token_url, client_id, client_secret, options, client_out, TokenClient::new) }
}

/// Creates a client for the server at `authority` (e.g. "https://identity.qflowhub.io/core"), with
/// its token, revocation, introspection and userinfo endpoints read from the server's OpenID Connect
/// discovery document (`<authority>/.well-known/openid-configuration`; RFC 8414's location is tried
/// when that answers 404). Documents are cached per process for an hour (at most 64). Every endpoint must satisfy
/// the same rules as `token_url` in `qflow_client_new`. Endpoint URLs set in `options` take
/// precedence. An `issuer` that differs from `authority` is not an error (IdentityServer3 deployments
/// often configure another one); see `qflow_client_discovery_warning`.
///
/// Arguments, ownership and errors otherwise as for `qflow_client_new`; fetching the document can
/// also fail like any request (network, TLS, HTTP, malformed response).
#[no_mangle]
pub unsafe extern "C" fn qflow_client_new_from_authority(
    authority: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const qflow_client_options,
    client_out: *mut *mut qflow_client,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and a NULL or live options object.
    unsafe { create("authority", authority, client_id, client_secret, options, client_out, TokenClient::from_authority) }
}

/// Converts the arguments both constructors share and hands the client out through `client_out`.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `options` is NULL or live.
unsafe fn create(
    url_name: &str,
    url: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const qflow_client_options,
    client_out: *mut *mut qflow_client,
    make: fn(&str, &str, Option<&str>, &ClientOptions) -> Result<TokenClient>,
) -> Status {
    call_with_output("client_out", client_out, || {
        // SAFETY: as promised by the caller.
        let (url, client_id, client_secret, options) = unsafe {
            (
                required_str(url_name, url)?,
                required_str("client_id", client_id)?,
                optional_str("client_secret", client_secret)?,
                options.as_ref(),
            )
        };
        let default_options = ClientOptions::default();
        let inner = make(url, client_id, client_secret, options.map_or(&default_options, |o| &o.inner))?;
        Ok(qflow_client::new(inner))
    })
}

/// A borrowed C string of an optional client string.
fn borrowed(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The token endpoint: the `token_url` given to `qflow_client_new`, or the one discovery found.
///
/// Ownership: borrowed; valid until `qflow_client_free(client)`. NULL client: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_token_url(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| c.token_url.as_ptr())
}

/// The revocation endpoint (set in the options or found by discovery); NULL when the client has none.
///
/// Ownership: borrowed; valid until `qflow_client_free(client)`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_revocation_url(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| borrowed(&c.revocation_url))
}

/// The introspection endpoint; NULL when the client has none. As for `qflow_client_revocation_url`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_introspection_url(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| borrowed(&c.introspection_url))
}

/// The userinfo endpoint; NULL when the client has none. As for `qflow_client_revocation_url`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_userinfo_url(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| borrowed(&c.userinfo_url))
}

/// The `issuer` named by the discovery document, for a client made by
/// `qflow_client_new_from_authority`; NULL otherwise.
///
/// Ownership: borrowed; valid until `qflow_client_free(client)`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_issuer(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| borrowed(&c.issuer))
}

/// A message about something discovery found worth reporting but no reason to fail, e.g. an `issuer`
/// other than the authority URL; NULL when there is nothing to report or the client was not made by
/// discovery.
///
/// Ownership: borrowed; valid until `qflow_client_free(client)`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_discovery_warning(client: *const qflow_client) -> *const c_char {
    read(client, std::ptr::null(), |c| borrowed(&c.discovery_warning))
}

/// Releases a client and zeroes the client secret it held.
///
/// Ownership: takes ownership of `client`; it must not be used afterwards. Tokens obtained from it
/// stay valid and are freed separately.
/// NULL: accepted and ignored. Must not be called twice with the same pointer, nor while another
/// thread is using the client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_free(client: *mut qflow_client) {
    if client.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from qflow_client_new, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(client) }))
}

/// Runs a token request on a client and hands the token out through `token_out`.
unsafe fn request(
    client: *const qflow_client,
    token_out: *mut *mut qflow_token,
    send: impl FnOnce(&TokenClient) -> Result<Token>,
) -> Status {
    call_with_output("token_out", token_out, || {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { handle("client", client) }?;
        Ok(qflow_token::new(send(&client.inner)?))
    })
}

/// Requests a token with the resource owner password grant (RFC 6749 section 4.3), as QFlow Hub's
/// quick-start does. New designs should prefer other grants (RFC 9700 section 2.4).
///
/// - `username`, `password`: required, not empty; any characters (they are form-encoded correctly).
/// - `scope`: NULL to send none; otherwise scopes separated by spaces or `+`
///   ("qflowapi openid offline_access" or the quick-start's "qflowapi+openid+offline_access").
/// - `token_out`: receives the token on success only.
///
/// Ownership: on success the caller owns `*token_out` and must release it with `qflow_token_free`.
/// Strings are borrowed for the duration of the call.
/// Returns `QFLOW_STATUS_OK` or the failure's status; see `qflow_last_error_*` for details.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_request_password(
    client: *const qflow_client,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
    token_out: *mut *mut qflow_token,
) -> Status {
    // SAFETY (this function): the caller passes NULL or valid NUL-terminated strings and handles.
    unsafe {
        request(client, token_out, |c| {
            let username = required_str("username", username)?;
            let password = required_str("password", password)?;
            c.request_password(username, password, optional_str("scope", scope)?)
        })
    }
}

/// Requests a token with the client credentials grant (RFC 6749 section 4.4).
///
/// - `scope`: NULL to send none; otherwise as for `qflow_client_request_password`.
/// - `token_out`: receives the token on success only.
///
/// Ownership: on success the caller owns `*token_out` and must release it with `qflow_token_free`.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_request_client_credentials(
    client: *const qflow_client,
    scope: *const c_char,
    token_out: *mut *mut qflow_token,
) -> Status {
    // SAFETY: the caller passes NULL or valid NUL-terminated strings and handles.
    unsafe { request(client, token_out, |c| c.request_client_credentials(optional_str("scope", scope)?)) }
}

/// Exchanges a refresh token for a new token (RFC 6749 section 6). The server may rotate the refresh
/// token: use `qflow_token_refresh_token` of the new token from then on.
///
/// - `refresh_token`: required, not empty.
/// - `scope`: NULL to keep the original scope; otherwise as for `qflow_client_request_password`.
/// - `token_out`: receives the token on success only.
///
/// Ownership: on success the caller owns `*token_out` and must release it with `qflow_token_free`.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_request_refresh(
    client: *const qflow_client,
    refresh_token: *const c_char,
    scope: *const c_char,
    token_out: *mut *mut qflow_token,
) -> Status {
    // SAFETY: the caller passes NULL or valid NUL-terminated strings and handles.
    unsafe {
        request(client, token_out, |c| {
            c.request_refresh(required_str("refresh_token", refresh_token)?, optional_str("scope", scope)?)
        })
    }
}

/// Requests a token with any grant, including extension grants (RFC 6749 section 4.5), e.g.
/// "urn:ietf:params:oauth:grant-type:token-exchange", with extra form parameters.
///
/// - `grant_type`: required, not empty, no spaces.
/// - `param_names`, `param_values`: two arrays of `param_count` strings; may be NULL when
///   `param_count` is 0. Names must be non-empty and unique and must not be `grant_type`,
///   `client_id` or `client_secret` (the client sends those). A `scope` value is normalised as for
///   `qflow_client_request_password`.
/// - `token_out`: receives the token on success only.
///
/// Ownership: on success the caller owns `*token_out` and must release it with `qflow_token_free`.
/// Arrays and strings are borrowed for the duration of the call.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_request_grant(
    client: *const qflow_client,
    grant_type: *const c_char,
    param_names: *const *const c_char,
    param_values: *const *const c_char,
    param_count: usize,
    token_out: *mut *mut qflow_token,
) -> Status {
    // SAFETY (this function): the caller passes arrays of `param_count` valid strings, or NULL arrays
    // with a count of 0, and valid strings and handles.
    unsafe {
        request(client, token_out, |c| {
            let grant_type = required_str("grant_type", grant_type)?;
            let names = string_array("param_names", param_names, param_count)?;
            let values = string_array("param_values", param_values, param_count)?;
            let params: Vec<(&str, &str)> = names.into_iter().zip(values).collect();
            c.request_grant(grant_type, &params)
        })
    }
}

/// Revokes a token (RFC 7009) at the client's revocation endpoint, authenticating like a token request.
/// Succeeds for tokens the server does not know, as the RFC says.
///
/// - `token`: required, not empty: an access or refresh token.
/// - `token_type_hint`: NULL, or "access_token" / "refresh_token".
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` when the client has no revocation endpoint (set it with
/// `qflow_client_options_set_revocation_url` or use `qflow_client_new_from_authority`). A 503 is an
/// HTTP error whose message gives the server's Retry-After.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_revoke(
    client: *const qflow_client,
    token: *const c_char,
    token_type_hint: *const c_char,
) -> Status {
    call(|| {
        // SAFETY: the caller passes NULL or valid strings and a NULL or live client.
        let (client, token, hint) = unsafe {
            (handle("client", client)?, required_str("token", token)?, optional_str("token_type_hint", token_type_hint)?)
        };
        client.inner.revoke(token, hint)
    })
}

/// Runs a request that yields claims and hands them out through `claims_out`.
unsafe fn claims_request(
    client: *const qflow_client,
    claims_out: *mut *mut qflow_claims,
    send: impl FnOnce(&TokenClient) -> Result<Claims>,
) -> Status {
    call_with_output("claims_out", claims_out, || {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { handle("client", client) }?;
        Ok(qflow_claims::new(send(&client.inner)?))
    })
}

/// Asks the client's introspection endpoint about a token (RFC 7662). An unknown, expired or revoked
/// token is not an error: `qflow_claims_is_active` is then false.
///
/// - `token`: required, not empty. `token_type_hint`: NULL, "access_token" or "refresh_token".
/// - `claims_out`: receives the answer on success only.
///
/// Ownership: on success the caller owns `*claims_out`; release it with `qflow_claims_free`.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` when the client has no introspection endpoint.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_introspect(
    client: *const qflow_client,
    token: *const c_char,
    token_type_hint: *const c_char,
    claims_out: *mut *mut qflow_claims,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and handles.
    unsafe {
        claims_request(client, claims_out, |c| {
            c.introspect(required_str("token", token)?, optional_str("token_type_hint", token_type_hint)?)
        })
    }
}

/// Reads the claims about the user of an access token from the client's userinfo endpoint (OpenID
/// Connect; the token needs the `openid` scope). A rejected token is a `QFLOW_STATUS_OAUTH` error with
/// the `error` of the server's `WWW-Authenticate` header (e.g. "invalid_token").
///
/// Ownership: on success the caller owns `*claims_out`; release it with `qflow_claims_free`.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` when the client has no userinfo endpoint.
/// Thread-safety: may be called concurrently on one client.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_userinfo(
    client: *const qflow_client,
    access_token: *const c_char,
    claims_out: *mut *mut qflow_claims,
) -> Status {
    // SAFETY: the caller passes NULL or valid strings and handles.
    unsafe { claims_request(client, claims_out, |c| c.userinfo(required_str("access_token", access_token)?)) }
}

/// Reads `count` UTF-8 strings from a C array, naming the failing element in errors.
///
/// # Safety
/// `array` is NULL or points to `count` pointers, each NULL or a NUL-terminated string.
unsafe fn string_array<'a>(name: &str, array: *const *const c_char, count: usize) -> Result<Vec<&'a str>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() {
        return Err(Error::invalid_argument(format!("{name} must not be NULL when param_count is {count}")));
    }
    // SAFETY: the caller guarantees `count` readable elements.
    let pointers = unsafe { std::slice::from_raw_parts(array, count) };
    pointers
        .iter()
        .enumerate()
        // SAFETY: each element is NULL or a NUL-terminated string.
        .map(|(i, &p)| unsafe { required_str(&format!("{name}[{i}]"), p) })
        .collect()
}
