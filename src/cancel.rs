//! Aborting requests in flight from another thread.
//!
//! A [`Cancellation`] is attached to the thread that makes requests (see [`Cancellation::run`]); every
//! socket those requests use is registered with it. [`Cancellation::cancel`], from any thread, marks it
//! cancelled and shuts those sockets down, which wakes a read or write blocked on them at once; the
//! request then fails with [`Status::Cancelled`], and so does every later
//! request on that thread until the cancellation is detached.
//!
//! Thread-bound rather than a parameter of every request, like the C API's last error: the C functions
//! keep their signatures, and a binding attaches a cancellation around a blocking call on its worker
//! thread.

use crate::error::{Error, Status};
use std::cell::RefCell;
use std::fmt;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A cancellation signal shared between the thread making requests and the threads that may cancel
/// them. Cloning shares it.
#[derive(Clone, Default)]
pub struct Cancellation {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    /// The sockets used under this cancellation, to shut down when it is cancelled.
    sockets: Mutex<Vec<Weak<TcpStream>>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Cancellation>> = const { RefCell::new(None) };
}

impl Cancellation {
    pub fn new() -> Cancellation {
        Cancellation::default()
    }

    /// Aborts the requests running under this cancellation and fails those that start later. Safe from
    /// any thread, any number of times.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let sockets = std::mem::take(&mut *self.sockets());
        for socket in sockets.iter().filter_map(Weak::upgrade) {
            // An error means the socket is closed already, which is what we want.
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Runs `work` with this cancellation attached to the current thread, then restores whatever was
    /// attached before.
    pub fn run<R>(&self, work: impl FnOnce() -> R) -> R {
        with_attached(Some(self.clone()), work)
    }

    fn same(&self, other: &Cancellation) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Cancellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancellation").field("cancelled", &self.is_cancelled()).finish()
    }
}

/// Runs `work` out of reach of the current thread's cancellation. For requests whose answer must not
/// be lost once sent: a refresh token that the server rotates on use (RFC 6749 section 6) is gone once
/// it has processed the request, so cutting the request short would leave nothing to renew with.
pub(crate) fn shielded<R>(work: impl FnOnce() -> R) -> R {
    with_attached(None, work)
}

fn with_attached<R>(cancellation: Option<Cancellation>, work: impl FnOnce() -> R) -> R {
    struct Restore(Option<Cancellation>);
    impl Drop for Restore {
        fn drop(&mut self) {
            attach(self.0.take());
        }
    }
    let _restore = Restore(attach(cancellation));
    work()
}

/// Attaches `cancellation` to the current thread (None detaches) and returns what was attached.
pub fn attach(cancellation: Option<Cancellation>) -> Option<Cancellation> {
    CURRENT.with(|current| std::mem::replace(&mut *current.borrow_mut(), cancellation))
}

/// The error of a request cut short by its cancellation.
pub(crate) fn cancelled_error() -> Error {
    Error::new(Status::Cancelled, "the request was cancelled")
}

/// `Err` when the current thread's cancellation has been cancelled.
pub(crate) fn check() -> crate::Result<()> {
    if current_is_cancelled() {
        return Err(cancelled_error());
    }
    Ok(())
}

pub(crate) fn current_is_cancelled() -> bool {
    CURRENT.with(|current| current.borrow().as_ref().is_some_and(Cancellation::is_cancelled))
}

/// The cancellation a connection is registered with: that of the thread that last used it. A pooled
/// connection moves between threads, so each use re-syncs it; otherwise cancelling a token whose
/// request is over would shut down a connection that another request is using by then.
#[derive(Default)]
pub(crate) struct Registration(Option<Cancellation>);

