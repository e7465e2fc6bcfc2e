//! Token responses (RFC 6749 section 5.1).

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::response;
use crate::transport::HttpResponse;
use serde_json::{Map, Value};
use std::fmt;
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// A successful token response. Every member the server sent stays readable by name; the strings in
/// it are zeroed when the token is dropped.
pub struct Token {
    claims: Claims,
    received_at: SystemTime,
    expires_in: Option<u64>,
    expires_at: Option<SystemTime>,
}

impl Token {
    /// Parses a success body. `received_at` is when it arrived; it anchors the absolute expiry.
    pub fn parse(raw: Zeroizing<String>, received_at: SystemTime) -> Result<Token> {
        Token::from_claims(Claims::parse(raw)?, received_at)
    }

    /// Checks a token response's members.
    pub(crate) fn from_claims(claims: Claims, received_at: SystemTime) -> Result<Token> {
        match claims.get("access_token") {
            // RFC 6750 tokens are printable ASCII; a control character (NUL above all) would be cut off
            // in C and break the Authorization header it is meant for.
            Some(Value::String(s)) if !s.is_empty() && !s.chars().any(char::is_control) => {}
            Some(_) => {
                return Err(Error::malformed_response(
                    "the token response's access_token is not a non-empty string without control characters",
                ))
            }
            None => return Err(Error::malformed_response("the token response has no access_token")),
        }
        let expires_in = parse_expires_in(claims.get("expires_in"))?;
        let expires_at = expires_in.and_then(|secs| received_at.checked_add(Duration::from_secs(secs)));
        Ok(Token { claims, received_at, expires_in, expires_at })
    }

    pub fn access_token(&self) -> &str {
        self.string("access_token").expect("checked by Token::parse")
    }

    /// As the server sent it; compare case-insensitively (RFC 6749 section 5.1).
    pub fn token_type(&self) -> Option<&str> {
        self.string("token_type")
    }

    /// Lifetime in seconds as sent (a number, or a numeric string as some servers send).
    pub fn expires_in(&self) -> Option<u64> {
        self.expires_in
    }

    /// The moment the token expires: the time the response arrived plus `expires_in`.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether the token has expired, or will within `leeway`. A token without `expires_in` never
    /// counts as expired: nothing says when it would.
    pub fn is_expired(&self, leeway: Duration) -> bool {
        match self.expires_at {
            Some(at) => SystemTime::now().checked_add(leeway).is_none_or(|deadline| deadline >= at),
            None => false,
        }
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.string("refresh_token")
    }

    pub fn scope(&self) -> Option<&str> {
        self.string("scope")
    }

    pub fn id_token(&self) -> Option<&str> {
        self.string("id_token")
    }

    /// When the response arrived.
    pub fn received_at(&self) -> SystemTime {
        self.received_at
    }

    /// Any member of the response by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// All members of the response.
    pub fn fields(&self) -> &Map<String, Value> {
        self.claims.members()
    }

    /// The response body exactly as received.
    pub fn raw_json(&self) -> &str {
        self.claims.raw_json()
    }

    fn string(&self, name: &str) -> Option<&str> {
        self.claims.string(name)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type())
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope())
            .field("fields", &self.fields().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn parse_expires_in(value: Option<&Value>) -> Result<Option<u64>> {
    let invalid = || Error::malformed_response("the token response's expires_in is not a non-negative number");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => Ok(Some(secs)),
            (None, Some(f)) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
            _ => Err(invalid()),
        },
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| invalid()),
        Some(_) => Err(invalid()),
    }
}

