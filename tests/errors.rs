//! Each kind of failure, as the local identity server produces it, and what the caller learns.

mod support;

use qflow_auth::{AuthMethod, ClientOptions, Error, Status, TokenClient};
use std::time::{Duration, Instant};
use support::*;

fn request(modes: &str, options: &ClientOptions) -> Error {
    TokenClient::new(&server().url(modes), RESOWNER, Some(secret(RESOWNER)), options)
        .unwrap()
        .request_password(JOE, password(JOE), None)
        .unwrap_err()
}

/// No error message may contain a secret the request carried, nor the server's body.
fn assert_safe(err: &Error) {
    let text = format!("{err} {err:?}");
    for secret in [secret(RESOWNER), password(JOE), "stack trace", "at-", "rt-"] {
        assert!(!text.contains(secret), "{secret:?} leaked into {text}");
    }
}

#[test]
fn oauth_errors_carry_the_server_fields() {
    let c = TokenClient::new(&server().url("core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default()).unwrap();
    let err = c.request_password(JOE, "wrong-password", None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(400)));
    let oauth = err.oauth_error().unwrap();
    assert_eq!(oauth.error, "invalid_grant");
    assert_eq!(oauth.description.as_deref(), Some("invalid_username_or_password"));
    assert!(err.message().contains("invalid_grant"));
    assert_safe(&err);

    let err = c.request_password(JOE, password(JOE), Some("qflowapi admin")).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "invalid_scope");

    let err = c.request_client_credentials(None).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "unauthorized_client");

    let err = c.request_grant("urn:example:unknown", &[]).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "unsupported_grant_type");
}

#[test]
fn invalid_client_is_400_on_identityserver3_and_401_elsewhere() {
    for (modes, status) in [("core", 400), ("oauth401", 401), ("rfc", 401)] {
        let c = TokenClient::new(&server().url(modes), RESOWNER, Some("wrong-secret"), &ClientOptions::default())
            .unwrap();
        let err = c.request_password(JOE, password(JOE), None).unwrap_err();
        assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(status)), "{modes}");
        assert_eq!(err.oauth_error().unwrap().error, "invalid_client");
        assert!(!err.message().contains("wrong-secret"));
    }
}

#[test]
fn html_500_is_an_http_error_without_the_page() {
    let err = request("html500", &ClientOptions::default());
    assert_eq!((err.status(), err.http_status()), (Status::Http, Some(500)));
    assert!(err.oauth_error().is_none());
    assert!(err.message().contains("text/html"), "{}", err.message());
    assert_safe(&err);
}

#[test]
fn empty_error_bodies_are_http_errors() {
    for status in [400u16, 401, 403] {
        let err = request(&format!("empty{status}"), &ClientOptions::default());
        assert_eq!((err.status(), err.http_status()), (Status::Http, Some(status)));
    }
}

#[test]
fn unusable_success_bodies_are_malformed_responses() {
    for modes in ["garbage", "truncated-json"] {
        let err = request(modes, &ClientOptions::default());
        assert_eq!((err.status(), err.http_status()), (Status::MalformedResponse, Some(200)), "{modes}");
        assert_safe(&err);
    }
}

#[test]
fn oversized_bodies_are_refused_at_the_cap() {
    // Announced length over the cap: refused before reading.
    let err = request("huge-2000000", &ClientOptions::default());
    assert_eq!(err.status(), Status::MalformedResponse);
    assert!(err.message().contains("1048576-byte limit"), "{}", err.message());

    // No announced length: refused once the cap is crossed.
    let err = request("chunked-2000000", &ClientOptions::default());
    assert_eq!(err.status(), Status::MalformedResponse);
    assert!(err.message().contains("max_response_bytes"), "{}", err.message());

    // A lower cap applies to normal responses too.
    let mut small = ClientOptions::default();
    small.set_max_response_bytes(64).unwrap();
    assert_eq!(request("core", &small).status(), Status::MalformedResponse);

    // And a body just under the default cap is read whole, so the cap is not lower than it says.
    let err = request("huge-1000000", &ClientOptions::default());
    assert_eq!(err.status(), Status::MalformedResponse, "the padding body is not valid JSON");
    assert!(err.message().contains("not a JSON object"), "{}", err.message());
}

#[test]
fn broken_connections_are_network_errors() {
    for modes in ["drop", "truncated"] {
        let err = request(modes, &ClientOptions::default());
        assert_eq!(err.status(), Status::Network, "{modes}: {}", err.message());
    }
    // Nothing listens on port 9 (discard) of loopback in the test environment.
    let c = TokenClient::new("http://127.0.0.1:9/connect/token", "id", Some("s"), &ClientOptions::default()).unwrap();
    let err = c.request_client_credentials(None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Network, None));
    assert!(err.message().contains("refused"), "{}", err.message());
}

#[test]
fn redirects_are_not_followed() {
    let err = request("tag-redirect/redirect", &ClientOptions::default());
    assert_eq!((err.status(), err.http_status()), (Status::Http, Some(301)));
    assert!(err.message().contains("redirect"), "{}", err.message());
    assert_eq!(server().stats("redirect")["requests"], 1, "the redirect target was not requested");
}

#[test]
fn slow_servers_hit_the_overall_timeout() {
    let mut options = ClientOptions::default();
    options.set_timeout(Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let err = request("slow-3000", &options);
    assert_eq!(err.status(), Status::Timeout, "{}", err.message());
    assert!(err.message().contains("300 ms"), "{}", err.message());
    assert!(started.elapsed() < Duration::from_millis(2500), "gave up after {:?}", started.elapsed());

    // A server that sends a byte at a time is cut off too.
    let err = request("trickle", &options);
    assert_eq!(err.status(), Status::Timeout, "{}", err.message());
}

#[test]
fn connect_timeout_covers_a_tls_handshake_that_never_completes() {
    // The kernel completes the TCP handshake for this listener, but nothing ever answers the TLS
    // ClientHello: only the connect timeout (which includes TLS) can end the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/token", silent.local_addr().unwrap());
    let mut options = ClientOptions::default();
    options.set_connect_timeout(Duration::from_millis(300)).unwrap();
    let c = TokenClient::new(&url, "id", Some("s"), &options).unwrap();
    let started = Instant::now();
    let err = c.request_client_credentials(None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Timeout, None), "{}", err.message());
    assert!(err.message().contains("connect_timeout"), "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(5), "gave up after {:?}", started.elapsed());
}

#[test]
fn bad_arguments_never_reach_the_network() {
    let options = ClientOptions::default();
    let new = |url: &str, id: &str, secret: Option<&str>| TokenClient::new(url, id, secret, &options).unwrap_err();
    let cases = [
        (new("", RESOWNER, None), "token_url"),
        (new("http://identity.qflowhub.io/core/connect/token", RESOWNER, None), "token_url"),
        (new("ftp://127.0.0.1/x", RESOWNER, None), "token_url"),
        (new(&server().url("core"), "", None), "client_id"),
        (new(&server().url("core"), RESOWNER, Some("")), "client_secret"),
    ];
    for (err, name) in cases {
        assert_eq!(err.status(), Status::InvalidArgument);
        assert!(err.message().starts_with(name), "{}", err.message());
    }
    let mut basic = ClientOptions::default();
    basic.set_auth_method(AuthMethod::ClientSecretBasicUnencoded);
    let err = TokenClient::new(&server().url("core"), "a:b", Some("s"), &basic).unwrap_err();
    assert!(err.message().starts_with("client_id"));
}
