//! Strings handed to C: owned ones released by `qflow_string_free`, zeroed first.

use super::boundary::infallible;
use std::ffi::{c_char, CString};
use zeroize::Zeroize;

/// A C string of `text`; NUL characters (possible in server-sent JSON) become U+FFFD so that nothing
/// is cut off silently.
pub(crate) fn lossy_c_string(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|_| {
        CString::new(text.replace('\0', "\u{FFFD}")).expect("NUL characters were replaced")
    })
}

/// Hands `text` to C as an owned string.
pub(crate) fn owned_c_string(text: &str) -> *mut c_char {
    lossy_c_string(text).into_raw()
}

/// Releases a string returned as owned by this library (e.g. by `qflow_fetch_token`), overwriting it
/// with zeros first since it may hold a token.
///
/// Ownership: takes ownership of `s`; it must not be used afterwards. Only strings documented as
/// "owned, free with qflow_string_free" may be passed; never a borrowed one or one from malloc.
/// NULL: accepted and ignored. Must not be called twice with the same pointer.
/// Thread-safety: may be called from any thread.
#[no_mangle]
pub unsafe extern "C" fn qflow_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    infallible((), || {
        // SAFETY: the caller passes a pointer from CString::into_raw in this library, exactly once.
        let mut owned = unsafe { CString::from_raw(s) };
        owned.zeroize();
    })
}
