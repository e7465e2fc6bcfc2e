//! What an OAuth server's answer means, for every endpoint: a JSON object, an OAuth error (in the
//! body, RFC 6749 section 5.2, or in `WWW-Authenticate`, RFC 6750 section 3), or an HTTP error.

use crate::claims::Claims;
use crate::error::{printable, Error, OAuthError, Result};
use crate::transport::HttpResponse;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// The JSON object of a 2xx answer, or the error the answer carries. `what` names the endpoint in
/// messages, e.g. "the token endpoint".
pub fn json_object(mut response: HttpResponse, what: &str) -> Result<Claims> {
    let status = response.status;
    refuse_redirect(&response, what)?;
    // Parsed once; the same members serve the error check and the result.
    let members = object_members(&response.body);
    check_error(&response, members.as_ref(), what)?;
    let malformed = |detail: String| Error::malformed_response(detail).with_http_status(status);
    let Some(members) = members else {
        let shown_type = shown_content_type(response.content_type.as_deref());
        return Err(malformed(format!("{what} answered HTTP {status} with a body that is not a JSON object ({shown_type})")));
    };
    // A body that parsed as JSON is UTF-8, so this takes the bytes over without copying them.
    let raw = String::from_utf8(std::mem::take(&mut *response.body))
        .map_err(|_| malformed(format!("{what} answered HTTP {status} with a body that is not UTF-8")))?;
    Ok(Claims::from_parts(Zeroizing::new(raw), members))
}

/// Success without a body of interest (revocation): any 2xx, else the error the answer carries.
pub fn no_content(response: HttpResponse, what: &str) -> Result<()> {
    refuse_redirect(&response, what)?;
    check_error(&response, object_members(&response.body).as_ref(), what)
}

fn object_members(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Some(members),
        _ => None,
    }
}

fn refuse_redirect(response: &HttpResponse, what: &str) -> Result<()> {
    let status = response.status;
    if !(300..400).contains(&status) {
        return Ok(());
    }
    let target = response
        .location
        .as_deref()
        .map(|l| format!(" to {}", printable(l.split(['?', '#']).next().unwrap_or(""))))
        .unwrap_or_default();
    Err(Error::http(
        status,
        format!(
            "{what} answered with a redirect (HTTP {status}){target}; redirects are not followed for OAuth \
             requests: check the URL (a missing or extra trailing slash is a common cause)"
        ),
    ))
}

/// The error in an answer: an OAuth error in the body or the `WWW-Authenticate` header, or any
/// non-2xx status.
fn check_error(response: &HttpResponse, members: Option<&Map<String, Value>>, what: &str) -> Result<()> {
    let status = response.status;
    let oauth = members.and_then(oauth_error_in).or_else(|| {
        let challenge = response.www_authenticate.as_deref()?;
        bearer_challenge_error(challenge)
    });
    if let Some(oauth) = oauth {
        return Err(Error::oauth(status, oauth));
    }
    if (200..300).contains(&status) {
        return Ok(());
    }
    let mut message = format!(
        "{what} answered HTTP {status} without an OAuth error ({} body of {} bytes, not shown)",
        shown_content_type(response.content_type.as_deref()),
        response.body.len()
    );
    // Retry-After may also be an HTTP date; only the seconds form is understood.
    let retry_after = response.retry_after.as_deref().and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(seconds) = retry_after {
        message.push_str(&format!("; the server asks to retry after {seconds} s"));
    }
    let error = Error::http(status, message);
    Err(match retry_after {
        Some(seconds) => error.with_retry_after(seconds),
        None => error,
    })
}

fn shown_content_type(content_type: Option<&str>) -> String {
    content_type.map(printable).unwrap_or_else(|| "no content type".to_string())
}

/// The OAuth error in a response's members, if there is a non-empty string `error`.
fn oauth_error_in(members: &Map<String, Value>) -> Option<OAuthError> {
    let string = |name: &str| members.get(name).and_then(Value::as_str).map(str::to_string);
    let error = string("error").filter(|e| !e.is_empty())?;
    Some(OAuthError { error, description: string("error_description"), uri: string("error_uri") })
}

/// `error`, `error_description` and `error_uri` of a `Bearer` challenge (RFC 6750 section 3), e.g.
/// `Bearer error="invalid_token", error_description="expired"`.
fn bearer_challenge_error(challenge: &str) -> Option<OAuthError> {
    let params = challenge.trim_start().strip_prefix("Bearer")?.trim_start();
    let mut found = Map::new();
    let mut rest = params;
    while let Some((name, after)) = rest.split_once('=') {
        let name = name.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        found.insert(name.to_string(), Value::String(value.to_string()));
        rest = remaining.trim_start().trim_start_matches(',');
    }
    oauth_error_in(&found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some("application/json".into()),
            location: None,
            www_authenticate: None,
            retry_after: None,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn bearer_challenges_become_oauth_errors() {
        let mut r = response(401, "");
        r.www_authenticate = Some(r#"Bearer realm="x", error="invalid_token", error_description="it expired""#.into());
        let err = json_object(r, "the userinfo endpoint").unwrap_err();
        assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(401)));
        assert_eq!(err.oauth_error().unwrap().error, "invalid_token");
        assert_eq!(err.oauth_error().unwrap().description.as_deref(), Some("it expired"));

        let mut r = response(403, "");
        r.www_authenticate = Some("Bearer error=insufficient_scope, scope=\"openid\"".into());
        assert_eq!(json_object(r, "x").unwrap_err().oauth_error().unwrap().error, "insufficient_scope");

        let mut r = response(401, "");
        r.www_authenticate = Some("Basic realm=\"x\"".into());
        assert_eq!(json_object(r, "x").unwrap_err().status(), Status::Http, "no Bearer error: plain HTTP error");
    }

    #[test]
    fn retry_after_is_reported() {
        let mut r = response(503, "");
        r.retry_after = Some("7".into());
        let err = no_content(r, "the revocation endpoint").unwrap_err();
        assert_eq!((err.status(), err.http_status()), (Status::Http, Some(503)));
        assert!(err.message().contains("retry after 7 s"), "{}", err.message());
        assert_eq!(err.retry_after(), Some(7));
    }

    #[test]
    fn no_content_accepts_any_success() {
        no_content(response(200, ""), "x").unwrap();
        no_content(response(204, ""), "x").unwrap();
        assert_eq!(no_content(response(400, r#"{"error":"invalid_request"}"#), "x").unwrap_err().status(), Status::Oauth);
    }
}
