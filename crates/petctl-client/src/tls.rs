//! TLS for the client: rustls, verifying the server against the
//! kubeconfig's CA (or the system roots when it names none), presenting a
//! client certificate when the user has one, honouring `tls-server-name`.
//! Skipping verification takes an explicit insecure setting.

use std::sync::Arc;

use anyhow::{bail, Context as _};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Everything TLS needs, already read from files or decoded from base64.
#[derive(Clone, Default)]
pub struct TlsSettings {
    /// PEM of the CA bundle; None means the system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// PEM of the client certificate chain and key.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    pub insecure_skip_verify: bool,
    /// Verify the server's certificate against this name instead of the
    /// URL's host.
    pub server_name: Option<String>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<ca>"))
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field("server_name", &self.server_name)
            .finish()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls client configuration, with ALPN for HTTP/2 and 1.1.
pub fn client_config(settings: &TlsSettings) -> anyhow::Result<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?;
    let certificates = if settings.insecure_skip_verify {
        Certificates::Accepted
    } else {
        let roots = root_store(settings.ca_pem.as_deref())?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .context("cannot build the certificate verifier")?;
        let name = match &settings.server_name {
            Some(name) => Some(
                ServerName::try_from(name.clone())
                    .with_context(|| format!("invalid tls-server-name {name:?}"))?,
            ),
            None => None,
        };
        Certificates::Verified { webpki, name }
    };
    let verifier = Arc::new(Verifier {
        certificates,
        algorithms: provider().signature_verification_algorithms,
    });
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &settings.identity {
        Some((cert_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(cert_pem)
                .collect::<Result<Vec<_>, _>>()
                .context("client certificate is not valid PEM")?;
            if chain.is_empty() {
                bail!("client certificate holds no certificate");
            }
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .context("client key is not a valid PEM private key")?;
            builder
                .with_client_auth_cert(chain, key)
                .context("client certificate and key do not match")?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn root_store(ca_pem: Option<&[u8]>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .context("certificate authority is not valid PEM")?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                bail!("certificate authority holds no usable certificate");
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    Ok(roots)
}

/// How the server's certificate is checked.
#[derive(Debug)]
enum Certificates {
    /// Against the roots, for the configured name (`tls-server-name`) when
    /// there is one, else for the host the connection went to.
    Verified {
        webpki: Arc<WebPkiServerVerifier>,
        name: Option<ServerName<'static>>,
    },
    /// `--insecure-skip-tls-verify`: any certificate is accepted.
    Accepted,
}

/// The client's verifier. Handshake signatures are checked in every case,
/// with the provider's algorithms as `WebPkiServerVerifier` checks them,
/// so that even an insecure session is with the holder of the key.
#[derive(Debug)]
struct Verifier {
    certificates: Certificates,
    /// The provider's signature verification algorithms.
    algorithms: WebPkiSupportedAlgorithms,
}

type Signature = Result<HandshakeSignatureValid, rustls::Error>;
type Cert<'a> = CertificateDer<'a>;
type Dss = DigitallySignedStruct;

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.certificates {
            Certificates::Verified { webpki, name } => webpki.verify_server_cert(
                end_entity,
                intermediates,
                name.as_ref().unwrap_or(server_name),
                ocsp_response,
                now,
            ),
            Certificates::Accepted => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &Cert, dss: &Dss) -> Signature {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &Cert, dss: &Dss) -> Signature {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
