//! TLS, connection reuse, threads and proxies.

mod support;

use qflow_auth::{ClientOptions, ProxySetting, Secret, Status, TokenClient};
use std::sync::Arc;
use support::*;

#[test]
fn one_client_reuses_one_connection() {
    for (modes, base) in [("tag-keepalive/core", &server().http), ("tag-keepalive-tls/core", &server().https)] {
        let mut options = ClientOptions::default();
        options.set_ca_file(Some(server().ca_file.clone().into())).unwrap();
        let url = format!("{base}/{modes}/connect/token");
        let c = TokenClient::new(&url, RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
        for _ in 0..5 {
            c.request_password(JOE, password(JOE), None).unwrap();
        }
        let tag = modes.split('/').next().unwrap().trim_start_matches("tag-");
        let stats = server().stats(tag);
        assert_eq!(stats["requests"], 5);
        assert_eq!(stats["connections"], 1, "{tag}: {stats}");
    }
}

#[test]
fn one_call_requests_share_connections() {
    for _ in 0..3 {
        qflow_auth::fetch_token(Some(&server().url("tag-quick-reuse/core")), RESOWNER, Some(secret(RESOWNER)), JOE, password(JOE), None)
            .unwrap();
    }
    let stats = server().stats("quick-reuse");
    assert_eq!((stats["requests"].as_u64(), stats["connections"].as_u64()), (Some(3), Some(1)), "{stats}");
}

#[test]
fn many_threads_share_one_client() {
    let c = Arc::new(
        TokenClient::new(&server().url("tag-threads/core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
            .unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                (0..10).map(|_| c.request_password(JOE, password(JOE), None).unwrap().access_token().to_string()).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut tokens: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 80, "every request got its own token");
    let stats = server().stats("threads");
    assert_eq!(stats["requests"], 80);
    assert!(stats["connections"].as_u64().unwrap() <= 8, "connections are pooled: {stats}");
}

#[test]
fn a_request_on_a_connection_the_server_just_closed_goes_out_again_on_a_new_one() {
    // The server answers the first request on each connection and drops the connection on the next
    // one without answering, as when its idle timeout hits just as a request arrives (the probe
    // before reuse cannot see that coming). Each such request is sent again on a fresh connection.
    let c = TokenClient::new(&server().url("tag-stale/stale/core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
        .unwrap();
    for _ in 0..3 {
        c.request_password(JOE, password(JOE), None).expect("sent again on a fresh connection");
    }
    let stats = server().stats("stale");
    // 1 answered; then twice: 1 dropped on the reused connection + 1 answered on a new one.
    assert_eq!((stats["requests"].as_u64(), stats["connections"].as_u64()), (Some(5), Some(3)), "{stats}");

    // Over TLS too.
    let mut options = ClientOptions::default();
    options.set_ca_file(Some(server().ca_file.clone().into())).unwrap();
    let c = TokenClient::new(&server().https_url("tag-stale-tls/stale/core"), RESOWNER, Some(secret(RESOWNER)), &options)
        .unwrap();
    for _ in 0..2 {
        c.request_password(JOE, password(JOE), None).expect("sent again on a fresh TLS connection");
    }
    let stats = server().stats("stale-tls");
    assert_eq!((stats["requests"].as_u64(), stats["connections"].as_u64()), (Some(3), Some(2)), "{stats}");
}

#[test]
fn a_request_dropped_on_a_fresh_connection_is_not_sent_again() {
    let c = TokenClient::new(&server().url("tag-dropped/drop/core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
        .unwrap();
    let err = c.request_password(JOE, password(JOE), None).unwrap_err();
    assert_eq!(err.status(), Status::Network, "{}", err.message());
    assert_eq!(server().stats("dropped")["requests"], 1, "not repeated");
}

#[test]
fn explicit_proxy_is_used_even_for_loopback() {
    // The identity server doubles as a CONNECT proxy to itself and marks tunnelled requests.
    let mut options = ClientOptions::default();
    options.set_proxy(ProxySetting::Url(Secret::new(server().http.clone()))).unwrap();
    let c = TokenClient::new(&server().url("tag-proxy/core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    let via = server().log("proxy")[0]["via_proxy"].as_str().map(str::to_string);
    let authority = server().http.trim_start_matches("http://").to_string();
    assert_eq!(via, Some(authority));

    options.set_proxy(ProxySetting::Disabled).unwrap();
    let c = TokenClient::new(&server().url("tag-noproxy/core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    assert!(server().log("noproxy")[0]["via_proxy"].is_null());
}

#[test]
fn socks5_proxies_carry_requests_with_or_without_credentials() {
    // The identity server's SOCKS5 proxy tunnels every CONNECT to its HTTP listener and logs the
    // target it was asked for. qflow-proxy-test.invalid never resolves: only the proxy can reach it.
    let port = server().http.rsplit(':').next().unwrap();
    let remote = |tag: &str| format!("http://qflow-proxy-test.invalid:{port}/tag-{tag}/core/connect/token");
    let mut options = ClientOptions::default();
    options.set_allow_insecure_http(true);
    let cases = [
        // socks5h: the proxy resolves the name.
        (format!("socks5h://{}", server().socks5), "socks5h", format!("socks5 qflow-proxy-test.invalid:{port}")),
        // RFC 1929 credentials, percent-encoded in the URL as usual ('&' is %26).
        (format!("socks5h://proxyuser:proxy%26pass@{}", server().socks5), "socks5auth", format!("socks5 qflow-proxy-test.invalid:{port}")),
    ];
    for (proxy, tag, via) in cases {
        options.set_proxy(ProxySetting::Url(Secret::new(proxy))).unwrap();
        let c = TokenClient::new(&remote(tag), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
        c.request_password(JOE, password(JOE), None).unwrap();
        assert_eq!(server().log(tag)[0]["via_proxy"], via, "{tag}");
    }

    // socks5 (without h) resolves locally; a loopback target goes through an explicit proxy too.
    options.set_proxy(ProxySetting::Url(Secret::new(format!("socks5://{}", server().socks5)))).unwrap();
    let c = TokenClient::new(&server().url("tag-socks5ip/core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    let authority = server().http.trim_start_matches("http://");
    assert_eq!(server().log("socks5ip")[0]["via_proxy"], format!("socks5 {authority}"));

    // Wrong proxy credentials: a network error that names neither the password nor a panic.
    options.set_proxy(ProxySetting::Url(Secret::new(format!("socks5h://proxyuser:wrong@{}", server().socks5)))).unwrap();
    let c = TokenClient::new(&remote("socks5bad"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    let err = c.request_password(JOE, password(JOE), None).unwrap_err();
    assert_eq!(err.status(), Status::Network, "{err:?}");
    assert!(!err.message().contains("wrong"), "{}", err.message());
    assert!(server().log("socks5bad").is_empty());
}

#[test]
fn custom_user_agent() {
    let mut options = ClientOptions::default();
    options.set_user_agent(Some("acme-billing/2.1".into())).unwrap();
    let c = TokenClient::new(&server().url("tag-ua/core"), RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    assert_eq!(server().log("ua")[0]["headers"]["user-agent"], "acme-billing/2.1");
}

#[test]
fn a_connection_the_server_closed_is_not_reused() {
    // The server closes each connection after answering, without saying so. The pool must notice
    // before the next request (a probe before reuse) instead of sending into a closed connection.
    let c = TokenClient::new(&server().url("tag-closed/close-after/core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
        .unwrap();
    for _ in 0..3 {
        c.request_password(JOE, password(JOE), None).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50)); // let the server's FIN arrive
    }
    let stats = server().stats("closed");
    assert_eq!((stats["requests"].as_u64(), stats["connections"].as_u64()), (Some(3), Some(3)), "{stats}");
}
