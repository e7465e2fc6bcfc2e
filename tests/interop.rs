//! Interoperability with a real authorization server nobody on this team wrote: django-oauth-toolkit,
//! set up and started by tests/interop/run.sh, which runs these tests (they are ignored by a plain
//! `cargo test`, which has no such server).

use qflow_auth::{AuthMethod, ClientOptions, Error, Status, TokenClient, TokenSource, TokenSourceOptions};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

const NEEDS_SERVER: &str = "needs django-oauth-toolkit: run tests/interop/run.sh";

struct Interop {
    base: String,
    fixtures: Value,
}

fn interop() -> &'static Interop {
    static INTEROP: OnceLock<Interop> = OnceLock::new();
    INTEROP.get_or_init(|| {
        let base = std::env::var("QFLOW_INTEROP_BASE").expect(NEEDS_SERVER);
        let fixtures = serde_json::from_str(&std::env::var("QFLOW_INTEROP_FIXTURES").expect(NEEDS_SERVER)).unwrap();
        Interop { base, fixtures }
    })
}

fn fixture(path: &[&str]) -> String {
    let mut value = &interop().fixtures;
    for key in path {
        value = &value[*key];
    }
    value.as_str().unwrap().to_string()
}

fn url(endpoint: &str) -> String {
    format!("{}/o/{endpoint}/", interop().base)
}

fn options(method: AuthMethod) -> ClientOptions {
    let mut options = ClientOptions::default();
    options.set_auth_method(method);
    options.set_revocation_url(Some(url("revoke_token"))).unwrap();
    options.set_introspection_url(Some(url("introspect"))).unwrap();
    options
}

fn client(which: &str, method: AuthMethod) -> TokenClient {
    TokenClient::new(&url("token"), &fixture(&[which, "id"]), Some(&fixture(&[which, "secret"])), &options(method)).unwrap()
}

fn password_client(method: AuthMethod) -> TokenClient {
    client("password_client", method)
}

fn user() -> (String, String) {
    (fixture(&["user", "name"]), fixture(&["user", "password"]))
}

