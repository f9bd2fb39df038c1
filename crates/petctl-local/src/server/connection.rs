//! One accepted connection, from its TLS handshake to its close: what it is
//! waiting for (the handshake, a request header, the next request, nothing
//! while requests are served), the header-read and idle timeouts that end
//! those waits as Go's net/http does, eviction by the per-address cap, and
//! graceful shutdown.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::auth::{certificate_user, CertificateUser};
use super::coalesce::Coalescer;
use super::listener::Limits;
use super::App;
use crate::log::Episodes;

/// How long in-flight requests get to finish once a connection is asked to
/// close (server shutdown, an idle HTTP/2 connection's GOAWAY).
pub(super) const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshake failures and broken connections are logged once per episode:
/// a client looping on bad TLS must not fill the disk.
static HANDSHAKE_FAILURES: Episodes = Episodes::new(Duration::from_secs(10));
static CONNECTION_ERRORS: Episodes = Episodes::new(Duration::from_secs(10));

/// What a connection is waiting for, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// The TLS handshake.
    Handshake(Instant),
    /// A request header (HTTP/1.1), or the connection preface (HTTP/2).
    Head(Instant),
    /// The next request on a kept-alive connection.
    Idle(Instant),
    /// Nothing: requests are being served.
    Busy,
}

/// The protocol ALPN chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    Http1,
    Http2,
}

/// Why a connection's wait ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expiry {
    /// The handshake or a request header took longer than the header timeout.
    Header,
    /// No request for the idle timeout.
    Idle,
    /// The per-address cap made room for a newer connection.
    Evicted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    wait: Wait,
    protocol: Protocol,
    in_flight: usize,
    evicted: bool,
}

impl State {
    fn handshake_done(&mut self, protocol: Protocol, now: Instant) {
        self.protocol = protocol;
        if self.wait != Wait::Busy {
            self.wait = Wait::Head(now);
        }
    }

    fn begin(&mut self) {
        self.in_flight += 1;
        self.wait = Wait::Busy;
    }

    fn end(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            self.wait = Wait::Idle(now);
        }
    }

    /// Bytes arrived; true when that changes the wait. Go's HTTP/1.1 server
    /// waits for the next request under IdleTimeout and starts the
    /// ReadHeaderTimeout clock only once its first bytes are there
    /// (net/http/server.go, `conn.serve`: `Peek(4)`, then `readRequest`);
    /// hyper's own `header_read_timeout` would instead run from the end of
    /// the last response and close idle keep-alive connections after it.
    /// HTTP/2 ends the header wait with the preface; later frames (pings,
    /// settings, half a HEADERS block) do not reset its idle clock, which
    /// runs while no stream is open (x/net/http2 `serverConn.idleTimer`).
    fn read(&mut self, now: Instant) -> bool {
        match (self.protocol, self.wait) {
            (Protocol::Http1, Wait::Idle(_)) => {
                self.wait = Wait::Head(now);
                true
            }
            (Protocol::Http2, Wait::Head(_)) => {
                self.wait = Wait::Idle(now);
                true
            }
            _ => false,
        }
    }

    /// When the current wait runs out, and what that means.
    fn deadline(&self, limits: &Limits) -> Option<(Instant, Expiry)> {
        match self.wait {
            // Go bounds the handshake by the smallest of its read and write
            // timeouts: ReadHeaderTimeout for kube-apiserver
            // (net/http/server.go, `Server.tlsHandshakeTimeout`).
            Wait::Handshake(since) | Wait::Head(since) => {
                Some((since + limits.header_timeout, Expiry::Header))
            }
            Wait::Idle(since) => Some((since + limits.idle_timeout, Expiry::Idle)),
            Wait::Busy => None,
        }
    }
}

/// The shared state of one connection: its task, its IO, its requests and
/// the per-address registry all see it.
pub(super) struct Activity {
    state: watch::Sender<State>,
}

impl Activity {
    pub(super) fn new(now: Instant) -> Arc<Self> {
        Arc::new(Activity {
            state: watch::Sender::new(State {
                wait: Wait::Handshake(now),
                protocol: Protocol::Http1,
                in_flight: 0,
                evicted: false,
            }),
        })
    }

    pub(super) fn wait(&self) -> Wait {
        self.state.borrow().wait
    }

    /// Asks the connection to close at once.
    pub(super) fn evict(&self) {
        self.state.send_modify(|s| s.evicted = true);
    }

    fn handshake_done(&self, protocol: Protocol) {
        self.state
            .send_modify(|s| s.handshake_done(protocol, Instant::now()));
    }

    fn read(&self) {
        self.state.send_if_modified(|s| s.read(Instant::now()));
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.state.send_modify(State::begin);
        InFlight(self.clone())
    }

    /// Resolves when the current wait has run out or the connection was
    /// evicted; never while requests are being served.
    async fn expired(&self, limits: &Limits) -> Expiry {
        let mut changes = self.state.subscribe();
        loop {
            let state = *changes.borrow_and_update();
            if state.evicted {
                return Expiry::Evicted;
            }
            match state.deadline(limits) {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at.into()) => {}
                        changed = changes.changed() => if changed.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                }
                None => {
                    if changes.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }
}

/// One request being served: from the service call until its response body
/// is done or dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.state.send_modify(|s| s.end(Instant::now()));
    }
}

