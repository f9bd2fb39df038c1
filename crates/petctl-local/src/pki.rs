//! The local control plane's own certificate authority: created on first
//! start and kept in the state directory; a fresh server certificate for
//! 127.0.0.1 and localhost is issued from it at every start.

use std::fs;

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::state::{restrict_path, write_private, StateDir};

const CA_NAME: &str = "petctl-local-ca";

/// The CA: its certificate (PEM, as handed to clients) and signing key.
pub struct Authority {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate chain and its key, for rustls.
pub struct ServerIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The CA that client certificates must be signed by.
    pub client_ca: CertificateDer<'static>,
}

/// A client certificate and its key, both PEM, for a kubeconfig.
pub struct ClientIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The CA's parameters. The issuer is rebuilt from them and the stored key,
/// so the subject and key identifier always match the stored certificate.
fn ca_params() -> Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::new()).context("invalid CA parameters")?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2124, 1, 1);
    Ok(params)
}

/// Loads the CA from the state directory, creating it on first start.
pub fn load_or_create_authority(dir: &StateDir) -> Result<Authority> {
    let (key_path, cert_path) = (dir.ca_key(), dir.ca_cert());
    if key_path.exists() && cert_path.exists() {
        restrict_path(&key_path)?;
        restrict_path(&cert_path)?;
        let key_pem = fs::read_to_string(&key_path)
            .with_context(|| format!("failed to read {}", key_path.display()))?;
        let cert_pem = fs::read_to_string(&cert_path)
            .with_context(|| format!("failed to read {}", cert_path.display()))?;
        let key = KeyPair::from_pem(&key_pem)
            .with_context(|| format!("{} is not a valid private key", key_path.display()))?;
        return Ok(Authority {
            cert_pem,
            issuer: Issuer::new(ca_params()?, key),
        });
    }
    let key = KeyPair::generate().context("failed to generate the CA key")?;
    let params = ca_params()?;
    let cert = params
        .self_signed(&key)
        .context("failed to sign the CA certificate")?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    write_private(&cert_path, cert.pem().as_bytes())?;
    Ok(Authority {
        cert_pem: cert.pem(),
        issuer: Issuer::new(params, key),
    })
}

impl Authority {
    /// A server certificate for 127.0.0.1 and localhost, signed by this CA.
    pub fn issue_server(&self) -> Result<ServerIdentity> {
        let key = KeyPair::generate().context("failed to generate the server key")?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .context("invalid server certificate parameters")?;
        params
            .distinguished_name
            .push(DnType::CommonName, "petctl-local-apiserver");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2124, 1, 1);
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("failed to sign the server certificate")?;
        let ca_der: CertificateDer<'static> =
            rustls::pki_types::pem::PemObject::from_pem_slice(self.cert_pem.as_bytes())
                .context("the stored CA certificate is not valid PEM")?;
        Ok(ServerIdentity {
            chain: vec![cert.der().clone(), ca_der.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            client_ca: ca_der,
        })
    }

    /// A client certificate for `user` in `groups` (its CommonName and
    /// Organizations, as kube-apiserver reads them), valid for `days`.
    pub fn issue_client(&self, user: &str, groups: &[String], days: u32) -> Result<ClientIdentity> {
        let key = KeyPair::generate().context("failed to generate the client key")?;
        let mut params =
            CertificateParams::new(Vec::new()).context("invalid client certificate parameters")?;
        params.distinguished_name.push(DnType::CommonName, user);
        for group in groups {
            params
                .distinguished_name
                .push(DnType::OrganizationName, group.as_str());
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + time::Duration::days(i64::from(days));
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("failed to sign the client certificate")?;
        Ok(ClientIdentity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_survives_reload_and_issues_certificates() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::new(tmp.path());
        let first = load_or_create_authority(&dir).unwrap();
        let again = load_or_create_authority(&dir).unwrap();
        assert_eq!(first.cert_pem, again.cert_pem);
        let identity = again.issue_server().unwrap();
        assert_eq!(identity.chain.len(), 2);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.ca_key()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
