//! `qflow_claims`: a JSON object from introspection or userinfo, with borrowed getters.
//!
//! Functions: `qflow_claims_is_active`, `qflow_claims_get`, `qflow_claims_raw_json`,
//! `qflow_claims_free`.

use super::boundary::infallible;
use super::view::{member_name, read, CView};
use crate::claims::Claims;
use std::ffi::c_char;

/// Claims about a token (introspection) or a user (userinfo). Immutable once created.
///
/// Ownership: returned by `qflow_client_introspect` and `qflow_client_userinfo`; release it with
/// `qflow_claims_free`. Strings from getters are borrowed until then.
/// Thread-safety: getters may be called from any number of threads at once.
#[allow(non_camel_case_types)]
pub struct qflow_claims {
    claims: Claims,
    view: CView,
}

impl qflow_claims {
    pub(crate) fn new(claims: Claims) -> qflow_claims {
        let view = CView::new(claims.members(), claims.raw_json());
        qflow_claims { claims, view }
    }
}

/// For an introspection answer: whether the token is active (`"active": true`). False for anything
/// else, and for NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_claims_is_active(claims: *const qflow_claims) -> bool {
    read(claims, false, |c| c.claims.is_active())
}

/// Any member by name: a string as its text, any other value as its JSON text (e.g. "true", "1735").
/// NULL if there is no such member or `name` is NULL or not UTF-8.
///
/// Ownership: borrowed; valid until `qflow_claims_free(claims)`. `name` is borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn qflow_claims_get(claims: *const qflow_claims, name: *const c_char) -> *const c_char {
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    let Some(name) = (unsafe { member_name(name) }) else {
        return std::ptr::null();
    };
    read(claims, std::ptr::null(), |c| c.view.get(name))
}

/// The answer exactly as received (JSON).
///
/// Ownership: borrowed; valid until `qflow_claims_free(claims)`. NULL claims: returns NULL.
#[no_mangle]
pub unsafe extern "C" fn qflow_claims_raw_json(claims: *const qflow_claims) -> *const c_char {
    read(claims, std::ptr::null(), |c| c.view.raw_json())
}

/// Releases claims, overwriting their strings with zeros.
///
/// Ownership: takes ownership of `claims`; it and every string borrowed from it must not be used
/// afterwards. NULL: accepted and ignored. Must not be called twice with the same pointer.
#[no_mangle]
pub unsafe extern "C" fn qflow_claims_free(claims: *mut qflow_claims) {
    if claims.is_null() {
        return;
    }
    // SAFETY: the caller passes a pointer from this library, exactly once.
    infallible((), || drop(unsafe { Box::from_raw(claims) }))
}
