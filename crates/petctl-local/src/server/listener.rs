//! The HTTPS listener: rustls with ALPN (h2, http/1.1), the connection
//! limits (kube-apiserver's timeouts, a per-address cap), the accept loop
//! with its backoff, one task per connection (`connection.rs`), and
//! graceful shutdown that stops accepting, lets in-flight requests finish
//! and closes watches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
pub use tokio_rustls::TlsAcceptor;

use super::accept::{Admission, Backoff, Pace};
use super::connection::{self, Shared, DRAIN_TIMEOUT};
use super::{log, App};
use crate::log::Episodes;
use crate::pki::ServerIdentity;
use rustls::pki_types::CertificateDer;
/// kube-apiserver's `MaxHeaderBytes` (1 << 20, Go's DefaultMaxHeaderBytes
/// too): request headers up to 1 MiB are served, more get 431
/// (`handlers::handle` counts them, the same for HTTP/1.1 and HTTP/2).
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// Go counts header bytes, not headers; hyper needs a count to size its
/// parser, so this one is high enough for any header block that fits
/// MAX_HEADER_BYTES in practice (thousands of headers).
const MAX_HEADERS: usize = 8192;

pub fn tls_acceptor(identity: ServerIdentity) -> Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("failed to configure TLS versions")?
        .with_client_cert_verifier(client_verifier(identity.client_ca, provider.clone())?)
        .with_single_cert(identity.chain, identity.key)
        .context("failed to load the server certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Client certificates are optional (the bearer token is the other way
/// in), but one that is offered must be signed by the local CA.
fn client_verifier(
    ca: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca)
        .context("the local CA certificate is not usable")?;
    rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .allow_unauthenticated()
        .build()
        .context("failed to configure client certificate verification")
}

/// How long connections may wait, and how many one address may hold.
/// The timeouts are kube-apiserver's (`staging/src/k8s.io/apiserver/pkg/
/// server/secure_serving.go`, `SecureServingInfo.Serve`); `local up
/// --header-timeout`, `--idle-timeout` and `--max-connections-per-address`
/// change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// ReadHeaderTimeout, 32 s ("just shy of requestTimeoutUpperBound"):
    /// for the TLS handshake and for each request header.
    pub header_timeout: Duration,
    /// IdleTimeout, 90 s (http.DefaultTransport's keep-alive): for the next
    /// request on a kept-alive HTTP/1.1 connection, and for an HTTP/2
    /// connection without open streams.
    pub idle_timeout: Duration,
    /// Concurrent connections from one client address.
    pub max_per_address: usize,
}

/// Every client of the loopback listener has the same address, so the cap
/// is also the server's: far below the usual 1024 open files, far above
/// what kubectl, petctl and the tests open at once.
pub const DEFAULT_MAX_PER_ADDRESS: usize = 256;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(32),
            idle_timeout: Duration::from_secs(90),
            max_per_address: DEFAULT_MAX_PER_ADDRESS,
        }
    }
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "header timeout {:?}, idle timeout {:?}, at most {} connections per address",
            self.header_timeout, self.idle_timeout, self.max_per_address
        )
    }
}