impl Registration {
    /// Registers `socket` with the current thread's cancellation, and only with it. Returns false when
    /// that cancellation is already cancelled: the caller must not use the socket.
    pub fn sync(&mut self, socket: &Arc<TcpStream>) -> bool {
        CURRENT.with(|current| {
            let current = current.borrow();
            let in_sync = match (&self.0, current.as_ref()) {
                (Some(registered), Some(current)) => registered.same(current),
                (None, None) => true,
                _ => false,
            };
            if !in_sync {
                if let Some(previous) = self.0.take() {
                    previous.forget(socket);
                }
                if let Some(current) = current.as_ref() {
                    current.add(socket);
                    self.0 = Some(current.clone());
                }
            }
            // Checked after registering: a cancel() that ran before the push saw no socket to shut
            // down, but its flag is visible here.
            current.as_ref().is_none_or(|c| !c.is_cancelled())
        })
    }
}

impl Cancellation {
    fn sockets(&self) -> std::sync::MutexGuard<'_, Vec<Weak<TcpStream>>> {
        self.inner.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, socket: &Arc<TcpStream>) {
        let mut sockets = self.sockets();
        sockets.retain(|s| s.strong_count() > 0);
        sockets.push(Arc::downgrade(socket));
    }

    fn forget(&self, socket: &Arc<TcpStream>) {
        self.sockets().retain(|s| s.as_ptr() != Arc::as_ptr(socket));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::time::{Duration, Instant};

    /// A client socket, shared as the transport shares it, and the server's end of the connection.
    fn connected() -> (Arc<TcpStream>, TcpStream) {
        let (client, server) = crate::tcp_transport::tests::pair();
        (Arc::new(client), server)
    }

    #[test]
    fn cancel_wakes_a_blocked_read_and_marks_the_thread() {
        let (socket, _server) = connected();
        let cancellation = Cancellation::new();
        let canceller = cancellation.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            canceller.cancel();
        });
        let started = Instant::now();
        let read = cancellation.run(|| {
            assert!(Registration::default().sync(&socket));
            assert!(check().is_ok());
            let read = (&*socket).read(&mut [0u8; 8]);
            (read.map_err(|e| e.kind()), check().map_err(|e| e.status()))
        });
        assert!(started.elapsed() < Duration::from_secs(5), "woken by the cancel");
        assert_eq!(read, (Ok(0), Err(Status::Cancelled)));
        assert!(check().is_ok(), "detached after run");
    }

    #[test]
    fn registering_under_a_cancelled_cancellation_refuses_the_socket() {
        let (socket, _server) = connected();
        let cancellation = Cancellation::new();
        cancellation.cancel();
        let mut registration = Registration::default();
        assert!(!cancellation.run(|| registration.sync(&socket)));
        assert!(registration.sync(&socket), "no cancellation attached: usable");
    }

    #[test]
    fn a_connection_used_by_another_request_leaves_the_first_ones_cancellation() {
        let (socket, _server) = connected();
        let first = Cancellation::new();
        let mut registration = Registration::default();
        assert!(first.run(|| registration.sync(&socket)));
        // The pooled connection is taken by a request without a cancellation, then by one with
        // another; cancelling the first token afterwards must not touch it.
        assert!(registration.sync(&socket));
        let second = Cancellation::new();
        assert!(second.run(|| registration.sync(&socket)));
        first.cancel();
        socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let read = (&*socket).read(&mut [0u8; 8]).map_err(|e| e.kind());
        assert!(matches!(read, Err(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)), "still open: {read:?}");
        second.cancel();
        assert_eq!((&*socket).read(&mut [0u8; 8]).map_err(|e| e.kind()), Ok(0), "shut down by its current token");
    }

    #[test]
    fn run_restores_the_outer_cancellation() {
        let outer = Cancellation::new();
        let inner = Cancellation::new();
        outer.run(|| {
            inner.run(|| inner.cancel());
            assert!(check().is_ok(), "the outer one is attached again and not cancelled");
            outer.cancel();
            assert_eq!(check().unwrap_err().status(), Status::Cancelled);
        });
    }
}