/// What the server answers to a form POST made without this library, to compare our errors with.
fn raw_answer(form: &[(&str, &str)]) -> (u16, Value) {
    let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build());
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut response = agent
        .post(&url("token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
}

fn assert_same_error(ours: &Error, form: &[(&str, &str)]) {
    let (status, theirs) = raw_answer(form);
    assert_eq!(ours.status(), Status::Oauth, "{}", ours.message());
    assert_eq!(ours.http_status(), Some(status));
    let oauth = ours.oauth_error().unwrap();
    assert_eq!(Some(oauth.error.as_str()), theirs["error"].as_str());
    assert_eq!(oauth.description.as_deref(), theirs["error_description"].as_str());
    assert_eq!(oauth.uri.as_deref(), theirs["error_uri"].as_str());
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn password_grant_with_special_characters_by_post_and_by_basic() {
    let (name, password) = user();
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let token = password_client(method).request_password(&name, &password, Some("qflowapi+offline_access")).unwrap();
        assert_eq!(token.token_type(), Some("Bearer"));
        assert_eq!(token.expires_in(), Some(3600));
        assert_eq!(token.scope(), Some("qflowapi offline_access"));
        assert!(token.refresh_token().is_some());
    }
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn unencoded_basic_is_refused_by_an_rfc_server_for_special_secrets() {
    // django-oauth-toolkit decodes Basic credentials as RFC 6749 section 2.3.1 says, so the variant for
    // IdentityServer3 sends a secret it cannot match.
    let (name, password) = user();
    let err = password_client(AuthMethod::ClientSecretBasicUnencoded).request_password(&name, &password, None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(401)));
    assert_eq!(err.oauth_error().unwrap().error, "invalid_client");
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn client_credentials_by_post_and_by_basic() {
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let token = client("service_client", method).request_client_credentials(Some("qflowapi")).unwrap();
        assert_eq!(token.refresh_token(), None);
        assert_eq!(token.scope(), Some("qflowapi"));
    }
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn refresh_tokens_rotate() {
    let (name, password) = user();
    let c = password_client(AuthMethod::ClientSecretPost);
    let first = c.request_password(&name, &password, Some("qflowapi")).unwrap();
    let old = first.refresh_token().unwrap().to_string();
    let second = c.request_refresh(&old, None).unwrap();
    assert_ne!(second.refresh_token().unwrap(), old, "rotated");
    let err = c.request_refresh(&old, None).unwrap_err();
    let id = fixture(&["password_client", "id"]);
    let secret = fixture(&["password_client", "secret"]);
    assert_same_error(&err, &[("grant_type", "refresh_token"), ("refresh_token", &old), ("client_id", &id), ("client_secret", &secret)]);

    // A token source follows the rotation across renewals.
    let c = Arc::new(c);
    let mut options = TokenSourceOptions::default();
    options.set_skew(std::time::Duration::ZERO);
    let source = TokenSource::password(Arc::clone(&c), &name, &password, Some("qflowapi"), &options).unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..3 {
        seen.insert(source.token().unwrap().access_token().to_string());
        source.invalidate().unwrap();
    }
    assert_eq!(seen.len(), 3, "each renewal used the newest refresh token");
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn revocation_and_introspection() {
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let c = client("service_client", method);
        let token = c.request_client_credentials(None).unwrap();
        let claims = c.introspect(token.access_token(), Some("access_token")).unwrap();
        assert!(claims.is_active());
        assert_eq!(claims.string("client_id"), Some(fixture(&["service_client", "id"]).as_str()));
        c.revoke(token.access_token(), Some("access_token")).unwrap();
        let after = c.introspect(token.access_token(), None).unwrap();
        assert!(!after.is_active());
        c.revoke("never-issued", None).unwrap();
    }
    let (name, password) = user();
    let c = password_client(AuthMethod::ClientSecretPost);
    let token = c.request_password(&name, &password, None).unwrap();
    c.revoke(token.refresh_token().unwrap(), Some("refresh_token")).unwrap();
    let err = c.request_refresh(token.refresh_token().unwrap(), None).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "invalid_grant");
}

#[test]
#[ignore = "needs django-oauth-toolkit: run tests/interop/run.sh"]
fn every_error_carries_what_the_server_sent() {
    let (name, password) = user();
    let id = fixture(&["password_client", "id"]);
    let secret = fixture(&["password_client", "secret"]);
    let c = password_client(AuthMethod::ClientSecretPost);

    let err = c.request_password(&name, "wrong password", None).unwrap_err();
    assert_same_error(&err, &[("grant_type", "password"), ("username", &name), ("password", "wrong password"), ("client_id", &id), ("client_secret", &secret)]);
    assert_eq!(err.oauth_error().unwrap().error, "invalid_grant");

    let wrong_secret = TokenClient::new(&url("token"), &id, Some("wrong secret"), &options(AuthMethod::ClientSecretPost)).unwrap();
    let err = wrong_secret.request_password(&name, &password, None).unwrap_err();
    assert_same_error(&err, &[("grant_type", "password"), ("username", &name), ("password", &password), ("client_id", &id), ("client_secret", "wrong secret")]);
    assert_eq!((err.http_status(), err.oauth_error().unwrap().error.as_str()), (Some(401), "invalid_client"));

    let err = c.request_grant("urn:example:unknown-grant", &[]).unwrap_err();
    assert_same_error(&err, &[("grant_type", "urn:example:unknown-grant"), ("client_id", &id), ("client_secret", &secret)]);
    assert_eq!(err.oauth_error().unwrap().error, "unsupported_grant_type");

    let err = c.request_password(&name, &password, Some("qflowapi admin")).unwrap_err();
    assert_same_error(&err, &[("grant_type", "password"), ("username", &name), ("password", &password), ("scope", "qflowapi admin"), ("client_id", &id), ("client_secret", &secret)]);
    assert_eq!(err.oauth_error().unwrap().error, "invalid_scope");

    // No error message repeats a credential.
    for secret_text in [password.as_str(), secret.as_str(), "wrong password"] {
        assert!(!format!("{err:?}").contains(secret_text));
    }
}
