//! Token sources (caching, renewal, single flight, rotation, file cache across processes), discovery,
//! revocation, introspection and userinfo against the local identity server.

mod support;

use qflow_auth::{ClientOptions, Status, TokenClient, TokenSource, TokenSourceOptions};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use support::*;

fn client(modes: &str, id: &str) -> Arc<TokenClient> {
    Arc::new(TokenClient::new(&server().url(modes), id, Some(secret(id)), &ClientOptions::default()).unwrap())
}

fn requests(tag: &str, endpoint: &str) -> u64 {
    server().stats(tag)["by_endpoint"][endpoint].as_u64().unwrap_or(0)
}

fn token_requests(tag: &str) -> u64 {
    requests(tag, "/connect/token")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qflow-lifecycle-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn cached_token_is_returned_without_a_request() {
    let source = TokenSource::client_credentials(client("tag-cached/core", SERVICE), Some("qflowapi"), &Default::default())
        .unwrap();
    assert_eq!(token_requests("cached"), 0, "client credentials sources are lazy");
    assert!(source.cached().is_none(), "nothing cached yet, and cached() does not fetch");
    let first = source.token().unwrap();
    for _ in 0..1000 {
        assert!(Arc::ptr_eq(&first, &source.token().unwrap()));
        assert!(Arc::ptr_eq(&first, &source.cached().unwrap()));
    }
    assert_eq!(token_requests("cached"), 1);
    source.invalidate().unwrap();
    assert!(source.cached().is_none(), "invalidated");

    // A token about to expire is not offered as cached (for a 1 s token the margin is half its life).
    let short = TokenSource::client_credentials(client("tag-cached-short/expires-1/core", SERVICE), None, &Default::default())
        .unwrap();
    short.token().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert!(short.cached().is_none(), "within the margin before expiry");
    assert_eq!(token_requests("cached-short"), 1, "cached() sent nothing");
}

#[test]
fn concurrent_callers_share_one_renewal_per_round() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 5;
    let source = Arc::new(
        TokenSource::client_credentials(client("tag-rounds/slow-100/core", SERVICE), None, &Default::default()).unwrap(),
    );
    let start = Arc::new(Barrier::new(THREADS + 1));
    let done = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (source, start, done) = (Arc::clone(&source), Arc::clone(&start), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..ROUNDS {
                    start.wait();
                    for _ in 0..20 {
                        seen.push(source.token().unwrap().access_token().to_string());
                    }
                    done.wait();
                }
                seen
            })
        })
        .collect();
    for _ in 0..ROUNDS {
        start.wait();
        done.wait();
        source.invalidate().unwrap(); // the API said 401: the next round must renew
    }
    let seen: HashSet<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert_eq!(seen.len(), ROUNDS, "one token per round");
    assert_eq!(token_requests("rounds"), ROUNDS as u64, "one request per renewal, whatever the thread count");
}

#[test]
fn short_lived_tokens_are_renewed_once_per_expiry() {
    // expires_in 2 with the default 60 s skew: renewed at half its lifetime, i.e. after 1 s.
    let source = Arc::new(
        TokenSource::client_credentials(client("tag-expiry/expires-2/core", SERVICE), None, &Default::default()).unwrap(),
    );
    let deadline = Instant::now() + Duration::from_millis(2600);
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let source = Arc::clone(&source);
            std::thread::spawn(move || {
                let mut seen = HashSet::new();
                while Instant::now() < deadline {
                    seen.insert(source.token().unwrap().access_token().to_string());
                }
                seen
            })
        })
        .collect();
    let seen: HashSet<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let requests = token_requests("expiry");
    assert_eq!(requests, seen.len() as u64, "every request produced a token that was used");
    assert!((2..=4).contains(&requests), "about one renewal per second, not one per thread: {requests}");
}

