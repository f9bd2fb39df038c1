//! Write coalescing for an HTTP/2 connection: the frames its streams hand
//! over within one scheduler pass go to TLS and the socket in one write.
//!
//! Each watch on a shared HTTP/2 connection is its own task; an event wakes
//! them all, and each wakes the connection, which flushed whatever the
//! streams that had run so far had queued: about three watchers' frames per
//! `writev` (one TLS record and one TCP send each) of 100 watchers. Here a
//! flush with bytes waiting first yields once to the scheduler, so the
//! other woken streams queue theirs, and the next flush writes them all.

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::AsyncWrite;

/// Past this many waiting bytes a write goes out without waiting for the
/// flush (h2 writes at most its 16 KiB buffer at a time).
const MOST_WAITING: usize = 64 * 1024;

/// The writes of a connection's IO (when `coalescing`): they wait for a
/// flush, and a flush lets the other ready tasks run once before it writes.
pub(super) struct Coalescer {
    coalescing: bool,
    waiting: Vec<u8>,
    /// The waiting bytes are written from the first write on.
    sent: usize,
    /// The flush has yielded once: the next one writes.
    yielded: bool,
}

impl Coalescer {
    pub(super) fn new(coalescing: bool) -> Self {
        Coalescer {
            coalescing,
            waiting: Vec::new(),
            sent: 0,
            yielded: false,
        }
    }

    pub(super) fn poll_write<T: AsyncWrite + Unpin>(
        &mut self,
        io: &mut T,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if !self.coalescing {
            return Pin::new(io).poll_write_vectored(cx, bufs);
        }
        if self.waiting.len() >= MOST_WAITING {
            ready!(self.poll_drain(io, cx))?;
        }
        let before = self.waiting.len();
        for buf in bufs {
            self.waiting.extend_from_slice(buf);
        }
        Poll::Ready(Ok(self.waiting.len() - before))
    }

    pub(super) fn is_write_vectored<T: AsyncWrite>(&self, io: &T) -> bool {
        self.coalescing || io.is_write_vectored()
    }

    pub(super) fn poll_flush<T: AsyncWrite + Unpin>(
        &mut self,
        io: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.waiting.is_empty() && !self.yielded {
            // Rescheduled behind the tasks already woken, not run again at
            // once (tokio queues a task that woke itself as a yield).
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        ready!(self.poll_drain(io, cx))?;
        self.yielded = false;
        Pin::new(io).poll_flush(cx)
    }

    pub(super) fn poll_shutdown<T: AsyncWrite + Unpin>(
        &mut self,
        io: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        ready!(self.poll_drain(io, cx))?;
        Pin::new(io).poll_shutdown(cx)
    }

    /// Writes the waiting bytes out.
    fn poll_drain<T: AsyncWrite + Unpin>(
        &mut self,
        io: &mut T,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        while self.sent < self.waiting.len() {
            let n = ready!(Pin::new(&mut *io).poll_write(cx, &self.waiting[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.waiting.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write it gets.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl AsyncWrite for Writes {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            self.0.push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn write(writes: &mut Coalescer, io: &mut Writes, cx: &mut Context<'_>, bytes: &[u8]) {
        assert!(matches!(
            writes.poll_write(io, cx, &[IoSlice::new(bytes)]),
            Poll::Ready(Ok(n)) if n == bytes.len()
        ));
    }

    #[test]
    fn frames_before_the_second_flush_go_out_in_one_write() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let (mut writes, mut io) = (Coalescer::new(true), Writes::default());
        write(&mut writes, &mut io, &mut cx, b"one ");
        assert!(writes.poll_flush(&mut io, &mut cx).is_pending());
        write(&mut writes, &mut io, &mut cx, b"two ");
        write(&mut writes, &mut io, &mut cx, b"three");
        assert!(writes.poll_flush(&mut io, &mut cx).is_ready());
        assert_eq!(io.0, vec![b"one two three".to_vec()]);
        // Nothing waiting: the flush does not yield.
        assert!(writes.poll_flush(&mut io, &mut cx).is_ready());
        write(&mut writes, &mut io, &mut cx, b"four");
        assert!(writes.poll_shutdown(&mut io, &mut cx).is_ready());
        assert_eq!(io.0.len(), 2);
    }

    #[test]
    fn without_coalescing_writes_pass_through() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let (mut writes, mut io) = (Coalescer::new(false), Writes::default());
        write(&mut writes, &mut io, &mut cx, b"one");
        write(&mut writes, &mut io, &mut cx, b"two");
        assert!(writes.poll_flush(&mut io, &mut cx).is_ready());
        assert_eq!(io.0, vec![b"one".to_vec(), b"two".to_vec()]);
    }
}