/// kube-apiserver's HTTP/2 settings (secure_serving.go): 100 concurrent
/// streams, 256 KiB per-stream windows, a connection window for all
/// streams. Not its 256 KiB MaxReadFrameSize: h2 allows a header block
/// only as many CONTINUATION frames as fit the header list limit in frames
/// of that size, and a client that still splits at the 16 KiB default got
/// a GOAWAY instead of a 431.
const MAX_CONCURRENT_STREAMS: u32 = 100;
const RESOURCE_BODY_99_PERCENTILE: u32 = 256 * 1024;
/// HTTP/2 keep-alive: a ping after this long without a frame from the
/// client, and the connection closed when its answer takes longer than
/// PING_TIMEOUT (x/net/http2's default PingTimeout, 15 s).
const PING_INTERVAL: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// HTTP/1.1 and HTTP/2 with Go's header limits. HTTP/2 advertises the
/// header list size Go's http2 server does (`maxHeaderListSize`: the byte
/// limit plus 32 bytes for ten typical fields); with hyper's 16 KiB default
/// a large header block was a CONTINUATION flood and a GOAWAY, not a 431.
/// hyper's own `header_read_timeout` stays off: it would also close idle
/// keep-alive connections (connection.rs times requests as Go does).
fn connection_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_headers(MAX_HEADERS)
        // Room for a whole header block at the limit; 4096 is Go's slop.
        .max_buf_size(MAX_HEADER_BYTES + 4096);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(MAX_HEADER_BYTES + 10 * 32).unwrap_or(u32::MAX))
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .initial_stream_window_size(RESOURCE_BODY_99_PERCENTILE)
        .initial_connection_window_size(RESOURCE_BODY_99_PERCENTILE * MAX_CONCURRENT_STREAMS)
        .keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(PING_TIMEOUT);
    builder
}

/// New connections that have not sent a request yet, accepted at once and
/// then per second (accept.rs, `Pace`): few enough handshakes that a flood
/// of them takes a few % of a core; connections that send requests do not
/// count.
const ACCEPT_BURST: u32 = 50;
const ACCEPTS_PER_SECOND: u32 = 20;

/// EMFILE (the process's limit) or ENFILE (the system's).
fn is_out_of_files(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(code) if code == nix::libc::EMFILE || code == nix::libc::ENFILE)
}

/// Failed accepts are logged once per episode: EMFILE used to retry at
/// once, a core at 95 % and 191 MB of log in seconds.
static ACCEPT_FAILURES: Episodes = Episodes::new(Duration::from_secs(10));

/// Accepts connections until `shutdown` fires, then drains.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Arc<App>,
    limits: Limits,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    log(&format!("connection limits: {limits}"));
    let admission = Admission::new(limits.max_per_address);
    let shared = Arc::new(Shared {
        acceptor,
        app,
        builder: connection_builder(),
        limits,
        pace: Arc::new(std::sync::Mutex::new(Pace::new(
            ACCEPTS_PER_SECOND,
            ACCEPT_BURST,
            Instant::now(),
        ))),
    });
    // Every connection task holds a sender; once all are gone, `recv`
    // answers None: the drain is done.
    let (live, mut drained) = tokio::sync::mpsc::channel::<()>(1);
    let mut backoff = Backoff::default();
    let pace = shared.pace.clone();
    loop {
        let paced = pace
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(Instant::now());
        if let Err(wait) = paced {
            tokio::select! {
                _ = tokio::time::sleep(wait) => continue,
                _ = shutdown.changed() => break,
            }
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => {
                backoff.succeeded();
                pair
            }
            Err(err) => {
                let delay = backoff.failed();
                // Out of descriptors, the backlog would wait behind every
                // slow client until its header timeout: make room for one.
                let shed = is_out_of_files(&err) && admission.shed();
                ACCEPT_FAILURES.log(|| {
                    format!(
                        "accept failed: {err}; retrying after {delay:?}, backing off up to {:?}{} (logged once per episode)",
                        super::accept::MAX_DELAY,
                        if shed { ", closing the connections that waited longest without a request" } else { "" }
                    )
                });
                tokio::select! {
                    _ = tokio::time::sleep(delay) => continue,
                    _ = shutdown.changed() => break,
                }
            }
        };
        let Some(ticket) = admission.admit(peer.ip(), Instant::now()) else {
            continue;
        };
        // Without it, small trailing segments of a response wait for the
        // client's delayed ACK (~40 ms per LIST or watch event).
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let live = live.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let activity = ticket.activity.clone();
            connection::serve(tcp, peer, shared, activity, shutdown).await;
            drop(ticket);
            drop(live);
        });
    }
    log("shutting down: no longer accepting connections");
    drop(listener);
    drop(live);
    if tokio::time::timeout(DRAIN_TIMEOUT, drained.recv())
        .await
        .is_err()
    {
        log("shutdown: in-flight requests did not finish in time");
    }
}