#[test]
fn password_source_renews_with_rotated_refresh_tokens() {
    let c = client("tag-rotation/expires-1/core", RESOWNER);
    let mut options = TokenSourceOptions::default();
    options.set_skew(Duration::ZERO);
    let source = TokenSource::password(c, JOE, password(JOE), Some("qflowapi offline_access"), &options).unwrap();
    let mut tokens = HashSet::new();
    for _ in 0..3 {
        tokens.insert(source.token().unwrap().access_token().to_string());
        std::thread::sleep(Duration::from_millis(1100));
    }
    tokens.insert(source.token().unwrap().access_token().to_string());
    assert_eq!(tokens.len(), 4);
    let grants: Vec<String> = server()
        .log("rotation")
        .iter()
        .map(|r| form_value(r, "grant_type").unwrap().to_string())
        .collect();
    // One sign-in, then refreshes only; the server's refresh tokens are one-time-only, so each refresh
    // succeeding proves the rotated refresh token was stored.
    assert_eq!(grants, ["password", "refresh_token", "refresh_token", "refresh_token"]);
    assert!(server().log("rotation").iter().skip(1).all(|r| form_value(r, "password").is_none()), "password sent once");
}

#[test]
fn password_is_discarded_unless_kept() {
    // Without offline_access there is no refresh token, and without the password nothing can renew.
    let source =
        TokenSource::password(client("tag-discard/core", RESOWNER), JOE, password(JOE), Some("qflowapi"), &Default::default())
            .unwrap();
    assert_eq!(token_requests("discard"), 1, "the first token is fetched when the source is made");
    source.token().unwrap();
    source.invalidate().unwrap();
    let err = source.token().unwrap_err();
    assert_eq!(err.status(), Status::InvalidState);
    assert!(err.message().contains("keep_password"), "{}", err.message());
    assert!(!format!("{source:?}").contains(password(JOE)));

    let mut keep = TokenSourceOptions::default();
    keep.set_keep_password(true);
    let kept = TokenSource::password(client("tag-keep/core", RESOWNER), JOE, password(JOE), Some("qflowapi"), &keep).unwrap();
    assert_eq!(token_requests("keep"), 0, "a kept password allows a lazy first request");
    kept.token().unwrap();
    kept.invalidate().unwrap();
    kept.token().unwrap();
    assert_eq!(token_requests("keep"), 2);
}

#[test]
fn revoked_refresh_token_falls_back_to_the_kept_password() {
    let c = client("tag-fallback/core", RESOWNER);
    let mut keep = TokenSourceOptions::default();
    keep.set_keep_password(true);
    let source = TokenSource::password(Arc::clone(&c), JOE, password(JOE), Some("qflowapi offline_access"), &keep).unwrap();
    let first = source.token().unwrap();
    // The revocation endpoint is a sibling of the token endpoint on this server.
    let mut options = ClientOptions::default();
    options.set_revocation_url(Some(server().url("tag-fallback/core").replace("/connect/token", "/connect/revocation"))).unwrap();
    let revoker = TokenClient::new(&server().url("core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    revoker.revoke(first.refresh_token().unwrap(), Some("refresh_token")).unwrap();
    source.invalidate().unwrap();
    assert_ne!(source.token().unwrap().access_token(), first.access_token());
    let grants: Vec<String> =
        server().log("fallback").iter().filter_map(|r| form_value(r, "grant_type").map(str::to_string)).collect();
    assert_eq!(grants, ["password", "refresh_token", "password"], "refresh refused, then a new sign-in");
}

#[test]
fn a_failed_renewal_reaches_every_waiter_and_is_not_cached() {
    let source = Arc::new(
        TokenSource::client_credentials(client("tag-failing/slow-300/html500", SERVICE), None, &Default::default())
            .unwrap(),
    );
    let start = Arc::new(Barrier::new(6));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let (source, start) = (Arc::clone(&source), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                source.token().unwrap_err()
            })
        })
        .collect();
    for worker in workers {
        let err = worker.join().unwrap();
        assert_eq!((err.status(), err.http_status()), (Status::Http, Some(500)));
    }
    assert_eq!(token_requests("failing"), 1, "the waiters shared the one failing request");
    assert!(source.token().is_err());
    assert_eq!(token_requests("failing"), 2, "the failure was not cached");
}

