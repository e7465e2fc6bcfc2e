//! Entry points for the fuzz targets in `fuzz/` (not part of the API): everything that reads bytes a
//! server chose, reachable from one function.

use crate::claims::Claims;
use crate::transport::HttpResponse;
use crate::{discovery, endpoint::Endpoint, form, response, token};
use std::time::SystemTime;
use zeroize::Zeroizing;

/// Reads `data` as a server answer: the first line is the HTTP status (digits; anything else picks one
/// from its first byte), the second the `WWW-Authenticate` header, the third `Retry-After`, the rest
/// the body; then runs it through every interpretation a real answer can meet. Must never panic.
pub fn interpret_response(data: &[u8]) {
    let mut lines = data.splitn(4, |&b| b == b'\n');
    let status_line = lines.next().unwrap_or_default();
    let status = std::str::from_utf8(status_line)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
        .unwrap_or_else(|| 100 + u16::from(status_line.first().copied().unwrap_or(0)) * 2);
    let text = |line: Option<&[u8]>| line.and_then(|l| std::str::from_utf8(l).ok()).map(str::to_string);
    let www_authenticate = text(lines.next());
    let retry_after = text(lines.next());
    let body = lines.next().unwrap_or_default().to_vec();
    let answer = || HttpResponse {
        status,
        content_type: Some("application/json".into()),
        location: www_authenticate.clone(),
        www_authenticate: www_authenticate.clone(),
        retry_after: retry_after.clone(),
        body: Zeroizing::new(body.clone()),
    };

    if let Ok(token) = token::from_response(answer(), SystemTime::now()) {
        let _ = (token.access_token(), token.expires_at(), token.is_expired(std::time::Duration::from_secs(60)));
        crate::ffi::fuzz_token_view(&token);
    }
    let _ = response::no_content(answer(), "fuzz");
    if let Ok(claims) = response::json_object(answer(), "fuzz") {
        let _ = claims.is_active();
        let _ = discovery::fuzz_document(claims, "https://id.example/core");
    }
    if let Ok(text) = std::str::from_utf8(&body) {
        let _ = Claims::parse(Zeroizing::new(text.to_string()));
        let _ = token::Token::parse(Zeroizing::new(text.to_string()), SystemTime::UNIX_EPOCH);
        let _ = form::normalize_scope(text);
        let _ = Endpoint::parse("fuzz", text, false);
    }
}
