//! The C ABI called directly from Rust: argument checks, the last-error contract, ownership.

mod support;

use qflow_auth::ffi::*;
use qflow_auth::Status;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};
use support::*;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string())
}

fn last_message() -> String {
    text(qflow_last_error_message()).expect("a failure leaves a message")
}

/// A client for the local server's IdentityServer3 endpoint with the quick-start's client.
fn new_client(modes: &str) -> *mut qflow_client {
    let mut client = null_mut();
    let status = unsafe {
        qflow_client_new(
            c(&server().url(modes)).as_ptr(),
            c(RESOWNER).as_ptr(),
            c(secret(RESOWNER)).as_ptr(),
            null(),
            &mut client,
        )
    };
    assert_eq!(status, Status::Ok, "{:?}", text(qflow_last_error_message()));
    client
}

#[test]
fn password_grant_through_handles_and_getters() {
    let client = new_client("core");
    let mut token = null_mut();
    let status = unsafe {
        qflow_client_request_password(client, c(JOE).as_ptr(), c(password(JOE)).as_ptr(), c(QUICKSTART_SCOPE).as_ptr(), &mut token)
    };
    assert_eq!(status, Status::Ok);
    assert_eq!(qflow_last_error_status(), Status::Ok);
    assert!(qflow_last_error_message().is_null());
    unsafe {
        assert!(text(qflow_token_access_token(token)).unwrap().starts_with("at-"));
        assert_eq!(text(qflow_token_token_type(token)).as_deref(), Some("Bearer"));
        assert_eq!(qflow_token_expires_in(token), 3600);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((qflow_token_expires_at(token) - (now + 3600)).abs() <= 2);
        assert!(!qflow_token_is_expired(token, 60));
        assert!(qflow_token_is_expired(token, 7200));
        assert!(text(qflow_token_refresh_token(token)).unwrap().starts_with("rt-"));
        assert!(text(qflow_token_id_token(token)).is_some());
        assert!(qflow_token_scope(token).is_null());
        assert_eq!(text(qflow_token_get(token, c("expires_in").as_ptr())).as_deref(), Some("3600"), "numbers as JSON text");
        assert_eq!(text(qflow_token_get(token, c("token_type").as_ptr())).as_deref(), Some("Bearer"));
        assert!(qflow_token_get(token, c("nope").as_ptr()).is_null());
        assert!(qflow_token_get(token, null()).is_null());
        assert!(text(qflow_token_raw_json(token)).unwrap().contains("\"access_token\""));
        qflow_token_free(token);
        qflow_client_free(client);
    }
}

#[test]
fn null_handles_are_safe_everywhere() {
    unsafe {
        assert!(qflow_token_access_token(null()).is_null());
        assert!(qflow_token_raw_json(null()).is_null());
        assert_eq!(qflow_token_expires_in(null()), -1);
        assert_eq!(qflow_token_expires_at(null()), -1);
        assert!(qflow_token_is_expired(null(), 0));
        qflow_token_free(null_mut());
        qflow_client_free(null_mut());
        qflow_client_options_free(null_mut());
        qflow_string_free(null_mut());
        let mut token = null_mut();
        assert_eq!(qflow_client_request_client_credentials(null(), null(), &mut token), Status::InvalidArgument);
        assert_eq!(last_message(), "client must not be NULL");
        assert!(token.is_null());
        assert_eq!(qflow_client_options_set_timeout_ms(null_mut(), 5), Status::InvalidArgument);
        assert_eq!(last_message(), "options must not be NULL");
    }
}