#[test]
fn different_scopes_never_share_a_cached_token() {
    let dir = temp_dir("scopes");
    let mut options = TokenSourceOptions::default();
    options.set_file_cache_dir(Some(dir.clone()));
    let c = client("tag-scopes/core", SPECIAL_CLIENT);
    let plain = TokenSource::client_credentials(Arc::clone(&c), Some("qflowapi"), &options).unwrap();
    let other = TokenSource::client_credentials(Arc::clone(&c), None, &options).unwrap();
    assert_ne!(plain.token().unwrap().access_token(), other.token().unwrap().access_token());
    let same = TokenSource::client_credentials(c, Some("qflowapi"), &options).unwrap();
    assert_eq!(same.token().unwrap().access_token(), plain.token().unwrap().access_token(), "same key: shared");
    assert_eq!(token_requests("scopes"), 2);
    let files = std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "json");
    assert_eq!(files.count(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Run by `processes_share_a_token_through_the_file_cache` in child processes: prints the token it got.
#[test]
#[ignore = "a child process of processes_share_a_token_through_the_file_cache, not a test by itself"]
fn file_cache_worker() {
    let (Ok(url), Ok(dir)) = (std::env::var("QFLOW_WORKER_URL"), std::env::var("QFLOW_WORKER_DIR")) else {
        panic!("run by processes_share_a_token_through_the_file_cache only");
    };
    let c = Arc::new(TokenClient::new(&url, SERVICE, Some(secret(SERVICE)), &ClientOptions::default()).unwrap());
    let mut options = TokenSourceOptions::default();
    options.set_file_cache_dir(Some(dir.into()));
    let source = TokenSource::client_credentials(c, None, &options).unwrap();
    println!("TOKEN={}", source.token().unwrap().access_token());
}

#[test]
fn processes_share_a_token_through_the_file_cache() {
    let dir = temp_dir("processes");
    // The slow server keeps the first renewal in flight while the other processes start and queue on
    // the cache's lock; they must then read the token instead of asking for their own.
    let url = server().url("tag-processes/slow-700/core");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "file_cache_worker", "--ignored", "--nocapture", "--test-threads=1"])
                .env("QFLOW_WORKER_URL", &url)
                .env("QFLOW_WORKER_DIR", &dir)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let tokens: HashSet<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(output.status.success(), "worker failed: {stdout}");
            stdout.lines().find_map(|l| l.split_once("TOKEN=").map(|(_, token)| token.trim())).unwrap_or_else(|| panic!("no token in: {stdout}")).to_string()
        })
        .collect();
    assert_eq!(tokens.len(), 1, "every process got the same token");
    assert_eq!(token_requests("processes"), 1, "four processes, one request");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn discovery_with_the_identityserver3_core_path() {
    let authority = format!("{}/tag-discovery/core", server().http);
    let c = TokenClient::from_authority(&authority, RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default()).unwrap();
    assert_eq!(c.token_url(), format!("{authority}/connect/token"));
    let discovery = c.discovery().unwrap();
    assert_eq!(discovery.issuer(), Some(authority.as_str()));
    assert_eq!(discovery.warning(), None);
    let token = c.request_password(JOE, password(JOE), Some("qflowapi openid offline_access")).unwrap();

    // The other endpoints came from the document too.
    assert!(c.introspect(token.access_token(), None).unwrap().is_active());
    assert_eq!(c.userinfo(token.access_token()).unwrap().string("email"), Some(JOE));
    c.revoke(token.refresh_token().unwrap(), Some("refresh_token")).unwrap();

    // Fetched once: a second client for the same authority uses the cached document.
    TokenClient::from_authority(&authority, RESOWNER, None, &ClientOptions::default()).unwrap();
    assert_eq!(requests("discovery", "/.well-known/openid-configuration"), 1);
}

#[test]
fn discovery_reports_another_issuer_and_falls_back_to_rfc_8414() {
    let options = ClientOptions::default();
    let other = TokenClient::from_authority(&format!("{}/other-issuer/core", server().http), RESOWNER, None, &options).unwrap();
    let warning = other.discovery().unwrap().warning().unwrap();
    assert!(warning.contains("https://identity.qflowhub.io/core"), "{warning}");

    let fallback = format!("{}/tag-rfc8414/no-oidc-discovery/core", server().http);
    let c = TokenClient::from_authority(&fallback, RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    assert_eq!(requests("rfc8414", "rfc8414"), 1);

    let insecure = format!("{}/http-endpoints/core", server().http);
    let err = TokenClient::from_authority(&insecure, RESOWNER, None, &options).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().starts_with("token_endpoint (from discovery)"), "{}", err.message());
}

