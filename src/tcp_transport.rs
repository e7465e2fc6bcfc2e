//! TCP connections for ureq's connector chain, in place of ureq's `TcpConnector`, with fewer system
//! calls per request on a kept-alive connection: three (write, read, liveness probe) instead of seven.
//!
//! - **Socket timeouts set lazily.** ureq sets `SO_SNDTIMEO`/`SO_RCVTIMEO` to the time left before
//!   every write and every read: the time left changes on every call, so each I/O costs an extra
//!   `setsockopt`. Here a socket timeout is changed only when it is longer than the time left, and
//!   then set somewhat shorter than that, so that the next requests (whose time left starts over)
//!   find it short enough. A read or write that stops at the socket timeout while time is left simply
//!   tries again with the remainder: the request's deadline is kept exactly as before.
//! - **One-call liveness probe.** Before a pooled connection is reused, ureq switches the socket to
//!   non-blocking mode, reads one byte and switches back. A single non-blocking `recv` with
//!   `MSG_PEEK` tells the same (closed, unexpected bytes, or quiet) and leaves the socket as it was.

use crate::cancel::{self, Registration};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use std::fmt;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle, Transport,
};

/// The least time each address of a host gets to connect, however many addresses it has.
const MIN_CONNECT_PER_ADDRESS: Duration = Duration::from_millis(10);
/// How much shorter than the time left a socket timeout is set (at most): the slack that lets the
/// next requests on the connection keep it.
const TIMEOUT_SLACK: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        // A proxy connector earlier in the chain has already connected.
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        if cancel::current_is_cancelled() {
            return Err(cancelled());
        }
        let stream = Arc::new(connect(details)?);
        // Lets Agent::shutdown interrupt I/O blocked on this socket in another thread.
        (details.register_shutdown)(Arc::downgrade(&stream) as Weak<dyn ShutdownHandle>)?;
        let mut cancellation = Registration::default();
        // Before the TLS handshake, so that a cancel interrupts that too.
        if !cancellation.sync(&stream) {
            return Err(cancelled());
        }
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TcpTransport {
            stream,
            buffers,
            read_timeout: SocketTimeout::default(),
            write_timeout: SocketTimeout::default(),
            cancellation,
        })))
    }
}

/// Tries the resolved addresses in order; each gets an equal share of the connect time still left.
fn connect(details: &ConnectionDetails) -> Result<TcpStream, ureq::Error> {
    let budget = time_left(details.timeout)?;
    match connect_any(&details.addrs, budget) {
        Ok(stream) => Ok(stream),
        Err(_) if cancel::current_is_cancelled() => Err(cancelled()),
        Err(Some(error)) if error.kind() != io::ErrorKind::TimedOut => Err(error.into()),
        Err(None) if details.addrs.is_empty() => Err(ureq::Error::HostNotFound),
        Err(_) => Err(ureq::Error::Timeout(details.timeout.reason)),
    }
}

