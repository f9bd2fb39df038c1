//! Credentials for requests: a bearer token (inline or from a file), basic
//! auth, a client certificate, or an exec credential plugin
//! (client.authentication.k8s.io v1 and v1beta1) whose answer is cached
//! until it expires.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context as _};
use base64::Engine as _;
use serde::Deserialize;

use super::kubeconfig::{AuthInfo, Cluster, ExecConfig};

/// How requests authenticate, resolved from the kubeconfig user.
#[derive(Debug)]
pub enum Credentials {
    None,
    Token(Secret),
    /// Re-read on every request, as client-go does, so rotated tokens work.
    TokenFile(PathBuf),
    Basic {
        username: String,
        password: Secret,
    },
    Exec(Box<ExecPlugin>),
}

/// A secret string whose Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What to put in the Authorization header, if anything.
pub enum Authorization {
    None,
    Bearer(Secret),
    Basic { username: String, password: Secret },
}

impl Credentials {
    pub fn from_user(user: &AuthInfo, cluster: &Cluster) -> anyhow::Result<Credentials> {
        if let Some(token) = user.token.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Credentials::Token(Secret(token.clone())));
        }
        if let Some(file) = user.token_file.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Credentials::TokenFile(PathBuf::from(file)));
        }
        if let (Some(username), Some(password)) = (&user.username, &user.password) {
            return Ok(Credentials::Basic {
                username: username.clone(),
                password: Secret(password.clone()),
            });
        }
        if let Some(exec) = &user.exec {
            return Ok(Credentials::Exec(Box::new(ExecPlugin::new(
                exec.clone(),
                cluster,
            )?)));
        }
        Ok(Credentials::None)
    }

    /// The header value for the next request.
    pub fn authorization(&self) -> anyhow::Result<Authorization> {
        Ok(match self {
            Credentials::None => Authorization::None,
            Credentials::Token(t) => Authorization::Bearer(t.clone()),
            Credentials::TokenFile(path) => Authorization::Bearer(read_token_file(path)?),
            Credentials::Basic { username, password } => Authorization::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            Credentials::Exec(plugin) => match plugin.credential()?.token {
                Some(token) => Authorization::Bearer(token),
                None => Authorization::None,
            },
        })
    }
}

fn read_token_file(path: &Path) -> anyhow::Result<Secret> {
    let bytes = read_capped(path, "tokenFile")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("tokenFile {} is not UTF-8 text", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("tokenFile {} is empty", path.display());
    }
    Ok(Secret(token.to_string()))
}

/// What an exec plugin answered.
#[derive(Clone, Debug, Default)]
pub struct ExecCredential {
    pub token: Option<Secret>,
    /// PEM client certificate and key, when the plugin gives a certificate.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    pub expires: Option<jiff::Timestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialBody {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    status: Option<ExecCredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialStatus {
    expiration_timestamp: Option<String>,
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// An exec credential plugin and its cached answer.
#[derive(Debug)]
pub struct ExecPlugin {
    config: ExecConfig,
    exec_info: String,
    interactive: bool,
    cache: Mutex<Option<ExecCredential>>,
}

const API_VERSIONS: &[&str] = &[
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];

impl ExecPlugin {
    pub fn new(config: ExecConfig, cluster: &Cluster) -> anyhow::Result<ExecPlugin> {
        if !API_VERSIONS.contains(&config.api_version.as_str()) {
            bail!(
                "exec plugin {:?}: apiVersion {:?} is not supported (use one of {})",
                config.command,
                config.api_version,
                API_VERSIONS.join(", ")
            );
        }
        let mode = match config.interactive_mode.as_deref() {
            Some(mode) => mode,
            None if config.api_version.ends_with("/v1") => bail!(
                "exec plugin {:?}: interactiveMode must be set for {}",
                config.command,
                config.api_version
            ),
            None => "IfAvailable",
        };
        let stdin_is_terminal = std::io::stdin().is_terminal();
        let interactive = match mode {
            "Never" => false,
            "IfAvailable" => stdin_is_terminal,
            "Always" if stdin_is_terminal => true,
            "Always" => bail!(
                "exec plugin {:?} needs an interactive terminal (interactiveMode: Always), but standard input is not a terminal",
                config.command
            ),
            other => bail!(
                "exec plugin {:?}: invalid interactiveMode {other:?} (Never, IfAvailable or Always)",
                config.command
            ),
        };
        let mut spec = serde_json::json!({ "interactive": interactive });
        if config.provide_cluster_info {
            spec["cluster"] = serde_json::json!({
                "server": cluster.server,
                "tls-server-name": cluster.tls_server_name,
                "certificate-authority-data": cluster.certificate_authority_data,
                "insecure-skip-tls-verify": cluster.insecure_skip_tls_verify,
                "proxy-url": cluster.proxy_url,
            });
        }
        let exec_info = serde_json::json!({
            "apiVersion": config.api_version,
            "kind": "ExecCredential",
            "spec": spec,
        })
        .to_string();
        Ok(ExecPlugin {
            config,
            exec_info,
            interactive,
            cache: Mutex::new(None),
        })
    }