#[test]
fn invalid_arguments_name_the_parameter_and_leave_outputs_alone() {
    let url = c(&server().url("core"));
    let id = c(RESOWNER);
    let bad_utf8: &[u8] = b"caf\xe9\0";
    let bad = bad_utf8.as_ptr() as *const c_char;
    let not_a_url = c("not a url");
    let sentinel = std::ptr::dangling_mut::<qflow_client>(); // must survive every failure untouched
    let cases: [(*const c_char, *const c_char, *const c_char, &str); 6] = [
        (null(), id.as_ptr(), null(), "token_url must not be NULL"),
        (url.as_ptr(), null(), null(), "client_id must not be NULL"),
        (bad, id.as_ptr(), null(), "token_url is not valid UTF-8"),
        (url.as_ptr(), bad, null(), "client_id is not valid UTF-8"),
        (url.as_ptr(), id.as_ptr(), bad, "client_secret is not valid UTF-8"),
        (not_a_url.as_ptr(), id.as_ptr(), null(), "token_url is not a valid URL"),
    ];
    for (token_url, client_id, client_secret, expected) in cases {
        let mut out = sentinel;
        let status = unsafe { qflow_client_new(token_url, client_id, client_secret, null(), &mut out) };
        assert_eq!(status, Status::InvalidArgument);
        assert_eq!(qflow_last_error_status(), Status::InvalidArgument);
        assert_eq!(qflow_last_error_http_status(), 0);
        assert!(last_message().starts_with(expected), "{} vs {expected}", last_message());
        assert_eq!(out, sentinel, "output written on failure");
    }
    let status = unsafe { qflow_client_new(url.as_ptr(), id.as_ptr(), null(), null(), null_mut()) };
    assert_eq!(status, Status::InvalidArgument);
    assert_eq!(last_message(), "client_out must not be NULL");

    let client = new_client("core");
    let mut token = std::ptr::dangling_mut::<qflow_token>();
    unsafe {
        let status = qflow_client_request_password(client, c(JOE).as_ptr(), null(), null(), &mut token);
        assert_eq!((status, last_message().as_str()), (Status::InvalidArgument, "password must not be NULL"));
        let status = qflow_client_request_password(client, c("").as_ptr(), c("x").as_ptr(), null(), &mut token);
        assert_eq!((status, last_message().as_str()), (Status::InvalidArgument, "username must not be empty"));
        assert_eq!(token, std::ptr::dangling_mut::<qflow_token>());
        qflow_client_free(client);
    }
}

#[test]
fn oauth_failure_fills_every_last_error_field_until_the_next_call() {
    let client = new_client("core");
    let mut token = null_mut();
    unsafe {
        let status = qflow_client_request_password(client, c(JOE).as_ptr(), c("wrong").as_ptr(), null(), &mut token);
        assert_eq!(status, Status::Oauth);
        assert!(token.is_null());
        assert_eq!(qflow_last_error_status(), Status::Oauth);
        assert_eq!(qflow_last_error_http_status(), 400);
        assert_eq!(text(qflow_last_error_oauth_error()).as_deref(), Some("invalid_grant"));
        assert_eq!(text(qflow_last_error_description()).as_deref(), Some("invalid_username_or_password"));
        assert!(qflow_last_error_uri().is_null());
        assert!(!last_message().contains("wrong"));

        // Getters and free functions do not disturb it; the next fallible call does.
        let _ = qflow_status_str(6);
        qflow_string_free(null_mut());
        assert_eq!(qflow_last_error_status(), Status::Oauth);
        assert_eq!(
            qflow_client_request_password(client, c(JOE).as_ptr(), c(password(JOE)).as_ptr(), null(), &mut token),
            Status::Ok
        );
        assert_eq!(qflow_last_error_status(), Status::Ok);
        assert!(qflow_last_error_oauth_error().is_null());
        assert_eq!(qflow_last_error_http_status(), 0);
        qflow_token_free(token);
        qflow_client_free(client);
    }
}

#[test]
fn last_error_is_per_thread() {
    let client = new_client("core");
    unsafe {
        let mut token = null_mut();
        qflow_client_request_password(client, c(JOE).as_ptr(), c("wrong").as_ptr(), null(), &mut token);
        assert_eq!(qflow_last_error_status(), Status::Oauth);
        let other = std::thread::spawn(|| qflow_last_error_status()).join().unwrap();
        assert_eq!(other, Status::Ok);
        assert_eq!(qflow_last_error_status(), Status::Oauth);
        qflow_client_free(client);
    }
}

