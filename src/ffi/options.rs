//! `qflow_client_options`: settings for `qflow_client_new`, built with setters.
//!
//! Functions: `qflow_client_options_new`, `qflow_client_options_set_*`, `qflow_client_options_free`.

use super::boundary::{call, handle_mut, infallible, optional_str};
use crate::error::{Error, Status};
use crate::options::{AuthMethod, ClientOptions, ProxySetting};
use crate::secret::Secret;
use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

/// Settings for a client. Created with `qflow_client_options_new`, changed with the setters, read by
/// `qflow_client_new` (which copies them: the options may be freed or reused right after).
///
/// Thread-safety: not synchronised; do not change one options object from several threads at once.
#[allow(non_camel_case_types)]
pub struct qflow_client_options {
    pub(crate) inner: ClientOptions,
}

/// Creates options with the defaults: client secret in the POST body, 10 s connect timeout, 30 s
/// overall timeout, the system trust store, proxy from the environment, http:// only to loopback,
/// `User-Agent: qflow-auth/<version>`, 1 MiB response cap.
///
/// Ownership: the caller owns the result and must release it with `qflow_client_options_free`.
/// Returns NULL only if a panic was caught (an internal error).
/// Thread-safety: safe from any thread.
#[no_mangle]
pub extern "C" fn qflow_client_options_new() -> *mut qflow_client_options {
    infallible(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(qflow_client_options { inner: ClientOptions::default() }))
    })
}

/// Releases options.
///
/// Ownership: takes ownership of `options`; it must not be used afterwards.
/// NULL: accepted and ignored. Must not be called twice with the same pointer.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_free(options: *mut qflow_client_options) {
    if options.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from qflow_client_options_new, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(options) }))
}

/// Applies `change` to the options behind `options`, reporting errors the usual way.
fn update(
    options: *mut qflow_client_options,
    change: impl FnOnce(&mut ClientOptions) -> crate::Result<()>,
) -> Status {
    // SAFETY: the caller passes NULL or a live options object it does not use concurrently.
    call(|| change(&mut unsafe { handle_mut("options", options) }?.inner))
}

/// Sets how the client authenticates: a `qflow_auth_method` value. Default
/// `QFLOW_AUTH_METHOD_CLIENT_SECRET_POST`.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `method` is not a known method.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_auth_method(options: *mut qflow_client_options, method: u32) -> Status {
    update(options, |o| {
        let method = AuthMethod::from_code(method)
            .ok_or_else(|| Error::invalid_argument(format!("method {method} is not a qflow_auth_method value")))?;
        o.set_auth_method(method);
        Ok(())
    })
}

/// Sets the limit on establishing a connection (DNS, TCP, TLS), in milliseconds. Default 10000.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `timeout_ms` is 0.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_connect_timeout_ms(
    options: *mut qflow_client_options,
    timeout_ms: u64,
) -> Status {
    update(options, |o| o.set_connect_timeout(Duration::from_millis(timeout_ms)).map(drop))
}

/// Sets the limit on a whole request, from connecting to the last byte of the answer, in
/// milliseconds. Default 30000. A server that sends its answer a byte at a time is cut off by it.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `timeout_ms` is 0.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_timeout_ms(options: *mut qflow_client_options, timeout_ms: u64) -> Status {
    update(options, |o| o.set_timeout(Duration::from_millis(timeout_ms)).map(drop))
}

/// Sets a PEM file of CA certificates to trust in addition to the operating system's store.
/// NULL removes a previously set file. The file is read by `qflow_client_new`, which fails with
/// `QFLOW_STATUS_INVALID_ARGUMENT` if it cannot be read or holds no certificate.
///
/// Ownership: `path` is borrowed for the duration of the call.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `path` is empty or not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_ca_file(options: *mut qflow_client_options, path: *const c_char) -> Status {
    update(options, |o| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let path = unsafe { optional_str("path", path) }?;
        o.set_ca_file(path.map(PathBuf::from)).map(drop)
    })
}

