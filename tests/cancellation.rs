//! Cancelling requests in flight from another thread (src/cancel.rs).

mod support;

use qflow_auth::{Cancellation, ClientOptions, Status, TokenClient, TokenSource, TokenSourceOptions};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use support::*;

fn client(modes: &str) -> TokenClient {
    client_as(RESOWNER, modes)
}

fn client_as(id: &str, modes: &str) -> TokenClient {
    TokenClient::new(&server().url(modes), id, Some(secret(id)), &ClientOptions::default()).unwrap()
}

/// Cancels `cancellation` after `delay`, from another thread.
fn cancel_after(cancellation: &Cancellation, delay: Duration) -> thread::JoinHandle<()> {
    let cancellation = cancellation.clone();
    thread::spawn(move || {
        thread::sleep(delay);
        cancellation.cancel();
    })
}

/// Cancels `cancellation` from another thread once the server has received `requests` requests tagged
/// `tag`: then the request to cancel is surely in flight, however slow the machine.
fn cancel_once_received(cancellation: &Cancellation, tag: &'static str, requests: u64) -> thread::JoinHandle<()> {
    let cancellation = cancellation.clone();
    thread::spawn(move || {
        wait_for_requests(tag, requests);
        cancellation.cancel();
    })
}

fn wait_for_requests(tag: &str, requests: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server().stats(tag)["requests"].as_u64() < Some(requests) {
        assert!(Instant::now() < deadline, "the server never received request {requests} tagged {tag}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_request_waiting_for_a_slow_server_ends_at_once_when_cancelled() {
    let c = client("tag-cancel-slow/slow-5000/core");
    let cancellation = Cancellation::new();
    let canceller = cancel_once_received(&cancellation, "cancel-slow", 1);
    let started = Instant::now();
    let err = cancellation.run(|| c.request_password(JOE, password(JOE), None)).unwrap_err();
    let waited = started.elapsed();
    canceller.join().unwrap();
    assert_eq!((err.status(), err.http_status()), (Status::Cancelled, None), "{}", err.message());
    assert_eq!(err.message(), "the request was cancelled");
    assert!(waited < Duration::from_millis(2000), "the server answers after 5 s; we gave up after {waited:?}");
    assert_eq!(server().stats("cancel-slow")["requests"], 1, "the request had gone out");
}

#[test]
fn a_cancelled_thread_sends_nothing_until_detached_and_the_client_stays_usable() {
    let c = client("tag-cancel-before/core");
    c.request_password(JOE, password(JOE), None).unwrap();
    let cancellation = Cancellation::new();
    cancellation.cancel();
    for _ in 0..2 {
        let err = cancellation.run(|| c.request_password(JOE, password(JOE), None)).unwrap_err();
        assert_eq!(err.status(), Status::Cancelled);
    }
    assert_eq!(server().stats("cancel-before")["requests"], 1, "cancelled requests never reached the server");

    // Detached: the same client and its pooled connection work as before.
    c.request_password(JOE, password(JOE), None).unwrap();
    let stats = server().stats("cancel-before");
    assert_eq!((stats["requests"].as_u64(), stats["connections"].as_u64()), (Some(2), Some(1)), "{stats}");
}

#[test]
fn a_cancelled_request_leaves_no_broken_connection_behind() {
    // The cancel shuts down the socket of a kept-alive connection; the next request must not get it.
    let c = client("tag-cancel-pool/slow-300/core");
    c.request_password(JOE, password(JOE), None).unwrap();
    let cancellation = Cancellation::new();
    let canceller = cancel_once_received(&cancellation, "cancel-pool", 2);
    let err = cancellation.run(|| c.request_password(JOE, password(JOE), None)).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.status(), Status::Cancelled);
    c.request_password(JOE, password(JOE), None).unwrap();
    assert_eq!(server().stats("cancel-pool")["connections"], 2, "a new connection replaced the cancelled one");
}

#[test]
fn a_tls_handshake_that_never_completes_is_cancelled_too() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/token", silent.local_addr().unwrap());
    let c = TokenClient::new(&url, "id", Some("s"), &ClientOptions::default()).unwrap();
    let cancellation = Cancellation::new();
    let canceller = cancel_after(&cancellation, Duration::from_millis(200));
    let started = Instant::now();
    let err = cancellation.run(|| c.request_client_credentials(None)).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.status(), Status::Cancelled, "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(3), "connect timeout is 10 s; gave up after {:?}", started.elapsed());
}

