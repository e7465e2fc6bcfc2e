//! The one error model of the library: a stable status code plus the details a caller needs.
//!
//! Every message built here is safe to log: it never contains a password, client secret, token or
//! response body. Server-provided OAuth fields are kept apart from the message so callers can decide.

use std::ffi::CStr;
use std::fmt;

/// Outcome of a library call. The values are part of the C ABI: never renumber or reuse one; retire a
/// value by leaving a comment in its place.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A parameter was NULL, not UTF-8, empty, out of range or malformed; the message names it.
    InvalidArgument = 1,
    /// The server could not be reached or the connection broke (DNS, refused, reset, closed early).
    Network = 2,
    /// A connect or overall timeout expired.
    Timeout = 3,
    /// TLS failed: untrusted or expired certificate, wrong host name, handshake or protocol error.
    Tls = 4,
    /// The server answered with an HTTP status that carries no OAuth error (e.g. an HTML 500, a redirect).
    Http = 5,
    /// The server answered with an OAuth error (RFC 6749 section 5.2), e.g. `invalid_grant`.
    Oauth = 6,
    /// The response could not be used: not JSON, no access token, or larger than the size cap.
    MalformedResponse = 7,
    /// A bug in this library (including a caught panic). Please report it.
    Internal = 8,
    /// The object cannot do what was asked in its current state, e.g. a token source that has neither
    /// a refresh token nor a kept password left to renew with.
    InvalidState = 9,
    /// A local file operation failed (the token file cache): permissions, a full disk, a lock.
    Io = 10,
    /// The request was cancelled from another thread (`qflow_cancel_token_cancel`).
    Cancelled = 11,
}

impl Status {
    /// A static, human-readable description of the status.
    pub fn description(self) -> &'static str {
        self.description_c().to_str().expect("descriptions are ASCII")
    }

    /// The same description NUL-terminated, for the C API.
    pub fn description_c(self) -> &'static CStr {
        match self {
            Status::Ok => c"success",
            Status::InvalidArgument => c"invalid argument",
            Status::Network => c"network error",
            Status::Timeout => c"timed out",
            Status::Tls => c"TLS error",
            Status::Http => c"unexpected HTTP response",
            Status::Oauth => c"OAuth error from the server",
            Status::MalformedResponse => c"malformed response",
            Status::Internal => c"internal error",
            Status::InvalidState => c"invalid state",
            Status::Io => c"local I/O error",
            Status::Cancelled => c"cancelled",
        }
    }

    /// The status for a raw code, if the code is one of ours.
    pub fn from_code(code: u32) -> Option<Status> {
        const ALL: [Status; 12] = [
            Status::Ok,
            Status::InvalidArgument,
            Status::Network,
            Status::Timeout,
            Status::Tls,
            Status::Http,
            Status::Oauth,
            Status::MalformedResponse,
            Status::Internal,
            Status::InvalidState,
            Status::Io,
            Status::Cancelled,
        ];
        ALL.into_iter().find(|s| *s as u32 == code)
    }
}

/// The `error`, `error_description` and `error_uri` members of an OAuth error response, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub error: String,
    pub description: Option<String>,
    pub uri: Option<String>,
}

/// A failed call: what kind of failure, a message safe to log, and what the server said, if anything.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
    http_status: Option<u16>,
    oauth: Option<OAuthError>,
    retry_after: Option<u64>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        debug_assert!(status != Status::Ok, "an error cannot have status Ok");
        Error { status, message: message.into(), http_status: None, oauth: None, retry_after: None }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Status::Internal, message)
    }

    pub fn malformed_response(message: impl Into<String>) -> Error {
        Error::new(Status::MalformedResponse, message)
    }

    /// An HTTP-level failure. The body is deliberately not part of it: it may be a whole HTML page.
    pub fn http(http_status: u16, message: impl Into<String>) -> Error {
        Error { http_status: Some(http_status), ..Error::new(Status::Http, message) }
    }

    /// An OAuth error response from the server.
    pub fn oauth(http_status: u16, oauth: OAuthError) -> Error {
        let message = format!(
            "the server refused the request with OAuth error \"{}\" (HTTP {})",
            printable(&oauth.error),
            http_status
        );
        Error { status: Status::Oauth, message, http_status: Some(http_status), oauth: Some(oauth), retry_after: None }
    }

    /// Attaches the server's `Retry-After`, in seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Error {
        self.retry_after = Some(seconds);
        self
    }

    /// Attaches the HTTP status of the response this error came from.
    pub fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = Some(http_status);
        self
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// A message that names what went wrong and never contains a secret or a response body.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the response, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// How long the server asked to wait before retrying (`Retry-After` in seconds, e.g. with a 503).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The server's OAuth error, for [`Status::Oauth`].
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        self.oauth.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    // Same fields as a derive would show; written out so the contract (nothing secret in here) is visible.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("oauth", &self.oauth)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl std::error::Error for Error {}

/// Server-sent text shortened and stripped of control characters before it goes into a message, so a
/// hostile server cannot forge log lines or flood them.
pub(crate) fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    let mut out: String = text.chars().take(MAX_CHARS).map(|c| if c.is_control() { '?' } else { c }).collect();
    if text.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_stable() {
        // These numbers are the C ABI; this test exists so that renumbering is a deliberate act.
        let expected = [
            (Status::Ok, 0),
            (Status::InvalidArgument, 1),
            (Status::Network, 2),
            (Status::Timeout, 3),
            (Status::Tls, 4),
            (Status::Http, 5),
            (Status::Oauth, 6),
            (Status::MalformedResponse, 7),
            (Status::Internal, 8),
            (Status::InvalidState, 9),
            (Status::Io, 10),
            (Status::Cancelled, 11),
        ];
        for (status, code) in expected {
            assert_eq!(status as u32, code);
            assert_eq!(Status::from_code(code), Some(status));
        }
        assert_eq!(Status::from_code(12), None);
    }

    #[test]
    fn oauth_error_message_names_the_code_and_status() {
        let e = Error::oauth(
            400,
            OAuthError { error: "invalid_grant".into(), description: Some("bad password".into()), uri: None },
        );
        assert_eq!(e.status(), Status::Oauth);
        assert_eq!(e.http_status(), Some(400));
        assert!(e.message().contains("invalid_grant"), "{}", e.message());
        assert!(e.message().contains("400"), "{}", e.message());
        assert_eq!(e.oauth_error().unwrap().description.as_deref(), Some("bad password"));
    }

    #[test]
    fn printable_strips_control_characters_and_bounds_length() {
        assert_eq!(printable("a\r\nb"), "a??b");
        let long = "x".repeat(500);
        assert_eq!(printable(&long).chars().count(), 101);
    }
}
