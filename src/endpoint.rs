//! Endpoint URLs: parsed and checked once, before any request is made.

use crate::error::{Error, Result};
use std::net::IpAddr;
use ureq::http::Uri;

/// A validated `http(s)://` URL of a server endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    url: String,
    authority: String,
    loopback: bool,
}

impl Endpoint {
    /// Checks `url`, naming the parameter `param` in every error.
    ///
    /// Refused: anything but `https://` and `http://`, a missing host, user information in the URL
    /// (credentials belong in their own parameters, not in a string that ends up in logs), and `http://`
    /// to a host other than loopback unless `allow_insecure_http` is set: the request carries secrets.
    pub fn parse(param: &str, url: &str, allow_insecure_http: bool) -> Result<Endpoint> {
        if url.trim().is_empty() {
            return Err(Error::invalid_argument(format!("{param} must not be empty")));
        }
        let malformed = || Error::invalid_argument(format!("{param} is not a valid URL (expected https://host/path)"));
        let uri: Uri = url.parse().map_err(|_| malformed())?;
        let scheme = uri.scheme_str().ok_or_else(malformed)?;
        let authority = uri.authority().ok_or_else(malformed)?;
        if authority.as_str().contains('@') {
            return Err(Error::invalid_argument(format!(
                "{param} must not contain user information (user:password@); pass client credentials separately"
            )));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(malformed());
        }
        let loopback = is_loopback_host(host);
        match scheme {
            "https" => {}
            "http" if loopback || allow_insecure_http => {}
            "http" => {
                return Err(Error::invalid_argument(format!(
                    "{param} uses http:// to {host}, which is not loopback: credentials would travel unencrypted; \
                     use https:// or explicitly allow insecure HTTP"
                )))
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "{param} has scheme \"{}\"; only https:// (and http:// for loopback) are supported",
                    crate::error::printable(other)
                )))
            }
        }
        Ok(Endpoint { url: url.to_string(), authority: authority.as_str().to_string(), loopback })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// `host[:port]`, for messages: unlike the full URL it cannot carry a query string.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn refused(url: &str, allow_insecure: bool) -> String {
        let err = Endpoint::parse("token_url", url, allow_insecure).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
        assert!(err.message().contains("token_url"), "message must name the parameter: {}", err.message());
        err.message().to_string()
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        for url in [
            "https://identity.qflowhub.io/core/connect/token",
            "http://127.0.0.1:8080/core/connect/token",
            "http://127.1.2.3/x",
            "http://localhost:1/x",
            "http://[::1]:9000/core/connect/token",
        ] {
            Endpoint::parse("token_url", url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        assert!(Endpoint::parse("u", "http://[::1]:9/x", false).unwrap().is_loopback());
        assert!(!Endpoint::parse("u", "https://example.com/x", false).unwrap().is_loopback());
    }

    #[test]
    fn refuses_plain_http_to_remote_hosts_unless_allowed() {
        assert!(refused("http://identity.qflowhub.io/core/connect/token", false).contains("http://"));
        assert!(refused("http://10.0.0.1/token", false).contains("loopback"));
        Endpoint::parse("token_url", "http://10.0.0.1/token", true).unwrap();
    }

    #[test]
    fn refuses_malformed_urls_and_other_schemes() {
        refused("", false);
        refused("   ", false);
        refused("not a url", false);
        refused("identity.qflowhub.io/core/connect/token", false);
        assert!(refused("ftp://example.com/token", false).contains("ftp"));
        assert!(refused("https://user:pw@example.com/token", false).contains("user information"));
    }

    #[test]
    fn error_messages_do_not_echo_user_information() {
        let message = refused("https://user:topsecret@example.com/token", false);
        assert!(!message.contains("topsecret"));
    }
}
