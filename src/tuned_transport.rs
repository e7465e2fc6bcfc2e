//! Two savings per request on kept-alive connections, in a transport outermost in ureq's connector
//! chain (above TLS):
//!
//! - **One write per request.** ureq transmits the head of a request and then, separately, its body:
//!   two `send` calls and, over TLS, two records, and the server wakes up twice for one small token
//!   request. A head that announces a body is held back and sent together with the body.
//! - **One liveness probe per reuse.** ureq's pool probes a connection (non-blocking mode on, a
//!   one-byte peek, blocking mode back: three system calls) when the connection comes back to the
//!   pool and again when it is taken out. The first probe follows a successful exchange on the same
//!   connection within microseconds; the second, which runs before the connection is used again,
//!   detects everything the first would (a closed connection, or bytes after the body). So the first
//!   is answered from that exchange and only the second probes.
//! - **Stale connections told apart.** A server may close an idle kept-alive connection just as a
//!   request goes out on it; the probe cannot see that coming. When a reused connection ends (closed,
//!   reset) before the first byte of an answer, this is recorded for the thread, and
//!   src/transport.rs sends the request again on another connection, as curl and browsers do.

use std::cell::Cell;
use std::fmt;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use zeroize::Zeroizing;

#[derive(Debug, Default)]
pub(crate) struct TunedConnector;

impl<In: Transport> Connector<In> for TunedConnector {
    type Out = TunedTransport;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| TunedTransport {
            inner: Box::new(inner),
            held: Zeroizing::new(Vec::new()),
            just_exchanged: false,
            answered: 0,
            awaiting_answer: false,
        }))
    }
}

pub(crate) struct TunedTransport {
    inner: Box<dyn Transport>,
    /// A request head waiting for its body. It may hold an Authorization header, hence zeroed.
    held: Zeroizing<Vec<u8>>,
    /// Input arrived since the last liveness probe: the connection was just seen working.
    just_exchanged: bool,
    /// Requests on this connection whose answer began to arrive: more than 0 means it is reused.
    answered: u32,
    /// A request has gone out and nothing of its answer has come back yet.
    awaiting_answer: bool,
}

thread_local! {
    static STALE_CONNECTION_FAILURE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the last request on this thread failed because the reused connection it went out on ended
/// before any of the answer came back; clears the record.
pub(crate) fn take_stale_connection_failure() -> bool {
    STALE_CONNECTION_FAILURE.with(|stale| stale.replace(false))
}

impl fmt::Debug for TunedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TunedTransport").field("inner", &self.inner).field("held", &self.held.len()).finish()
    }
}

impl TunedTransport {
    /// Called when the connection failed or ended: records a stale connection if that is what it was.
    fn note_failure(&self) {
        if self.awaiting_answer && self.answered > 0 {
            STALE_CONNECTION_FAILURE.with(|stale| stale.set(true));
        }
    }

    /// Sends what is held on its own (before waiting for input, or when it cannot join the body).
    fn flush_held(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::replace(&mut self.held, Zeroizing::new(Vec::new()));
        // It came out of this same buffer, so it fits.
        self.inner.buffers().output()[..held.len()].copy_from_slice(&held);
        self.inner.transmit_output(held.len(), timeout)
    }
}

impl Transport for TunedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.awaiting_answer = true;
        let sent = self.send(amount, timeout);
        if sent.is_err() {
            self.note_failure();
        }
        sent
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        // Never wait for an answer to a request that has not gone out.
        let got_input = self.flush_held(timeout).and_then(|()| self.inner.await_input(timeout));
        match got_input {
            Ok(true) => {
                self.just_exchanged = true;
                if std::mem::take(&mut self.awaiting_answer) {
                    self.answered += 1;
                }
            }
            // The connection ended (false: closed) or broke.
            Ok(false) | Err(_) => self.note_failure(),
        }
        got_input
    }

    fn is_open(&mut self) -> bool {
        // See the module documentation: the probe on return to the pool is answered by the exchange
        // that just happened; the probe before reuse always runs.
        if std::mem::take(&mut self.just_exchanged) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

impl TunedTransport {
    /// A request's head and body in one write where possible (see the module documentation).
    fn send(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            let written = &self.inner.buffers().output()[..amount];
            if announces_body(written) {
                self.held.extend_from_slice(written);
                return Ok(());
            }
            return self.inner.transmit_output(amount, timeout);
        }
        // The body: move it up in the output buffer and put the held head in front of it.
        let output = self.inner.buffers().output();
        let total = self.held.len() + amount;
        if total > output.len() {
            let body = Zeroizing::new(output[..amount].to_vec());
            self.flush_held(timeout)?;
            self.inner.buffers().output()[..amount].copy_from_slice(&body);
            return self.inner.transmit_output(amount, timeout);
        }
        output.copy_within(..amount, self.held.len());
        output[..self.held.len()].copy_from_slice(&self.held);
        self.held.clear();
        self.inner.transmit_output(total, timeout)
    }
}

/// Whether `data` is exactly a request head that announces a body by a non-zero Content-Length and
/// does not wait for `100 Continue` (which needs the head to go out alone).
fn announces_body(data: &[u8]) -> bool {
    let Some(head) = data.strip_suffix(b"\r\n\r\n") else {
        return false;
    };
    let mut announced = false;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"expect") {
            return false;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            announced = value != b"0";
        }
    }
    announced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_heads_that_announce_a_body() {
        assert!(announces_body(b"POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n"));
        assert!(announces_body(b"POST /t HTTP/1.1\r\ncontent-length:5\r\n\r\n"));
        assert!(!announces_body(b"POST /t HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
        assert!(!announces_body(b"GET /t HTTP/1.1\r\nHost: h\r\n\r\n"));
        assert!(!announces_body(b"POST /t HTTP/1.1\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n"));
        assert!(!announces_body(b"grant_type=password&username=joe"), "a body is not a head");
        assert!(!announces_body(b"POST /t HTTP/1.1\r\nContent-Length: 12\r\n"), "an incomplete head");
    }
}
