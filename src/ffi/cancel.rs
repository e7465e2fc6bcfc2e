//! `qflow_cancel_token`: aborting requests in flight from another thread.
//!
//! Functions: `qflow_cancel_token_new`, `qflow_cancel_token_attach`, `qflow_cancel_token_detach`,
//! `qflow_cancel_token_cancel`, `qflow_cancel_token_is_cancelled`, `qflow_cancel_token_free`.

use super::boundary::{call, infallible};
use super::view::read;
use crate::cancel::{self, Cancellation};
use crate::error::Status;

/// A cancellation signal. Attach it to the thread that makes requests with
/// `qflow_cancel_token_attach`; `qflow_cancel_token_cancel` from any other thread then aborts the
/// request running on that thread (its socket is shut down, which wakes a blocked read or write at
/// once) and fails it, and every later request on that thread, with `QFLOW_STATUS_CANCELLED`, until
/// the token is detached. A thread waiting for another thread's token-source renewal stops waiting
/// within 50 ms.
///
/// Not interrupted: a token source's refresh request once sent (a server that rotates refresh tokens
/// has discarded the old one by then, so only the answer can keep the source able to renew: the call
/// returns when it arrives, and the source keeps it), a TCP connect in progress (it ends within the
/// connect timeout, then the request fails as cancelled), the wait for another process's file-cache
/// lock, and requests through a SOCKS proxy until their next step. Cancelling a direct
/// `qflow_client_request_refresh` does cut it short, with that risk.
///
/// Thread-safety: `qflow_cancel_token_cancel` and `qflow_cancel_token_is_cancelled` may be called
/// from any thread at any time.
#[allow(non_camel_case_types)]
pub struct qflow_cancel_token {
    inner: Cancellation,
}

/// Creates a cancel token, not cancelled.
///
/// Ownership: the caller owns the result and must release it with `qflow_cancel_token_free`.
/// Returns NULL only if a panic was caught (an internal error).
#[no_mangle]
pub extern "C" fn qflow_cancel_token_new() -> *mut qflow_cancel_token {
    infallible(std::ptr::null_mut(), || Box::into_raw(Box::new(qflow_cancel_token { inner: Cancellation::new() })))
}

/// Attaches `token` to the calling thread, replacing any token attached before; NULL detaches.
/// Requests made on this thread afterwards can be cancelled with it. Detach (or attach another) when
/// done: a cancelled token stays attached, and fails every request on the thread, until then.
///
/// Ownership: the thread keeps its own reference, so `token` may be freed while attached (it can then
/// no longer be cancelled). Attachments end when the thread exits.
/// Always returns `QFLOW_STATUS_OK`, except `QFLOW_STATUS_INTERNAL` if a panic was caught.
/// Thread-safety: affects only the calling thread.
#[no_mangle]
pub unsafe extern "C" fn qflow_cancel_token_attach(token: *const qflow_cancel_token) -> Status {
    call(|| {
        // SAFETY: the caller passes NULL or a live cancel token.
        let token = unsafe { token.as_ref() };
        cancel::attach(token.map(|t| t.inner.clone()));
        Ok(())
    })
}

/// Detaches whatever cancel token is attached to the calling thread; the same as
/// `qflow_cancel_token_attach(NULL)`, for bindings whose handle types cannot be NULL.
///
/// Thread-safety: affects only the calling thread.
#[no_mangle]
pub extern "C" fn qflow_cancel_token_detach() {
    infallible((), || {
        cancel::attach(None);
    })
}

/// Cancels: aborts the requests running under `token` and fails those started under it later.
/// Calling it again does nothing more.
///
/// NULL: ignored. Thread-safety: safe from any thread, also while another thread uses the token.
#[no_mangle]
pub unsafe extern "C" fn qflow_cancel_token_cancel(token: *const qflow_cancel_token) {
    read(token, (), |t| t.inner.cancel())
}

/// Whether `token` has been cancelled; false for NULL.
///
/// Thread-safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn qflow_cancel_token_is_cancelled(token: *const qflow_cancel_token) -> bool {
    read(token, false, |t| t.inner.is_cancelled())
}

/// Releases a cancel token. Threads it is attached to keep working with their own reference.
///
/// Ownership: takes ownership of `token`; NULL is ignored. Must not be called twice, nor while another
/// thread may still call `qflow_cancel_token_cancel` on it.
#[no_mangle]
pub unsafe extern "C" fn qflow_cancel_token_free(token: *mut qflow_cancel_token) {
    if !token.is_null() {
        // SAFETY: the caller passes a token from qflow_cancel_token_new, exactly once.
        infallible((), || drop(unsafe { Box::from_raw(token) }));
    }
}