/// A response body that keeps its request in flight until it is done.
struct Served<B> {
    body: B,
    _request: InFlight,
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Served<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// The connection's IO, telling its activity when bytes arrive, its
/// writes coalesced on HTTP/2 (coalesce.rs).
struct Tracked<T> {
    io: T,
    activity: Arc<Activity>,
    writes: Coalescer,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_write_vectored(cx, &[std::io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        this.writes.poll_write(&mut this.io, cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.writes.is_write_vectored(&self.io)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        this.writes.poll_flush(&mut this.io, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        this.writes.poll_shutdown(&mut this.io, cx)
    }
}

/// What every connection shares.
pub(super) struct Shared {
    pub acceptor: TlsAcceptor,
    pub app: Arc<App>,
    pub builder: Builder<TokioExecutor>,
    pub limits: Limits,
    /// The accept loop's pace; a connection's first request refunds it.
    pub pace: Arc<std::sync::Mutex<super::accept::Pace>>,
}

/// Serves one accepted connection until it closes, its wait runs out, it is
/// evicted, or the server shuts down (then in-flight requests get
/// [`DRAIN_TIMEOUT`] to finish).
pub(super) async fn serve(
    tcp: TcpStream,
    peer: std::net::SocketAddr,
    shared: Arc<Shared>,
    activity: Arc<Activity>,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = &shared.limits;
    let tls = tokio::select! {
        tls = shared.acceptor.accept(tcp) => match tls {
            Ok(tls) => tls,
            Err(err) => {
                HANDSHAKE_FAILURES.log(|| format!(
                    "tls handshake with {peer} failed: {err} (further failures within 10s are not logged)"
                ));
                return;
            }
        },
        _ = activity.expired(limits) => return,
        _ = shutdown.changed() => return,
    };
    let (_, session) = tls.get_ref();
    let protocol = match session.alpn_protocol() {
        Some(b"h2") => Protocol::Http2,
        _ => Protocol::Http1,
    };
    let user = session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(certificate_user)
        .map(CertificateUser);
    activity.handshake_done(protocol);
    let app = shared.app.clone();
    let requests = activity.clone();
    let pace = shared.pace.clone();
    let first = std::sync::atomic::AtomicBool::new(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
        let app = app.clone();
        let in_flight = requests.begin();
        if first.swap(false, std::sync::atomic::Ordering::Relaxed) {
            pace.lock().unwrap_or_else(|e| e.into_inner()).refund();
        }
        if let Some(user) = &user {
            request.extensions_mut().insert(user.clone());
        }
        async move {
            let response = super::faults::serve(app, request).await?;
            Ok::<_, std::io::Error>(response.map(|body| {
                Body::new(Served {
                    body,
                    _request: in_flight,
                })
            }))
        }
    });
    let io = TokioIo::new(Tracked {
        io: tls,
        activity: activity.clone(),
        writes: Coalescer::new(protocol == Protocol::Http2),
    });
    let connection = shared.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut draining: Option<tokio::time::Instant> = None;
    if *shutdown.borrow_and_update() {
        connection.as_mut().graceful_shutdown();
        draining = Some(tokio::time::Instant::now() + DRAIN_TIMEOUT);
    }
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(err) = ended {
                    CONNECTION_ERRORS.log(|| format!(
                        "connection from {peer} ended: {err} (further such ends within 10s are not logged)"
                    ));
                }
                return;
            }
            _ = shutdown.changed(), if draining.is_none() => {
                connection.as_mut().graceful_shutdown();
                draining = Some(tokio::time::Instant::now() + DRAIN_TIMEOUT);
            }
            why = activity.expired(limits), if draining.is_none() => match (why, protocol) {
                // x/net/http2's idle timer sends GOAWAY (NO_ERROR) and
                // closes once the open streams are done.
                (Expiry::Idle, Protocol::Http2) => {
                    connection.as_mut().graceful_shutdown();
                    draining = Some(tokio::time::Instant::now() + DRAIN_TIMEOUT);
                }
                // Go closes the socket when a read deadline passes; so
                // does dropping the connection here.
                _ => return,
            },
            _ = sleep_until_some(draining) => return,
        }
    }
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(32),
            idle_timeout: Duration::from_secs(90),
            ..Limits::default()
        }
    }

    fn state(protocol: Protocol, wait: Wait) -> State {
        State {
            wait,
            protocol,
            in_flight: 0,
            evicted: false,
        }
    }

    #[test]
    fn an_idle_http1_connection_waits_for_the_idle_timeout_then_the_header_one() {
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        let mut st = state(Protocol::Http1, Wait::Handshake(t0));
        assert_eq!(st.deadline(&limits()), Some((s(32), Expiry::Header)));
        st.handshake_done(Protocol::Http1, s(1));
        assert_eq!(st.deadline(&limits()), Some((s(33), Expiry::Header)));
        // Reads while the header arrives do not extend its clock.
        assert!(!st.read(s(2)));
        st.begin();
        assert_eq!(st.deadline(&limits()), None);
        st.end(s(3));
        assert_eq!(st.deadline(&limits()), Some((s(93), Expiry::Idle)));
        // The next request's first bytes start its header clock.
        assert!(st.read(s(50)));
        assert_eq!(st.deadline(&limits()), Some((s(82), Expiry::Header)));
    }

    #[test]
    fn http2_is_idle_after_its_preface_and_busy_while_a_stream_is_open() {
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        let mut st = state(Protocol::Http1, Wait::Handshake(t0));
        st.handshake_done(Protocol::Http2, s(1));
        assert_eq!(st.deadline(&limits()), Some((s(33), Expiry::Header)));
        assert!(st.read(s(2)));
        assert_eq!(st.deadline(&limits()), Some((s(92), Expiry::Idle)));
        // Pings and settings do not keep an HTTP/2 connection alive.
        assert!(!st.read(s(60)));
        st.begin();
        st.begin();
        st.end(s(70));
        assert_eq!(st.deadline(&limits()), None);
        st.end(s(80));
        assert_eq!(st.deadline(&limits()), Some((s(170), Expiry::Idle)));
    }
}
