//! TLS against certificates made at test time: each failure is a TLS error that says what was wrong.

mod support;

use qflow_auth::{ClientOptions, Error, Status, TokenClient};
use support::*;

/// A password-grant request to `base`'s token endpoint, trusting the test CA when `trust_ca` is set.
fn request(base: &str, trust_ca: bool) -> Result<(), Error> {
    let mut options = ClientOptions::default();
    if trust_ca {
        options.set_ca_file(Some(server().ca_file.clone().into())).unwrap();
    }
    let url = format!("{base}/core/connect/token");
    let client = TokenClient::new(&url, RESOWNER, Some(secret(RESOWNER)), &options)?;
    client.request_password(JOE, password(JOE), None).map(drop)
}

fn tls_error(base: &str, trust_ca: bool) -> String {
    let err = request(base, trust_ca).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Tls, None), "{}", err.message());
    err.message().to_string()
}

#[test]
fn trusted_through_an_extra_ca_file() {
    request(&server().https, true).unwrap();
}

#[test]
fn untrusted_ca_is_refused() {
    let message = tls_error(&server().https, false);
    assert!(message.contains("not signed by a trusted CA"), "{message}");
}

#[test]
fn wrong_host_name_is_refused() {
    let message = tls_error(&server().https_wrong_host, true);
    assert!(message.contains("not valid for that host name"), "{message}");
}

#[test]
fn expired_certificate_is_refused() {
    let message = tls_error(&server().https_expired, true);
    assert!(message.contains("has expired"), "{message}");
}

#[test]
fn tls_1_1_only_server_is_refused() {
    let message = tls_error(&server().https_tls11, true);
    assert!(message.contains("TLS 1.2 or newer is required"), "{message}");
}

#[test]
fn unusable_ca_files_are_invalid_arguments_at_creation() {
    let dir = std::env::temp_dir().join(format!("qflow-ca-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let key_only = dir.join("key.pem");
    std::fs::write(&key_only, "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    for (path, expected) in [
        (dir.join("missing.pem"), "cannot be read"),
        (not_pem, "contains no PEM certificate"),
        (key_only, "contains no PEM certificate"),
    ] {
        let mut options = ClientOptions::default();
        options.set_ca_file(Some(path.clone())).unwrap();
        let err = TokenClient::new(&server().https_url("core"), RESOWNER, None, &options).unwrap_err();
        assert_eq!(err.status(), Status::InvalidArgument);
        assert!(err.message().starts_with("ca_file") && err.message().contains(expected), "{}", err.message());
    }
    std::fs::remove_dir_all(dir).unwrap();
}