/// Interprets a token endpoint's answer: a token, an OAuth error, or an HTTP error.
pub fn from_response(response: HttpResponse, received_at: SystemTime) -> Result<Token> {
    let status = response.status;
    let claims = response::json_object(response, "the token endpoint")?;
    Token::from_claims(claims, received_at)
        .map_err(|e| Error::malformed_response(format!("{} (HTTP {status})", e.message())).with_http_status(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some(content_type.to_string()),
            location: None,
            www_authenticate: None,
            retry_after: None,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    fn parse(status: u16, body: &str) -> Result<Token> {
        from_response(response(status, "application/json", body), SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn parses_an_identityserver3_success() {
        let t = parse(
            200,
            r#"{"access_token":"abc","expires_in":3600,"token_type":"Bearer","refresh_token":"r1","id_token":"i"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token(), "abc");
        assert_eq!(t.token_type(), Some("Bearer"));
        assert_eq!(t.expires_in(), Some(3600));
        assert_eq!(t.expires_at(), Some(SystemTime::UNIX_EPOCH + Duration::from_secs(3600)));
        assert_eq!(t.refresh_token(), Some("r1"));
        assert_eq!(t.id_token(), Some("i"));
        assert_eq!(t.scope(), None);
        assert!(t.is_expired(Duration::ZERO), "expiry in 1970 is in the past");
    }

    #[test]
    fn accepts_string_expiry_lowercase_type_and_extra_members() {
        let t = parse(200, r#"{"access_token":"abc","expires_in":"120","token_type":"bearer","iat":17,"scope":"a b"}"#)
            .unwrap();
        assert_eq!(t.expires_in(), Some(120));
        assert_eq!(t.token_type(), Some("bearer"));
        assert_eq!(t.get("iat"), Some(&Value::from(17)));
        assert_eq!(t.scope(), Some("a b"));
        assert!(t.raw_json().contains("\"iat\":17"));
    }

    #[test]
    fn missing_expiry_means_unknown_not_expired() {
        let t = parse(200, r#"{"access_token":"abc","token_type":"Bearer"}"#).unwrap();
        assert_eq!(t.expires_in(), None);
        assert_eq!(t.expires_at(), None);
        assert!(!t.is_expired(Duration::from_secs(1_000_000)));
    }

    #[test]
    fn expiry_respects_leeway() {
        let now = SystemTime::now();
        let t = Token::parse(Zeroizing::new(r#"{"access_token":"a","expires_in":100}"#.into()), now).unwrap();
        assert!(!t.is_expired(Duration::from_secs(50)));
        assert!(t.is_expired(Duration::from_secs(150)));
    }

    #[test]
    fn success_without_usable_access_token_is_malformed() {
        for body in [
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":42}"#,
            r#"{"access_token":"ab\u0000cd"}"#,
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_in":"soon"}"#,
            r#"[1,2]"#,
            "<html>ok</html>",
            r#"{"access_token":"abc","tok"#,
        ] {
            let err = parse(200, body).unwrap_err();
            assert_eq!(err.status(), Status::MalformedResponse, "{body}");
            assert_eq!(err.http_status(), Some(200));
        }
    }

    #[test]
    fn oauth_errors_carry_server_fields_on_400_and_401() {
        for status in [400, 401] {
            let err = parse(
                status,
                r#"{"error":"invalid_client","error_description":"bad secret","error_uri":"https://e/x"}"#,
            )
            .unwrap_err();
            assert_eq!(err.status(), Status::Oauth);
            assert_eq!(err.http_status(), Some(status));
            let oauth = err.oauth_error().unwrap();
            assert_eq!(oauth.error, "invalid_client");
            assert_eq!(oauth.description.as_deref(), Some("bad secret"));
            assert_eq!(oauth.uri.as_deref(), Some("https://e/x"));
        }
    }

    #[test]
    fn html_errors_become_http_errors_without_the_body() {
        let page = "<html><body>Internal Server Error: secret stack trace</body></html>";
        let err = from_response(response(500, "text/html", page), SystemTime::now()).unwrap_err();
        assert_eq!(err.status(), Status::Http);
        assert_eq!(err.http_status(), Some(500));
        assert!(err.message().contains("500"));
        assert!(err.message().contains("text/html"));
        assert!(!err.message().contains("stack trace"), "{}", err.message());
    }

    #[test]
    fn empty_error_bodies_become_http_errors() {
        let err = parse(403, "").unwrap_err();
        assert_eq!((err.status(), err.http_status()), (Status::Http, Some(403)));
    }

    #[test]
    fn redirects_are_reported_not_followed() {
        let mut r = response(301, "text/html", "");
        r.location = Some("https://id.example/core/connect/token/?secret=1".into());
        let err = from_response(r, SystemTime::now()).unwrap_err();
        assert_eq!((err.status(), err.http_status()), (Status::Http, Some(301)));
        assert!(err.message().contains("redirect"));
        assert!(err.message().contains("https://id.example/core/connect/token/"));
        assert!(!err.message().contains("secret=1"));
    }

    #[test]
    fn debug_output_hides_tokens() {
        let t = parse(200, r#"{"access_token":"SECRET-AT","refresh_token":"SECRET-RT","token_type":"Bearer"}"#).unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("Bearer"));
    }
}
