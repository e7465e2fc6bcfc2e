//! Proxies from the environment. In a binary of its own: it changes process-wide environment
//! variables, which would race with other tests.

mod support;

use qflow_auth::{ClientOptions, TokenClient};
use support::*;

#[test]
fn environment_proxy_applies_to_remote_hosts_but_never_to_loopback() {
    // The identity server doubles as a CONNECT proxy. As the environment proxy it must be skipped for
    // loopback targets...
    let proxy = server().http.clone();
    std::env::set_var("HTTPS_PROXY", &proxy);
    std::env::set_var("HTTP_PROXY", &proxy);
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let loopback = TokenClient::new(&server().url("tag-env/core"), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default())
        .unwrap();
    loopback.request_password(JOE, password(JOE), None).unwrap();
    assert!(server().log("env")[0]["via_proxy"].is_null(), "loopback must bypass an environment proxy");

    // ...and used for other hosts: the proxy (our server) receives the CONNECT for the remote host,
    // tunnels to itself, and answers as the token endpoint. localhost.invalid never resolves, so only
    // a request that went through the proxy can succeed.
    let mut options = ClientOptions::default();
    options.set_allow_insecure_http(true);
    let port = proxy.rsplit(':').next().unwrap();
    let remote = format!("http://qflow-proxy-test.invalid:{port}/tag-env-remote/core/connect/token");
    let c = TokenClient::new(&remote, RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    assert_eq!(server().log("env-remote")[0]["via_proxy"], format!("qflow-proxy-test.invalid:{port}"));

    // A SOCKS proxy from ALL_PROXY is used as well (it was once ignored, sending the request
    // directly), and still skipped for loopback hosts.
    std::env::remove_var("HTTPS_PROXY");
    std::env::remove_var("HTTP_PROXY");
    std::env::set_var("ALL_PROXY", format!("socks5h://{}", server().socks5));
    let remote = format!("http://qflow-proxy-test.invalid:{port}/tag-env-socks/core/connect/token");
    let c = TokenClient::new(&remote, RESOWNER, Some(secret(RESOWNER)), &options).unwrap();
    c.request_password(JOE, password(JOE), None).unwrap();
    assert_eq!(server().log("env-socks")[0]["via_proxy"], format!("socks5 qflow-proxy-test.invalid:{port}"));
    let loopback = TokenClient::new(&server().url("tag-env-socks-loopback/core"), RESOWNER, Some(secret(RESOWNER)), &options)
        .unwrap();
    loopback.request_password(JOE, password(JOE), None).unwrap();
    assert!(server().log("env-socks-loopback")[0]["via_proxy"].is_null());
}
