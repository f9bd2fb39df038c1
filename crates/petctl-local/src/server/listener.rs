//! The HTTPS listener: rustls with ALPN (h2, http/1.1), one task per
//! connection, and graceful shutdown that stops accepting, lets in-flight
//! requests finish and closes watches.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
pub use tokio_rustls::TlsAcceptor;

use super::auth::{certificate_user, CertificateUser};
use super::{log, App};
use crate::pki::ServerIdentity;
use rustls::pki_types::CertificateDer;

/// How long in-flight requests get to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
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

/// HTTP/1.1 and HTTP/2 with Go's header limits. HTTP/2 advertises the
/// header list size Go's http2 server does (`maxHeaderListSize`: the byte
/// limit plus 32 bytes for ten typical fields); with hyper's 16 KiB default
/// a large header block was a CONTINUATION flood and a GOAWAY, not a 431.
fn connection_builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_headers(MAX_HEADERS)
        // Room for a whole header block at the limit; 4096 is Go's slop.
        .max_buf_size(MAX_HEADER_BYTES + 4096);
    builder
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEADER_BYTES + 10 * 32).unwrap_or(u32::MAX));
    builder
}

/// Accepts connections until `shutdown` fires, then drains.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Arc<App>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = Arc::new(connection_builder());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                log(&format!("accept failed: {err}"));
                continue;
            }
        };
        // Without it, small trailing segments of a response wait for the
        // client's delayed ACK (~40 ms per LIST or watch event).
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    log(&format!("tls handshake with {peer} failed: {err}"));
                    return;
                }
                Err(_) => {
                    log(&format!("tls handshake with {peer} timed out"));
                    return;
                }
            };
            let user = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(certificate_user)
                .map(CertificateUser);
            let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
                let app = app.clone();
                if let Some(user) = &user {
                    request.extensions_mut().insert(user.clone());
                }
                async move { super::faults::serve(app, request).await }
            });
            let connection = builder.serve_connection(TokioIo::new(tls), service);
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                log(&format!("connection from {peer} ended: {err}"));
            }
        });
    }
    log("shutting down: no longer accepting connections");
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        log("shutdown: in-flight requests did not finish in time");
    }
}