#[test]
fn extension_grant_arrays() {
    let mut client = null_mut();
    let mut token = null_mut();
    unsafe {
        let status = qflow_client_new(
            c(&server().url("core")).as_ptr(),
            c(SPECIAL_CLIENT).as_ptr(),
            c(secret(SPECIAL_CLIENT)).as_ptr(),
            null(),
            &mut client,
        );
        assert_eq!(status, Status::Ok);
        let (name, value) = (c("api_key"), c(api_key(SPECIAL_CLIENT)));
        let names = [name.as_ptr()];
        let values = [value.as_ptr()];
        let grant = c("urn:qflow:grant-type:api-key");
        let status = qflow_client_request_grant(client, grant.as_ptr(), names.as_ptr(), values.as_ptr(), 1, &mut token);
        assert_eq!(status, Status::Ok, "{}", last_message());
        qflow_token_free(token);

        let status = qflow_client_request_grant(client, grant.as_ptr(), null(), values.as_ptr(), 1, &mut token);
        assert_eq!((status, last_message().as_str()), (Status::InvalidArgument, "param_names must not be NULL when param_count is 1"));
        let with_null = [null()];
        let status = qflow_client_request_grant(client, grant.as_ptr(), names.as_ptr(), with_null.as_ptr(), 1, &mut token);
        assert_eq!((status, last_message().as_str()), (Status::InvalidArgument, "param_values[0] must not be NULL"));
        qflow_client_free(client);
    }
}

#[test]
fn one_call_functions_return_owned_strings_or_null() {
    let url = c(&server().url("core"));
    unsafe {
        let token = qflow_fetch_token(url.as_ptr(), c(RESOWNER).as_ptr(), c(secret(RESOWNER)).as_ptr(), c(JOE).as_ptr(), c(password(JOE)).as_ptr(), null());
        assert!(text(token).unwrap().starts_with("at-"));
        qflow_string_free(token);

        let json = qflow_fetch_token_json(url.as_ptr(), c(RESOWNER).as_ptr(), c(secret(RESOWNER)).as_ptr(), c(JOE).as_ptr(), c(password(JOE)).as_ptr(), c(QUICKSTART_SCOPE).as_ptr());
        let parsed: serde_json::Value = serde_json::from_str(&text(json).unwrap()).unwrap();
        assert_eq!(parsed["expires_in"], 3600);
        qflow_string_free(json);

        let failed = qflow_fetch_token(url.as_ptr(), c(RESOWNER).as_ptr(), c("bad").as_ptr(), c(JOE).as_ptr(), c(password(JOE)).as_ptr(), null());
        assert!(failed.is_null());
        assert_eq!(text(qflow_last_error_oauth_error()).as_deref(), Some("invalid_client"));

        let failed = qflow_fetch_token(url.as_ptr(), null(), null(), c(JOE).as_ptr(), c("x").as_ptr(), null());
        assert!(failed.is_null());
        assert_eq!(last_message(), "client_id must not be NULL");
    }
}

