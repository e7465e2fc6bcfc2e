//! Every grant and client authentication method against the local identity server, checking both
//! the token we get and the request the server received.

mod support;

use qflow_auth::{AuthMethod, ClientOptions, Status, TokenClient};
use std::time::{Duration, SystemTime};
use support::*;

fn client(modes: &str, id: &str, secret: Option<&str>, method: AuthMethod) -> TokenClient {
    let mut options = ClientOptions::default();
    options.set_auth_method(method);
    TokenClient::new(&server().url(modes), id, secret, &options).unwrap()
}

fn resowner(modes: &str) -> TokenClient {
    client(modes, RESOWNER, Some(secret(RESOWNER)), AuthMethod::ClientSecretPost)
}

#[test]
fn password_grant_matches_the_quickstart_request_and_returns_every_field() {
    let before = SystemTime::now();
    let token = resowner("tag-password/core").request_password(JOE, password(JOE), Some(QUICKSTART_SCOPE)).unwrap();
    assert!(token.access_token().starts_with("at-"));
    assert_eq!(token.token_type(), Some("Bearer"));
    assert_eq!(token.expires_in(), Some(3600));
    let expires_at = token.expires_at().unwrap();
    assert!(expires_at >= before + Duration::from_secs(3600));
    assert!(expires_at <= SystemTime::now() + Duration::from_secs(3600));
    assert!(token.refresh_token().unwrap().starts_with("rt-"), "offline_access yields a refresh token");
    assert!(token.id_token().is_some(), "openid yields an id token");
    assert_eq!(token.scope(), None, "IdentityServer3 sends no scope member");
    assert!(!token.is_expired(Duration::from_secs(60)));

    let log = server().log("password");
    assert_eq!(log.len(), 1);
    let request = &log[0];
    assert_eq!(form_names(request), ["grant_type", "username", "password", "scope", "client_id", "client_secret"]);
    assert_eq!(form_value(request, "grant_type"), Some("password"));
    assert_eq!(form_value(request, "scope"), Some("qflowapi openid offline_access"), "plus form must become three scopes");
    assert_eq!(request["headers"]["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(request["headers"]["user-agent"], format!("qflow-auth/{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(request["headers"]["accept"], "application/json");
    assert!(request["headers"].get("authorization").is_none(), "one client authentication method only");
}

#[test]
fn special_characters_in_every_credential_reach_the_server_intact() {
    // The server checks the decoded values against its fixtures, so success proves the encoding.
    let special = client("tag-special/core", SPECIAL_CLIENT, Some(secret(SPECIAL_CLIENT)), AuthMethod::ClientSecretPost);
    special.request_password(SPECIAL_USER, password(SPECIAL_USER), Some("qflowapi")).unwrap();
    special.request_password(UNICODE_USER, password(UNICODE_USER), Some("qflowapi")).unwrap();
    let body = server().log("special")[0]["body"].as_str().unwrap().to_string();
    assert!(body.contains("password=p%26ss%2Bw+rd%3D%25%C3%A9"), "{body}");
    assert!(body.contains("client_secret=s%26cr%2Bt+%3D%25%C3%A9%3Ax"), "{body}");
    assert!(body.contains("username=special.user%40example.com"), "{body}");
}

#[test]
fn client_credentials_grant() {
    let service = client("tag-cc/core", SERVICE, Some(secret(SERVICE)), AuthMethod::ClientSecretPost);
    let token = service.request_client_credentials(Some("qflowapi")).unwrap();
    assert_eq!(token.refresh_token(), None);
    assert_eq!(token.id_token(), None);
    let request = &server().log("cc")[0];
    assert_eq!(form_names(request), ["grant_type", "scope", "client_id", "client_secret"]);
    assert_eq!(form_value(request, "grant_type"), Some("client_credentials"));

    // No scope: no scope parameter at all.
    service.request_client_credentials(None).unwrap();
    assert_eq!(form_value(&server().log("cc")[1], "scope"), None);
}

#[test]
fn refresh_grant_rotates_the_refresh_token() {
    let c = resowner("tag-refresh/core");
    let first = c.request_password(JOE, password(JOE), Some("qflowapi offline_access")).unwrap();
    let old_refresh = first.refresh_token().unwrap().to_string();
    let second = c.request_refresh(&old_refresh, None).unwrap();
    let new_refresh = second.refresh_token().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_ne!(second.access_token(), first.access_token());

    // IdentityServer3 refresh tokens are one-time-only: the old one is now refused.
    let err = c.request_refresh(&old_refresh, None).unwrap_err();
    assert_eq!(err.status(), Status::Oauth);
    assert_eq!(err.oauth_error().unwrap().error, "invalid_grant");
    c.request_refresh(new_refresh, Some("qflowapi")).unwrap();

    let log = server().log("refresh");
    assert_eq!(form_names(&log[1]), ["grant_type", "refresh_token", "client_id", "client_secret"]);
    assert_eq!(form_value(&log[3], "scope"), Some("qflowapi"));
}

#[test]
fn extension_grant_sends_extra_parameters_encoded() {
    let special = client("tag-ext/core", SPECIAL_CLIENT, Some(secret(SPECIAL_CLIENT)), AuthMethod::ClientSecretPost);
    let token = special
        .request_grant("urn:qflow:grant-type:api-key", &[("api_key", api_key(SPECIAL_CLIENT)), ("scope", "qflowapi+openid")])
        .unwrap();
    assert!(!token.access_token().is_empty());
    let request = &server().log("ext")[0];
    assert_eq!(form_value(request, "api_key"), Some(api_key(SPECIAL_CLIENT)));
    assert_eq!(form_value(request, "scope"), Some("qflowapi openid"));

    let err = special.request_grant("urn:qflow:grant-type:api-key", &[("api_key", "wrong")]).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "invalid_grant");
}

#[test]
fn basic_authentication_with_rfc_encoding() {
    let rfc = client("tag-basic-rfc/rfc", SPECIAL_CLIENT, Some(secret(SPECIAL_CLIENT)), AuthMethod::ClientSecretBasic);
    let token = rfc.request_password(SPECIAL_USER, password(SPECIAL_USER), Some("qflowapi")).unwrap();
    assert_eq!(token.scope(), Some("qflowapi"));
    let request = &server().log("basic-rfc")[0];
    let header = request["headers"]["authorization"].as_str().unwrap();
    // base64("special_client:s%26cr%2Bt+%3D%25%C3%A9%3Ax")
    assert_eq!(header, "Basic c3BlY2lhbF9jbGllbnQ6cyUyNmNyJTJCdCslM0QlMjUlQzMlQTklM0F4");
    assert_eq!(form_names(request), ["grant_type", "username", "password", "scope"], "no credentials in the body");
}

#[test]
fn identityserver3_needs_unencoded_basic_for_special_secrets() {
    // IdentityServer3 does not form-decode Basic credentials: the RFC encoding breaks this secret...
    let encoded =
        client("tag-basic-ids3/core", SPECIAL_CLIENT, Some(secret(SPECIAL_CLIENT)), AuthMethod::ClientSecretBasic);
    let err = encoded.request_password(SPECIAL_USER, password(SPECIAL_USER), None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(400)));
    assert_eq!(err.oauth_error().unwrap().error, "invalid_client");

    // ...and the unencoded variant works.
    let plain = client(
        "tag-basic-ids3/core",
        SPECIAL_CLIENT,
        Some(secret(SPECIAL_CLIENT)),
        AuthMethod::ClientSecretBasicUnencoded,
    );
    plain.request_password(SPECIAL_USER, password(SPECIAL_USER), None).unwrap();
    let header = server().log("basic-ids3")[1]["headers"]["authorization"].as_str().unwrap().to_string();
    assert_eq!(header, "Basic c3BlY2lhbF9jbGllbnQ6cyZjcit0ID0lw6k6eA==", "base64(\"special_client:s&cr+t =%é:x\")");
}

#[test]
fn public_client_sends_only_its_id() {
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let public = client("tag-public/core", PUBLIC_CLIENT, None, method);
        public.request_password(JOE, password(JOE), Some("qflowapi")).unwrap();
    }
    for request in server().log("public") {
        assert_eq!(form_value(&request, "client_id"), Some(PUBLIC_CLIENT));
        assert_eq!(form_value(&request, "client_secret"), None);
        assert!(request["headers"].get("authorization").is_none());
    }
}

