//! `application/x-www-form-urlencoded` request bodies (RFC 6749 Appendix B) and scope lists (section 3.3).

use crate::error::{Error, Result};
use zeroize::Zeroizing;

/// Encodes name/value pairs as a form body: UTF-8, then percent-encoding, space as `+`, so `+`, `&`, `=`
/// and `%` in a password travel as `%2B`, `%26`, `%3D` and `%25`.
///
/// The body holds secrets, so it is allocated once, big enough for the worst case (every byte
/// percent-encoded): growing a `String` would leave copies of the password in freed memory that
/// nothing zeroes.
pub fn encode(pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let worst_case = pairs.iter().map(|(n, v)| 3 * (n.len() + v.len()) + 2).sum::<usize>();
    let mut body = Zeroizing::new(String::with_capacity(worst_case));
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        body.extend(form_urlencoded::byte_serialize(name.as_bytes()));
        body.push('=');
        body.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }
    debug_assert!(body.len() <= worst_case, "no reallocation");
    body
}

/// One form-encoded value, e.g. a client id or secret for RFC 6749 section 2.3.1 Basic credentials.
/// Allocated once for the worst case, as in [`encode`].
pub fn encode_component(value: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(3 * value.len()));
    out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    out
}

/// Normalises a scope list to RFC 6749's space-separated form.
///
/// Accepts scopes separated by spaces or by `+`, because QFlow Hub's quick-start hands out the
/// pre-encoded `qflowapi+openid+offline_access`; encoding that verbatim would send one scope with plus
/// signs in it. A literal `+` inside a scope name is therefore not supported. Returns `None` when the
/// list is empty, so that no `scope` parameter is sent.
pub fn normalize_scope(scope: &str) -> Result<Option<String>> {
    let mut names = Vec::new();
    for name in scope.split(|c: char| c == '+' || c.is_ascii_whitespace()).filter(|s| !s.is_empty()) {
        // RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        if let Some(bad) = name.chars().find(|&c| !matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')) {
            return Err(Error::invalid_argument(format!(
                "scope contains the character {bad:?}, which RFC 6749 does not allow in a scope name"
            )));
        }
        names.push(name);
    }
    Ok(if names.is_empty() { None } else { Some(names.join(" ")) })
}

/// RFC 4648 base64 with padding, for HTTP Basic credentials. Sized exactly up front for the same
/// reason as [`encode`]: the input is a client secret.
pub fn base64(input: &[u8]) -> Zeroizing<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Zeroizing::new(String::with_capacity(input.len().div_ceil(3) * 4));
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_non_ascii_characters() {
        let body = encode(&[("password", "p&ss+w rd=%é"), ("username", "joe")]);
        assert_eq!(body.as_str(), "password=p%26ss%2Bw+rd%3D%25%C3%A9&username=joe");
    }

    #[test]
    fn encodes_single_components() {
        assert_eq!(encode_component("s&cr+t =%é:x").as_str(), "s%26cr%2Bt+%3D%25%C3%A9%3Ax");
    }

    #[test]
    fn encodes_empty_list_and_empty_values() {
        assert_eq!(encode(&[]).as_str(), "");
        assert_eq!(encode(&[("a", "")]).as_str(), "a=");
    }

    #[test]
    fn encoded_form_round_trips_through_a_form_parser() {
        let value = "a+b c&d=e%f/g?h#i~é😀\u{7f}";
        let body = encode(&[("v", value)]);
        let parsed: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert_eq!(parsed, vec![("v".to_string(), value.to_string())]);
    }

    #[test]
    fn scope_accepts_quickstart_plus_form() {
        assert_eq!(
            normalize_scope("qflowapi+openid+offline_access").unwrap().as_deref(),
            Some("qflowapi openid offline_access")
        );
        assert_eq!(
            normalize_scope("  qflowapi   openid\toffline_access ").unwrap().as_deref(),
            Some("qflowapi openid offline_access")
        );
        assert_eq!(normalize_scope(" + ").unwrap(), None);
        assert_eq!(normalize_scope("").unwrap(), None);
    }

    #[test]
    fn scope_rejects_characters_outside_rfc_6749() {
        for bad in ["qflow\"api", "back\\slash", "café"] {
            let err = normalize_scope(bad).unwrap_err();
            assert_eq!(err.status(), crate::Status::InvalidArgument);
            assert!(err.message().contains("scope"), "{}", err.message());
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()).as_str(), expected, "input {input:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]).as_str(), "//79");
    }
}
