//! Resource limits under hostile or heavy use: a response body of 1 GiB is refused at the cap without
//! being buffered, and 10,000 sequential requests on one client keep a flat file-descriptor count and
//! memory. One test in a binary of its own, so that nothing else moves the numbers it reads.

mod support;

use qflow_auth::{ClientOptions, Status, TokenClient};
use std::time::{Duration, Instant};
use support::*;

fn open_file_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident memory in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn client(modes: &str) -> TokenClient {
    TokenClient::new(&server().url(modes), RESOWNER, Some(secret(RESOWNER)), &ClientOptions::default()).unwrap()
}

#[test]
fn resource_use_stays_bounded() {
    const GIB: u64 = 1 << 30;
    let c = client("core");
    for _ in 0..100 {
        c.request_password(JOE, password(JOE), None).unwrap(); // warm up: pools, allocator, TLS roots
    }
    let (fds_before, memory_before) = (open_file_descriptors(), resident_bytes());

    // 1 GiB announced: refused before reading. 1 GiB chunked, no length: refused after the first MiB.
    for modes in [format!("huge-{GIB}"), format!("chunked-{GIB}")] {
        let started = Instant::now();
        let err = client(&modes).request_password(JOE, password(JOE), None).unwrap_err();
        assert_eq!(err.status(), Status::MalformedResponse, "{modes}: {}", err.message());
        assert!(err.message().contains("1048576-byte limit"), "{}", err.message());
        assert!(started.elapsed() < Duration::from_secs(5), "{modes} took {:?}", started.elapsed());
    }
    let growth = resident_bytes().saturating_sub(memory_before);
    assert!(growth < 32 << 20, "refusing 1 GiB bodies grew memory by {growth} bytes: they were buffered");

    let started = Instant::now();
    for _ in 0..10_000 {
        c.request_password(JOE, password(JOE), None).unwrap();
    }
    let elapsed = started.elapsed();
    let (fds_after, memory_after) = (open_file_descriptors(), resident_bytes());
    eprintln!(
        "10,000 requests in {elapsed:?}; fds {fds_before} -> {fds_after}; resident {} KiB -> {} KiB",
        memory_before / 1024,
        memory_after / 1024
    );
    assert!(fds_after <= fds_before + 1, "file descriptors leaked: {fds_before} -> {fds_after}");
    let growth = memory_after.saturating_sub(memory_before);
    assert!(growth < 8 << 20, "10,000 requests grew memory by {growth} bytes");
}
