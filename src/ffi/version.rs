//! The library's version at run time, to check against the header's `QFLOW_AUTH_VERSION*` macros.

use std::ffi::c_char;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version, e.g. "0.1.0". Compare it with `QFLOW_AUTH_VERSION` to detect a header that
/// does not match the library loaded at run time.
///
/// Ownership: static; never free it. Thread-safety: safe from any thread.
#[no_mangle]
pub extern "C" fn qflow_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