#[test]
fn revocation_and_introspection_round_trip() {
    let mut options = ClientOptions::default();
    let base = server().url("tag-revoke/core").replace("/connect/token", "");
    options.set_revocation_url(Some(format!("{base}/connect/revocation"))).unwrap();
    options.set_introspection_url(Some(format!("{base}/connect/introspect"))).unwrap();
    let c = TokenClient::new(&server().url("core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    let token = c.request_password(JOE, password(JOE), Some("qflowapi offline_access")).unwrap();

    let claims = c.introspect(token.access_token(), Some("access_token")).unwrap();
    assert!(claims.is_active());
    assert_eq!(claims.string("client_id"), Some(RESOWNER));
    assert_eq!(claims.string("scope"), Some("qflowapi offline_access"));

    c.revoke(token.access_token(), Some("access_token")).unwrap();
    let after = c.introspect(token.access_token(), None).unwrap();
    assert!(!after.is_active());
    assert_eq!(after.raw_json(), r#"{"active": false}"#);
    c.revoke("never-issued", None).unwrap(); // RFC 7009: unknown tokens are fine

    c.revoke(token.refresh_token().unwrap(), None).unwrap();
    let err = c.request_refresh(token.refresh_token().unwrap(), None).unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error, "invalid_grant");

    let log = server().log("revoke");
    assert!(log.iter().all(|r| form_value(r, "client_secret") == Some(secret(RESOWNER))), "authenticated");
    assert_eq!(form_value(&log[1], "token_type_hint"), Some("access_token"));
}

#[test]
fn revocation_errors() {
    let mut options = ClientOptions::default();
    options.set_revocation_url(Some(server().url("unavailable").replace("/connect/token", "/connect/revocation"))).unwrap();
    let c = TokenClient::new(&server().url("core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    let err = c.revoke("at-x", None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Http, Some(503)));
    assert!(err.message().contains("retry after 7 s"), "{}", err.message());

    let bad_secret = TokenClient::new(&server().url("core"), RESOWNER, Some("wrong"), &options).unwrap();
    let mut rfc = ClientOptions::default();
    rfc.set_revocation_url(Some(server().url("rfc").replace("/connect/token", "/connect/revocation"))).unwrap();
    let bad_secret_rfc = TokenClient::new(&server().url("core"), RESOWNER, Some("wrong"), &rfc).unwrap();
    drop(bad_secret);
    let err = bad_secret_rfc.revoke("at-x", None).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(401)));
    assert_eq!(err.oauth_error().unwrap().error, "invalid_client");

    let plain = TokenClient::new(&server().url("core"), RESOWNER, None, &ClientOptions::default()).unwrap();
    for err in [
        plain.revoke("x", None).unwrap_err(),
        plain.introspect("x", None).map(drop).unwrap_err(),
        plain.userinfo("x").map(drop).unwrap_err(),
    ] {
        assert_eq!(err.status(), Status::InvalidArgument);
        assert!(err.message().contains("endpoint"), "{}", err.message());
    }
}

#[test]
fn userinfo_errors_come_from_www_authenticate() {
    let mut options = ClientOptions::default();
    options.set_userinfo_url(Some(server().url("core").replace("/connect/token", "/connect/userinfo"))).unwrap();
    let c = TokenClient::new(&server().url("core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    let err = c.userinfo("at-unknown").unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(401)));
    assert_eq!(err.oauth_error().unwrap().error, "invalid_token");

    let without_openid = c.request_password(JOE, password(JOE), Some("qflowapi")).unwrap();
    let err = c.userinfo(without_openid.access_token()).unwrap_err();
    assert_eq!((err.status(), err.http_status()), (Status::Oauth, Some(403)));
    assert_eq!(err.oauth_error().unwrap().error, "insufficient_scope");
}