#[test]
fn options_setters_validate_and_apply() {
    unsafe {
        let options = qflow_client_options_new();
        assert_eq!(qflow_client_options_set_auth_method(options, 7), Status::InvalidArgument);
        assert!(last_message().contains("qflow_auth_method"));
        assert_eq!(qflow_client_options_set_connect_timeout_ms(options, 0), Status::InvalidArgument);
        assert!(last_message().starts_with("connect_timeout"));
        assert_eq!(qflow_client_options_set_max_response_bytes(options, 0), Status::InvalidArgument);
        assert_eq!(qflow_client_options_set_user_agent(options, c("bad\tua").as_ptr()), Status::InvalidArgument);
        assert_eq!(qflow_client_options_set_proxy(options, c("::").as_ptr()), Status::InvalidArgument);
        assert_eq!(qflow_client_options_set_ca_file(options, c("").as_ptr()), Status::InvalidArgument);

        assert_eq!(qflow_client_options_set_auth_method(options, 1), Status::Ok);
        assert_eq!(qflow_client_options_set_ca_file(options, c(&server().ca_file).as_ptr()), Status::Ok);
        assert_eq!(qflow_client_options_set_timeout_ms(options, 5000), Status::Ok);
        assert_eq!(qflow_client_options_set_user_agent(options, c("ffi-test/1").as_ptr()), Status::Ok);
        assert_eq!(qflow_client_options_set_proxy(options, c("").as_ptr()), Status::Ok);
        assert_eq!(qflow_client_options_set_allow_insecure_http(options, false), Status::Ok);

        let mut client = null_mut();
        let url = c(&server().https_url("tag-ffi-options/rfc"));
        let status = qflow_client_new(url.as_ptr(), c(SPECIAL_CLIENT).as_ptr(), c(secret(SPECIAL_CLIENT)).as_ptr(), options, &mut client);
        assert_eq!(status, Status::Ok, "{}", last_message());
        qflow_client_options_free(options); // the client keeps its own copy
        let mut token = null_mut();
        let status = qflow_client_request_client_credentials(client, c("qflowapi").as_ptr(), &mut token);
        assert_eq!(status, Status::Ok, "{}", last_message());
        qflow_token_free(token);
        qflow_client_free(client);
        let request = &server().log("ffi-options")[0];
        assert_eq!(request["headers"]["user-agent"], "ffi-test/1");
        assert!(request["headers"]["authorization"].as_str().unwrap().starts_with("Basic "));
    }
}

#[test]
fn status_strings_and_version() {
    assert_eq!(text(qflow_status_str(0)).as_deref(), Some("success"));
    assert_eq!(text(qflow_status_str(6)).as_deref(), Some("OAuth error from the server"));
    assert_eq!(text(qflow_status_str(999)).as_deref(), Some("unknown status"));
    for code in 0..=10 {
        assert_eq!(text(qflow_status_str(code)).as_deref(), Status::from_code(code).map(Status::description));
    }
    assert_eq!(text(qflow_version()).as_deref(), Some(env!("CARGO_PKG_VERSION")));
}

#[test]
fn token_source_handles_share_one_token_until_renewal() {
    let client = new_client("tag-ffi-source/core");
    unsafe {
        let mut source = null_mut();
        let status = qflow_token_source_new_password(
            client,
            c(JOE).as_ptr(),
            c(password(JOE)).as_ptr(),
            c("qflowapi offline_access").as_ptr(),
            null(),
            &mut source,
        );
        assert_eq!(status, Status::Ok, "{:?}", text(qflow_last_error_message()));
        qflow_client_free(client);
        let (mut a, mut b) = (null_mut(), null_mut());
        assert_eq!(qflow_token_source_token(source, &mut a), Status::Ok);
        assert_eq!(qflow_token_source_token(source, &mut b), Status::Ok);
        assert_eq!(qflow_token_access_token(a), qflow_token_access_token(b), "the same C strings, not copies");
        qflow_token_free(a);
        assert!(text(qflow_token_access_token(b)).unwrap().starts_with("at-"), "still valid after the other handle is freed");
        assert_eq!(qflow_token_source_invalidate(source), Status::Ok);
        let mut c2 = null_mut();
        assert_eq!(qflow_token_source_token(source, &mut c2), Status::Ok);
        assert_ne!(text(qflow_token_access_token(b)), text(qflow_token_access_token(c2)));
        qflow_token_free(b);
        qflow_token_free(c2);
        assert_eq!(qflow_token_source_token(source, null_mut()), Status::InvalidArgument);
        assert_eq!(last_message(), "token_out must not be NULL");
        qflow_token_source_free(source);
    }
    let grants: Vec<_> =
        server().log("ffi-source").iter().map(|r| form_value(r, "grant_type").unwrap().to_string()).collect();
    assert_eq!(grants, ["password", "refresh_token"]);
}