/// Sets the proxy. NULL (the default) reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
/// from the environment, never for loopback hosts; "" disables proxies entirely (as in curl); any
/// other value is the proxy URL to use for every host: "http://proxy:3128" (CONNECT), "socks4://",
/// "socks5://" or "socks5h://h:1080" (the proxy resolves the host name), with "user:pass@" if needed.
///
/// Ownership: `proxy_url` is borrowed for the duration of the call; it may contain credentials, which
/// are kept secret.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or the URL is not a valid proxy URL.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_proxy(options: *mut qflow_client_options, proxy_url: *const c_char) -> Status {
    update(options, |o| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let setting = match unsafe { optional_str("proxy_url", proxy_url) }? {
            None => ProxySetting::FromEnvironment,
            Some("") => ProxySetting::Disabled,
            Some(url) => ProxySetting::Url(Secret::new(url)),
        };
        o.set_proxy(setting).map(drop)
    })
}

/// Allows `http://` token URLs whose host is not loopback. Off by default: token requests carry
/// passwords and secrets. `http://` to 127.0.0.0/8, ::1 and localhost is always allowed.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_allow_insecure_http(options: *mut qflow_client_options, allow: bool) -> Status {
    update(options, |o| {
        o.set_allow_insecure_http(allow);
        Ok(())
    })
}

/// Sets the `User-Agent` header. NULL restores the default `qflow-auth/<version>`.
///
/// Ownership: `user_agent` is borrowed for the duration of the call.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or the value is empty or not
/// printable ASCII.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_user_agent(options: *mut qflow_client_options, user_agent: *const c_char) -> Status {
    update(options, |o| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let user_agent = unsafe { optional_str("user_agent", user_agent) }?;
        o.set_user_agent(user_agent.map(str::to_string)).map(drop)
    })
}

/// Sets the largest response body accepted, in bytes. Default 1048576 (1 MiB). Longer responses fail
/// with `QFLOW_STATUS_MALFORMED_RESPONSE` without being read further.
///
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `max_bytes` is 0.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_max_response_bytes(options: *mut qflow_client_options, max_bytes: u64) -> Status {
    update(options, |o| o.set_max_response_bytes(max_bytes).map(drop))
}

/// Sets one of the optional endpoint URLs after validating its text; the URL itself is checked like
/// `token_url` when the client is created.
fn set_url(
    options: *mut qflow_client_options,
    name: &str,
    url: *const c_char,
    set: impl FnOnce(&mut ClientOptions, Option<String>) -> crate::Result<&mut ClientOptions>,
) -> Status {
    update(options, |o| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let url = unsafe { optional_str(name, url) }?;
        set(o, url.map(str::to_string)).map(drop)
    })
}

/// Sets the revocation endpoint (RFC 7009) for `qflow_client_revoke`, e.g.
/// "https://identity.qflowhub.io/core/connect/revocation". NULL unsets it. Not needed for clients made
/// by `qflow_client_new_from_authority`, whose discovery finds it.
///
/// Ownership: `url` is borrowed for the call.
/// Returns `QFLOW_STATUS_INVALID_ARGUMENT` if `options` is NULL or `url` is empty or not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_revocation_url(options: *mut qflow_client_options, url: *const c_char) -> Status {
    set_url(options, "url", url, ClientOptions::set_revocation_url)
}

/// Sets the introspection endpoint (RFC 7662) for `qflow_client_introspect`; NULL unsets it. As for
/// `qflow_client_options_set_revocation_url`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_introspection_url(options: *mut qflow_client_options, url: *const c_char) -> Status {
    set_url(options, "url", url, ClientOptions::set_introspection_url)
}

/// Sets the OpenID Connect userinfo endpoint for `qflow_client_userinfo`; NULL unsets it. As for
/// `qflow_client_options_set_revocation_url`.
#[no_mangle]
pub unsafe extern "C" fn qflow_client_options_set_userinfo_url(options: *mut qflow_client_options, url: *const c_char) -> Status {
    set_url(options, "url", url, ClientOptions::set_userinfo_url)
}