#[test]
fn cancelling_one_thread_renewal_does_not_fail_the_threads_waiting_for_it() {
    let c = Arc::new(client_as(SERVICE, "tag-cancel-source/slow-1000/core"));
    let source = Arc::new(TokenSource::client_credentials(c, None, &TokenSourceOptions::default()).unwrap());
    let cancellation = Cancellation::new();
    let leader = {
        let (source, cancellation) = (Arc::clone(&source), cancellation.clone());
        thread::spawn(move || cancellation.run(|| source.token().map(|_| ())))
    };
    wait_for_requests("cancel-source", 1); // the leader's renewal is on its way
    let waiter = {
        let source = Arc::clone(&source);
        thread::spawn(move || source.token().map(|t| t.access_token().to_string()))
    };
    thread::sleep(Duration::from_millis(150));
    cancellation.cancel();
    assert_eq!(leader.join().unwrap().unwrap_err().status(), Status::Cancelled);
    assert!(waiter.join().unwrap().is_ok(), "the waiter renewed on its own instead of sharing the cancellation");
    assert_eq!(server().stats("cancel-source")["requests"], 2);
}

#[test]
fn a_thread_waiting_for_a_renewal_can_be_cancelled_alone() {
    let c = Arc::new(client_as(SERVICE, "tag-cancel-waiter/slow-1500/core"));
    let source = Arc::new(TokenSource::client_credentials(c, None, &TokenSourceOptions::default()).unwrap());
    let leader = {
        let source = Arc::clone(&source);
        thread::spawn(move || source.token().map(|_| ()))
    };
    wait_for_requests("cancel-waiter", 1);
    let cancellation = Cancellation::new();
    let canceller = cancel_after(&cancellation, Duration::from_millis(200));
    let started = Instant::now();
    let err = cancellation.run(|| source.token()).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.status(), Status::Cancelled);
    assert!(started.elapsed() < Duration::from_millis(1000), "stopped waiting after {:?}", started.elapsed());
    leader.join().unwrap().expect("the renewal itself went on");
    assert_eq!(server().stats("cancel-waiter")["requests"], 1);
}

#[test]
fn a_token_source_never_cuts_a_refresh_short_so_the_rotated_refresh_token_is_kept() {
    // The server rotates refresh tokens: a refresh it has processed but whose answer we dropped would
    // leave the source with a dead refresh token. So the cancel does not abort it; the call returns
    // the token, which the source keeps.
    let c = Arc::new(client("tag-cancel-refresh/slow-600/core"));
    let source =
        TokenSource::password(Arc::clone(&c), JOE, password(JOE), Some(QUICKSTART_SCOPE), &TokenSourceOptions::default()).unwrap();
    let first = source.token().unwrap().access_token().to_string();
    source.invalidate().unwrap();
    let cancellation = Cancellation::new();
    let canceller = cancel_once_received(&cancellation, "cancel-refresh", 2);
    let renewed = cancellation.run(|| source.token()).expect("the refresh ran to its end");
    canceller.join().unwrap();
    assert_ne!(renewed.access_token(), first);
    let log = server().log("cancel-refresh");
    assert_eq!(log.len(), 2);
    assert_eq!(form_value(&log[1], "grant_type"), Some("refresh_token"));

    // Kept: no request for the next call, and the rotated refresh token works for the one after.
    assert_eq!(source.token().unwrap().access_token(), renewed.access_token());
    source.invalidate().unwrap();
    source.token().expect("renewed with the rotated refresh token");
    assert_eq!(server().log("cancel-refresh").len(), 3);

    // Already cancelled before the renewal starts: nothing is sent.
    source.invalidate().unwrap();
    let err = cancellation.run(|| source.token()).unwrap_err();
    assert_eq!(err.status(), Status::Cancelled);
    assert_eq!(server().log("cancel-refresh").len(), 3);
}

#[test]
fn cancelling_a_token_whose_request_is_over_does_not_touch_the_connection_another_request_uses() {
    let c = client("tag-cancel-late/slow-300/core");
    let finished = Cancellation::new();
    finished.run(|| c.request_password(JOE, password(JOE), None)).unwrap();
    // The next request reuses the pooled connection; meanwhile the first token is cancelled.
    let canceller = cancel_once_received(&finished, "cancel-late", 2);
    c.request_password(JOE, password(JOE), None).expect("not affected by the earlier request's token");
    canceller.join().unwrap();
    assert_eq!(server().stats("cancel-late")["connections"], 1, "one connection served both");
}