    /// The cached credential, or a fresh one when there is none or it has
    /// expired.
    pub fn credential(&self) -> anyhow::Result<ExecCredential> {
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| anyhow!("credential cache poisoned"))?;
        let now = jiff::Timestamp::now();
        if let Some(cached) = cache.as_ref() {
            if cached.expires.is_none_or(|at| at > now) {
                return Ok(cached.clone());
            }
        }
        let fresh = self.run()?;
        if fresh.expires.is_some_and(|at| at <= now) {
            bail!(
                "exec plugin {:?} returned a credential that has already expired",
                self.config.command
            );
        }
        *cache = Some(fresh.clone());
        Ok(fresh)
    }

    fn run(&self) -> anyhow::Result<ExecCredential> {
        let command = &self.config.command;
        let mut cmd = Command::new(command);
        cmd.args(&self.config.args)
            .env("KUBERNETES_EXEC_INFO", &self.exec_info)
            .stdout(Stdio::piped())
            .stderr(if self.interactive {
                Stdio::inherit()
            } else {
                Stdio::piped()
            })
            .stdin(if self.interactive {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for var in &self.config.env {
            cmd.env(&var.name, &var.value);
        }
        let output = cmd.output().map_err(|err| {
            let hint = self
                .config
                .install_hint
                .as_deref()
                .map(|h| format!("\n{}", h.trim_end()))
                .unwrap_or_default();
            anyhow!("cannot run exec plugin {command:?}: {err}{hint}")
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let detail = stderr.trim();
            bail!(
                "exec plugin {command:?} failed with {}{}",
                output.status,
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": {detail}")
                }
            );
        }
        parse_exec_output(&output.stdout, &self.config.api_version)
            .with_context(|| format!("exec plugin {command:?} gave an invalid ExecCredential"))
    }
}

/// Parses an ExecCredential written by a plugin.
pub fn parse_exec_output(stdout: &[u8], api_version: &str) -> anyhow::Result<ExecCredential> {
    let body: ExecCredentialBody = serde_json::from_slice(stdout).context("not JSON")?;
    if body.kind != "ExecCredential" {
        bail!("kind is {:?}, expected \"ExecCredential\"", body.kind);
    }
    if body.api_version != api_version {
        bail!(
            "apiVersion is {:?}, expected {api_version:?}",
            body.api_version
        );
    }
    let status = body.status.context("no status")?;
    let expires = match &status.expiration_timestamp {
        Some(ts) => Some(
            ts.parse::<jiff::Timestamp>()
                .with_context(|| format!("invalid expirationTimestamp {ts:?}"))?,
        ),
        None => None,
    };
    let identity = match (&status.client_certificate_data, &status.client_key_data) {
        (Some(cert), Some(key)) => Some((cert.clone().into_bytes(), key.clone().into_bytes())),
        (None, None) => None,
        _ => bail!("clientCertificateData and clientKeyData must be given together"),
    };
    let token = status.token.filter(|t| !t.is_empty()).map(Secret);
    if token.is_none() && identity.is_none() {
        bail!("it holds neither a token nor a client certificate");
    }
    Ok(ExecCredential {
        token,
        identity,
        expires,
    })
}

/// Reads a PEM file or decodes a base64 `*-data` field, whichever is set.
pub fn file_or_data(
    what: &str,
    path: Option<&str>,
    data: Option<&str>,
) -> anyhow::Result<Option<Vec<u8>>> {
    if let Some(data) = data.filter(|d| !d.is_empty()) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .with_context(|| format!("{what}-data is not valid base64"))?;
        return Ok(Some(bytes));
    }
    match path.filter(|p| !p.is_empty()) {
        Some(path) => Ok(Some(read_capped(Path::new(path), what)?)),
        None => Ok(None),
    }
}

/// Credential and kubeconfig files are small; anything bigger is a mistake
/// (a path to `/dev/zero`, a log file), refused before memory runs out.
pub const MAX_CREDENTIAL_FILE_BYTES: u64 = 4 << 20;

/// Reads `path` (the file of `what`), refusing more than
/// [`MAX_CREDENTIAL_FILE_BYTES`].
pub fn read_capped(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CREDENTIAL_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > MAX_CREDENTIAL_FILE_BYTES {
        bail!(
            "{what} {} is larger than {} MiB; it cannot be a credential file",
            path.display(),
            MAX_CREDENTIAL_FILE_BYTES >> 20
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_output_with_token_and_expiry() {
        let out = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"abc","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#;
        let cred = parse_exec_output(out, "client.authentication.k8s.io/v1").unwrap();
        assert_eq!(cred.token, Some(Secret("abc".into())));
        assert!(cred.expires.is_some());
    }

    #[test]
    fn exec_output_errors_are_clear() {
        let v1 = "client.authentication.k8s.io/v1";
        let cases: &[(&[u8], &str)] = &[
            (b"nope", "not JSON"),
            (br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod","status":{}}"#, "kind is \"Pod\", expected \"ExecCredential\""),
            (br#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}}"#, "apiVersion is \"client.authentication.k8s.io/v1beta1\", expected \"client.authentication.k8s.io/v1\""),
            (br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}"#, "it holds neither a token nor a client certificate"),
            (br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x","expirationTimestamp":"soon"}}"#, "invalid expirationTimestamp \"soon\""),
        ];
        for (out, want) in cases {
            let err = parse_exec_output(out, v1).unwrap_err();
            assert_eq!(err.to_string(), *want);
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let creds = Credentials::Token(Secret("s3cr3t".into()));
        assert!(!format!("{creds:?}").contains("s3cr3t"));
    }
}
