//! qflow-auth: an OAuth 2.0 token client for QFlow Hub's IdentityServer3 and any RFC 6749 server.
//!
//! The safe Rust core lives in the modules below; [`ffi`] is the C ABI over it, which the PHP and .NET
//! bindings use. See `include/qflow_auth.h` and the README for the C conventions.

mod cancel;
mod claims;
mod client;
mod discovery;
mod endpoint;
mod error;
mod file_cache;
mod form;
mod options;
mod quick;
mod resolver;
mod response;
mod secret;
mod source;
mod tcp_transport;
mod token;
mod transport;
mod tuned_transport;

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub use cancel::Cancellation;
pub use claims::Claims;
pub use client::TokenClient;
pub use discovery::{Discovery, DISCOVERY_TTL};
pub use error::{Error, OAuthError, Result, Status};
pub use options::{AuthMethod, ClientOptions, ProxySetting};
pub use quick::{fetch_token, QFLOW_HUB_SCOPE, QFLOW_HUB_TOKEN_URL};
pub use secret::Secret;
pub use source::{TokenSource, TokenSourceOptions, DEFAULT_SKEW};
pub use token::Token;