#[test]
fn claims_and_discovery_through_the_c_abi() {
    unsafe {
        let mut client = null_mut();
        let authority = c(&format!("{}/core", server().http));
        let status = qflow_client_new_from_authority(authority.as_ptr(), c(RESOWNER).as_ptr(), c(secret(RESOWNER)).as_ptr(), null(), &mut client);
        assert_eq!(status, Status::Ok, "{:?}", text(qflow_last_error_message()));
        assert_eq!(text(qflow_client_issuer(client)), Some(format!("{}/core", server().http)));
        let mut token = null_mut();
        let status = qflow_client_request_password(client, c(JOE).as_ptr(), c(password(JOE)).as_ptr(), c("qflowapi openid").as_ptr(), &mut token);
        assert_eq!(status, Status::Ok);
        let mut claims = null_mut();
        assert_eq!(qflow_client_userinfo(client, qflow_token_access_token(token), &mut claims), Status::Ok);
        assert_eq!(text(qflow_claims_get(claims, c("email").as_ptr())).as_deref(), Some(JOE));
        qflow_claims_free(claims);
        assert_eq!(qflow_client_introspect(client, null(), null(), &mut claims), Status::InvalidArgument);
        assert_eq!(last_message(), "token must not be NULL");
        assert_eq!(qflow_client_revoke(client, c("").as_ptr(), null()), Status::InvalidArgument);
        assert_eq!(last_message(), "token must not be empty");
        qflow_token_free(token);
        qflow_client_free(client);

        let status = qflow_client_new_from_authority(c("http://example.com/core").as_ptr(), c(RESOWNER).as_ptr(), null(), null(), &mut client);
        assert_eq!(status, Status::InvalidArgument);
        assert!(last_message().starts_with("authority"), "{}", last_message());
    }
}

#[test]
fn endpoint_getters_and_retry_after() {
    unsafe {
        let options = qflow_client_options_new();
        let revocation = server().url("unavailable").replace("/connect/token", "/connect/revocation");
        assert_eq!(qflow_client_options_set_revocation_url(options, c(&revocation).as_ptr()), Status::Ok);
        let mut client = null_mut();
        let url = server().url("core");
        assert_eq!(qflow_client_new(c(&url).as_ptr(), c(RESOWNER).as_ptr(), c(secret(RESOWNER)).as_ptr(), options, &mut client), Status::Ok);
        qflow_client_options_free(options);
        assert_eq!(text(qflow_client_token_url(client)), Some(url));
        assert_eq!(text(qflow_client_revocation_url(client)), Some(revocation));
        assert!(qflow_client_introspection_url(client).is_null());
        assert!(qflow_client_userinfo_url(client).is_null());
        assert!(qflow_client_token_url(null()).is_null());

        assert_eq!(qflow_client_revoke(client, c("at-x").as_ptr(), null()), Status::Http);
        assert_eq!(qflow_last_error_http_status(), 503);
        assert_eq!(qflow_last_error_retry_after(), 7);
        assert_eq!(qflow_client_revoke(client, c("").as_ptr(), null()), Status::InvalidArgument);
        assert_eq!(qflow_last_error_retry_after(), 0, "cleared by the next call");
        qflow_client_free(client);

        let mut discovered = null_mut();
        let authority = format!("{}/core", server().http);
        assert_eq!(qflow_client_new_from_authority(c(&authority).as_ptr(), c(RESOWNER).as_ptr(), null(), null(), &mut discovered), Status::Ok);
        assert_eq!(text(qflow_client_token_url(discovered)), Some(format!("{authority}/connect/token")));
        assert_eq!(text(qflow_client_userinfo_url(discovered)), Some(format!("{authority}/connect/userinfo")));
        qflow_client_free(discovered);
    }
}
