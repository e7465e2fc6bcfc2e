//! The last failure on each thread, read right after the failing call (as in libgit2).

use super::strings::lossy_c_string;
use crate::error::{Error, Status};
use std::cell::RefCell;
use std::ffi::{c_char, CString};

struct LastError {
    status: Status,
    http_status: u16,
    message: CString,
    oauth_error: Option<CString>,
    oauth_error_description: Option<CString>,
    oauth_error_uri: Option<CString>,
    retry_after: u64,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

pub(crate) fn clear() {
    LAST_ERROR.with(|last| last.borrow_mut().take());
}

pub(crate) fn set(error: &Error) {
    let oauth = error.oauth_error();
    let stored = LastError {
        status: error.status(),
        http_status: error.http_status().unwrap_or(0),
        message: lossy_c_string(error.message()),
        oauth_error: oauth.map(|o| lossy_c_string(&o.error)),
        oauth_error_description: oauth.and_then(|o| o.description.as_deref()).map(lossy_c_string),
        oauth_error_uri: oauth.and_then(|o| o.uri.as_deref()).map(lossy_c_string),
        retry_after: error.retry_after().unwrap_or(0),
    };
    LAST_ERROR.with(|last| *last.borrow_mut() = Some(stored));
}

fn read<T>(f: impl FnOnce(&LastError) -> T, none: T) -> T {
    LAST_ERROR.with(|last| last.borrow().as_ref().map(f).unwrap_or(none))
}

fn borrowed(s: Option<&CString>) -> *const c_char {
    s.map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Status of the last failed call on this thread, or `QFLOW_STATUS_OK` when the last fallible call
/// succeeded (or none was made).
///
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_status() -> Status {
    read(|e| e.status, Status::Ok)
}

/// HTTP status of the response behind the last failure on this thread; 0 when there was no HTTP
/// response (e.g. invalid argument, connection refused, timeout before an answer).
///
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_http_status() -> u16 {
    read(|e| e.http_status, 0)
}

/// A message describing the last failure on this thread, safe to log: it never contains a password,
/// secret, token or response body. NULL when the last fallible call succeeded.
///
/// Ownership: borrowed; valid until the next fallible call on this thread. Do not free.
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_message() -> *const c_char {
    read(|e| e.message.as_ptr(), std::ptr::null())
}

/// The server's OAuth `error` code (e.g. "invalid_grant") for a `QFLOW_STATUS_OAUTH` failure on this
/// thread; NULL otherwise.
///
/// Ownership: borrowed; valid until the next fallible call on this thread. Do not free.
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_oauth_error() -> *const c_char {
    read(|e| borrowed(e.oauth_error.as_ref()), std::ptr::null())
}

/// The server's `error_description` for the last OAuth failure on this thread; NULL when the server
/// sent none or the failure was not an OAuth error. Server-provided text: treat it as untrusted.
///
/// Ownership: borrowed; valid until the next fallible call on this thread. Do not free.
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_description() -> *const c_char {
    read(|e| borrowed(e.oauth_error_description.as_ref()), std::ptr::null())
}

/// The server's `error_uri` for the last OAuth failure on this thread; NULL when absent.
///
/// Ownership: borrowed; valid until the next fallible call on this thread. Do not free.
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_uri() -> *const c_char {
    read(|e| borrowed(e.oauth_error_uri.as_ref()), std::ptr::null())
}

/// How long, in seconds, the server asked to wait before retrying (`Retry-After`, e.g. with a 503
/// from revocation) for the last failure on this thread; 0 when it did not say.
///
/// Thread-safety: reads only the calling thread's state.
#[no_mangle]
pub extern "C" fn qflow_last_error_retry_after() -> u64 {
    read(|e| e.retry_after, 0)
}

/// A static description of a status code, e.g. "network error"; "unknown status" for a value that
/// is not a `qflow_status`.
///
/// Ownership: static; never free it. Thread-safety: safe from any thread.
#[no_mangle]
pub extern "C" fn qflow_status_str(status: u32) -> *const c_char {
    Status::from_code(status).map_or(c"unknown status", Status::description_c).as_ptr()
}