#[test]
fn response_variants_from_other_servers_are_understood() {
    let c = resowner("lowercase/string-expiry");
    let token = c.request_password(JOE, password(JOE), Some("qflowapi")).unwrap();
    assert_eq!(token.token_type(), Some("bearer"));
    assert_eq!(token.expires_in(), Some(3600), "a numeric string counts");
    assert_eq!(token.scope(), Some("qflowapi"));
    assert!(token.get("iat").unwrap().is_u64(), "extra members stay readable");
    assert!(token.raw_json().contains("\"iat\""));

    let token = resowner("no-expiry").request_password(JOE, password(JOE), None).unwrap();
    assert_eq!((token.expires_in(), token.expires_at()), (None, None));

    let token = resowner("expires-1").request_password(JOE, password(JOE), None).unwrap();
    assert!(token.is_expired(Duration::from_secs(5)), "a 1 s token is within a 5 s leeway of expiry");
}

#[test]
fn one_call_fetch_token_uses_quickstart_defaults() {
    let token = qflow_auth::fetch_token(
        Some(&server().url("tag-quick/core")),
        RESOWNER,
        Some(secret(RESOWNER)),
        JOE,
        password(JOE),
        None,
    )
    .unwrap();
    assert!(token.refresh_token().is_some());
    let request = &server().log("quick")[0];
    assert_eq!(form_value(request, "scope"), Some("qflowapi openid offline_access"));
    assert_eq!(form_value(request, "client_secret"), Some(secret(RESOWNER)));
}

#[test]
fn grants_over_ipv6_loopback() {
    let Some(base) = &server().http6 else {
        eprintln!("SKIPPED grants_over_ipv6_loopback: no IPv6 loopback on this machine");
        return;
    };
    let c = TokenClient::new(
        &format!("{base}/core/connect/token"),
        RESOWNER,
        Some(secret(RESOWNER)),
        &ClientOptions::default(),
    )
    .unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
}
