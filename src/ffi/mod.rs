//! The C ABI: a thin layer that converts arguments, catches panics, records the last error and hands
//! out owned strings and handles. No OAuth logic lives here.
//!
//! Conventions for every function (also in the header's preamble):
//! - Fallible functions return a [`Status`](crate::Status); outputs are written only on success.
//! - After a failure, `qflow_last_error_*` describe it on the calling thread until that thread's next
//!   fallible call.
//! - Everything returned as owned is released with the matching `*_free` function, which accepts NULL.

// Pointer requirements are written in each function's doc comment in C terms (ownership, NULL), since
// that text is what cbindgen copies into the header; a separate Rust `# Safety` section would repeat it.
#![allow(clippy::missing_safety_doc)]

mod boundary;
mod cancel;
mod claims;
mod client;
mod last_error;
mod options;
mod quick;
mod source;
mod strings;
mod token;
mod version;
mod view;

pub use cancel::*;
pub use claims::*;
pub use client::*;
pub use last_error::*;
pub use options::*;
pub use quick::*;
pub use source::*;
pub use strings::*;
pub use token::*;
pub use version::*;

/// Builds the C view of a token as `qflow_token` getters would, for the fuzz target.
#[doc(hidden)]
pub(crate) fn fuzz_token_view(token: &crate::Token) {
    let view = view::CView::new(token.fields(), token.raw_json());
    let _ = (view.string("access_token"), view.get("expires_in"), view.raw_json());
}
