//! The operating system's trust store is used by default. In a binary of its own: it points the
//! store at the test CA through SSL_CERT_FILE (which the store honours, like OpenSSL), and the store is
//! read once per process.

mod support;

use qflow_auth::{ClientOptions, TokenClient};
use support::*;

#[test]
fn system_trust_store_is_used_by_default() {
    std::env::set_var("SSL_CERT_FILE", &server().ca_file);
    std::env::remove_var("SSL_CERT_DIR");
    let client = TokenClient::new(&server().https_url("core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
        .unwrap();
    client.request_password(JOE, password(JOE), None).unwrap();
    // The one-call path too, with no options at all.
    qflow_auth::fetch_token(Some(&server().https_url("core")), RESOWNER, Some(secret(RESOWNER)), JOE, password(JOE), None)
        .unwrap();
}
