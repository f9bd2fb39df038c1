//! Service account tokens on the wire, after `pkg/serviceaccount/jwt.go`:
//! the ES256 key kept in the state directory (`sa.key`, 0600, PKCS#8 PEM),
//! compact JWS signing for TokenRequest, and the bearer-token authenticator
//! that verifies a token of this issuer and hands its claims to the
//! registry's checks. A token never reaches the log.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context, Result};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde_json::{json, Value};

use super::auth::User;
use super::App;
use crate::registry::error::ApiError;
use crate::registry::token::ISSUER;
use crate::registry::{meta, Registry, Target};
use crate::state::write_private;

/// The key file's name in the state directory (kubeadm's is `sa.key`).
pub const KEY_FILE: &str = "sa.key";
const PEM_LABEL: &str = "PRIVATE KEY";
/// SubjectPublicKeyInfo DER up to the uncompressed P-256 point:
/// id-ecPublicKey, prime256v1, and the BIT STRING header.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The token signing key.
pub struct Signer {
    pair: EcdsaKeyPair,
    /// `keyIDFromPublicKey`: base64url of the SHA-256 of the PKIX public key.
    kid: String,
    rng: SystemRandom,
}

/// Never the key, so that it cannot end up in a log.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish()
    }
}

/// Where the key lives in a state directory.
pub fn key_path(state_root: &Path) -> PathBuf {
    state_root.join(KEY_FILE)
}

impl Signer {
    /// Loads the key from `path`, creating it (0600) on first start, so
    /// tokens issued before a restart stay valid.
    pub fn load_or_create(path: &Path) -> Result<Signer> {
        let rng = SystemRandom::new();
        let pkcs8 = match std::fs::read_to_string(path) {
            Ok(text) => from_pem(&text)
                .with_context(|| format!("{} is not a PKCS#8 PEM key", path.display()))?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let document =
                    EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                        .map_err(|_| {
                            anyhow::anyhow!("failed to generate the service account key")
                        })?;
                let der = document.as_ref().to_vec();
                write_private(path, to_pem(&der).as_bytes())?;
                der
            }
            Err(err) => {
                return Err(err).with_context(|| format!("failed to read {}", path.display()))
            }
        };
        let pair =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
                .map_err(|e| anyhow::anyhow!("{} is no P-256 key: {e}", path.display()))?;
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(pair.public_key().as_ref());
        let digest = ring::digest::digest(&ring::digest::SHA256, &spki);
        Ok(Signer {
            kid: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            pair,
            rng,
        })
    }

    /// A compact JWS of `claims`: `{"alg":"ES256","kid":…}` as go-jose writes it.
    pub fn sign(&self, claims: &Value) -> Result<String, ApiError> {
        let header = json!({"alg": "ES256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| ApiError::internal("failed to generate token: signing failed"))?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }

    /// The claims of a token this key signed, or why not.
    pub fn verify(&self, token: &str) -> Result<Value, String> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS".to_string());
        };
        let decode = |part: &str| -> Result<Value, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        };
        let head = decode(header)?;
        if head.get("alg").and_then(Value::as_str) != Some("ES256") {
            return Err("unexpected signing algorithm".to_string());
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|e| e.to_string())?;
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            self.pair.public_key().as_ref(),
        );
        let signed = &token[..header.len() + 1 + payload.len()];
        public
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| "token could not be verified".to_string())?;
        decode(payload)
    }
}

fn to_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {PEM_LABEL}-----\n{}\n-----END {PEM_LABEL}-----\n",
        lines.join("\n")
    )
}

fn from_pem(text: &str) -> Result<Vec<u8>> {
    let begin = format!("-----BEGIN {PEM_LABEL}-----");
    let end = format!("-----END {PEM_LABEL}-----");
    let body = text
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .context("no PRIVATE KEY block")?;
    let joined: String = body.split_whitespace().collect();
    STANDARD.decode(joined).context("the key is not base64")
}

/// Whether a bearer credential looks like a JWT of this issuer
/// (`hasCorrectIssuer`: the payload is read unverified for `iss` only).
fn is_ours(token: &str) -> bool {
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|claims| claims.get("iss").and_then(Value::as_str) == Some(ISSUER))
}

/// The service account a bearer token of this issuer authenticates; None
/// for any other credential and for a token that fails a check (the caller
/// answers 401; the reason is logged without the token).
pub fn authenticate(
    signer: &Signer,
    registry: &Registry,
    bearer: &str,
    now: SystemTime,
) -> Option<User> {
    if !is_ours(bearer) {
        return None;
    }
    let checked = signer
        .verify(bearer)
        .and_then(|claims| registry.token_subject(&claims, now));
    match checked {
        Ok(info) => Some(User {
            name: info.username(),
            groups: info.groups(),
            uid: info.uid.clone(),
            extra: info.extra(),
        }),
        Err(why) => {
            super::log(&format!("service account token rejected: {why}"));
            None
        }
    }
}

/// The service account of the request's first bearer token, checked off
/// the async workers since the checks read the registry.
pub async fn authenticate_bearer(app: &Arc<App>, headers: &hyper::HeaderMap) -> Option<User> {
    let bearer = super::auth::bearer_tokens(headers).next()?.to_string();
    if !is_ours(&bearer) {
        return None;
    }
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        authenticate(&app.signer, &app.registry, &bearer, SystemTime::now())
    })
    .await
    .ok()
    .flatten()
}

/// POST `serviceaccounts/{name}/token`: a signed token for the account, 201.
pub fn create(
    signer: &Arc<Signer>,
    registry: &Registry,
    target: &Target,
    body: &Value,
) -> Result<Value, ApiError> {
    let jti = meta::new_uid();
    let issue = registry.token_request(
        &target.namespace,
        &target.name,
        body,
        SystemTime::now(),
        &jti,
    )?;
    let token = signer.sign(&issue.claims)?;
    let mut request = issue.request;
    request["status"]["token"] = json!(token);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_tampered_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        let signer = Signer::load_or_create(&path).unwrap();
        let claims = json!({"iss": ISSUER, "sub": "system:serviceaccount:a:b", "exp": 1});
        let token = signer.sign(&claims).unwrap();
        assert!(is_ours(&token));
        assert_eq!(signer.verify(&token).unwrap(), claims);
        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged = json!({"iss": ISSUER, "sub": "system:serviceaccount:a:admin", "exp": 1});
        let tampered = format!(
            "{head}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(forged.to_string())
        );
        assert_eq!(
            signer.verify(&tampered).unwrap_err(),
            "token could not be verified"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Signer::load_or_create(&path).unwrap();
        assert_eq!(again.kid, signer.kid);
        assert_eq!(
            again.verify(&token).unwrap(),
            claims,
            "the key survives a restart"
        );
        assert!(!is_ours("abc"));
        assert!(!is_ours(&format!(
            "x.{}.y",
            URL_SAFE_NO_PAD.encode(r#"{"iss":"other"}"#)
        )));
    }
}