/// The first address that accepts a connection within its share of `budget`; otherwise the last
/// error (None when no attempt was made).
fn connect_any(addrs: &[SocketAddr], budget: Option<Duration>) -> Result<TcpStream, Option<io::Error>> {
    let started = Instant::now();
    let mut last_error = None;
    for (index, addr) in addrs.iter().enumerate() {
        let share = match budget {
            Some(budget) => {
                let left = budget.saturating_sub(started.elapsed());
                if left.is_zero() {
                    break;
                }
                Some((left / (addrs.len() - index) as u32).max(MIN_CONNECT_PER_ADDRESS))
            }
            None => None,
        };
        match connect_one(*addr, share) {
            Ok(stream) => return Ok(stream),
            Err(_) if cancel::current_is_cancelled() => return Err(None),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error)
}

fn connect_one(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let stream = match timeout {
        Some(timeout) => TcpStream::connect_timeout(&addr, timeout)?,
        None => TcpStream::connect(addr)?,
    };
    // Token requests are one small write each; Nagle's algorithm would hold it for an ACK.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// `None` when there is no deadline; a timeout error when it has passed.
fn time_left(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if timeout.after.is_not_happening() {
        return Ok(None);
    }
    let left = *timeout.after;
    if left.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(Some(left))
}

pub(crate) struct TcpTransport {
    /// Shared (weakly) with the agent's shutdown handle.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    read_timeout: SocketTimeout,
    write_timeout: SocketTimeout,
    /// Lets the current thread's cancellation shut this socket down (src/cancel.rs).
    cancellation: Registration,
}

/// How a cancellation surfaces inside ureq; src/transport.rs reports it as `Status::Cancelled`.
fn cancelled() -> ureq::Error {
    ureq::Error::Io(io::Error::new(io::ErrorKind::Interrupted, "cancelled"))
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport").field("peer", &self.stream.peer_addr().ok()).finish()
    }
}

/// What one of the socket's timeouts is currently set to (`None`: blocks without limit, as a new
/// socket does).
#[derive(Debug, Default)]
struct SocketTimeout(Option<Duration>);

impl SocketTimeout {
    /// Makes sure the socket gives up no later than `left` from now.
    fn at_most(
        &mut self,
        left: Option<Duration>,
        stream: &TcpStream,
        set: fn(&TcpStream, Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        let Some(left) = left else {
            // No deadline: a socket timeout left from an earlier request only makes the I/O loop
            // wake up and try again, which is harmless.
            return Ok(());
        };
        if self.0.is_some_and(|current| current <= left) {
            return Ok(());
        }
        let wanted = left - TIMEOUT_SLACK.min(left / 8);
        set(stream, Some(wanted))?;
        self.0 = Some(wanted);
        Ok(())
    }
}

/// Whether an I/O error only means "stopped early, try again": a signal, or a socket timeout that
/// was shorter than the time left (Linux reports it as EAGAIN).
fn try_again(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if !self.cancellation.sync(&self.stream) {
            return Err(cancelled());
        }
        let timeout = timeout.for_write();
        let budget = time_left(timeout)?;
        let started = Instant::now();
        let mut sent = 0;
        while sent < amount {
            let left = remaining(budget, started).ok_or(ureq::Error::Timeout(timeout.reason))?;
            self.write_timeout.at_most(left, &self.stream, TcpStream::set_write_timeout)?;
            match (&*self.stream).write(&self.buffers.output()[sent..amount]) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => sent += n,
                Err(e) if try_again(&e) && !cancel::current_is_cancelled() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if !self.cancellation.sync(&self.stream) {
            return Err(cancelled());
        }
        let timeout = timeout.for_read();
        let budget = time_left(timeout)?;
        let started = Instant::now();
        loop {
            let left = remaining(budget, started).ok_or(ureq::Error::Timeout(timeout.reason))?;
            self.read_timeout.at_most(left, &self.stream, TcpStream::set_read_timeout)?;
            match (&*self.stream).read(self.buffers.input_append_buf()) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if try_again(&e) && !cancel::current_is_cancelled() => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        // Called when the pool hands the connection to a request, on that request's thread: from here
        // on, only that request's cancellation may shut it down.
        self.cancellation.sync(&self.stream) && probe(&self.stream)
    }
}

/// The time left of `budget` since `started`: `Some(None)` without a deadline, `None` once it passed.
fn remaining(budget: Option<Duration>, started: Instant) -> Option<Option<Duration>> {
    match budget {
        None => Some(None),
        Some(budget) => {
            let left = budget.saturating_sub(started.elapsed());
            (!left.is_zero()).then_some(Some(left))
        }
    }
}

/// Whether an idle connection can be reused: open, and nothing unexpected waiting on it.
#[cfg(unix)]
fn probe(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    // SAFETY: the descriptor is owned by `stream`, which outlives the call, and the buffer is one
    // valid, writable byte.
    let received = unsafe {
        libc::recv(stream.as_raw_fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
    };
    // -1 with EAGAIN: open and quiet. 0: the server closed it. 1: bytes nobody asked for.
    received < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

#[cfg(not(unix))]
fn probe(stream: &TcpStream) -> bool {
    let quiet = stream.set_nonblocking(true).is_ok()
        && matches!(stream.peek(&mut [0u8]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && quiet
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Both ends of a loopback connection: the client's, then the server's.
    pub(crate) fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (client, listener.accept().unwrap().0)
    }

    #[test]
    fn probe_tells_quiet_from_closed_and_from_unexpected_bytes() {
        let (client, mut server) = pair();
        assert!(probe(&client), "quiet and open");
        server.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(!probe(&client), "bytes nobody asked for");
        assert!(!probe(&client), "the probe only peeks: they are still there");

        let (client, server) = pair();
        drop(server);
        std::thread::sleep(Duration::from_millis(20));
        assert!(!probe(&client), "closed by the server");
        client.set_read_timeout(None).unwrap();
        // The probe left the socket in blocking mode.
        assert_eq!((&client).read(&mut [0u8; 1]).unwrap(), 0);
    }

    #[test]
    fn connecting_falls_back_to_the_next_address() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // listener dropped
        let stream = connect_any(&[closed, open], Some(Duration::from_secs(5))).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        assert!(stream.nodelay().unwrap());
        let refused = connect_any(&[closed], Some(Duration::from_secs(5))).unwrap_err();
        assert_eq!(refused.map(|e| e.kind()), Some(io::ErrorKind::ConnectionRefused));
        assert!(connect_any(&[], None).unwrap_err().is_none(), "no attempt, no error");
    }

    #[test]
    fn socket_timeout_changes_only_when_longer_than_the_time_left() {
        let (client, _server) = pair();
        let mut timeout = SocketTimeout::default();
        let set = TcpStream::set_read_timeout;
        timeout.at_most(Some(Duration::from_secs(30)), &client, set).unwrap();
        assert_eq!(timeout.0, Some(Duration::from_secs(29)));
        assert_eq!(client.read_timeout().unwrap(), Some(Duration::from_secs(29)));
        // The next request starts with nearly the whole budget again: nothing to change.
        timeout.at_most(Some(Duration::from_millis(29_999)), &client, set).unwrap();
        assert_eq!(client.read_timeout().unwrap(), Some(Duration::from_secs(29)));
        // Less time left than the socket would wait: lowered, with slack of an eighth.
        timeout.at_most(Some(Duration::from_millis(800)), &client, set).unwrap();
        assert_eq!(client.read_timeout().unwrap(), Some(Duration::from_millis(700)));
        timeout.at_most(None, &client, set).unwrap();
        assert_eq!(timeout.0, Some(Duration::from_millis(700)));
    }
}
