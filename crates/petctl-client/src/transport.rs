//! The HTTP transport: one reqwest client (rustls, HTTP/2 with connection
//! reuse, timeouts) per cluster, authentication on every request, retries
//! with backoff for requests that are safe to repeat, and request logging
//! at `-v=6` (method, URL, status, latency) and `-v=8` (bodies). Credentials
//! are never logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
pub(crate) use reqwest::Method;

use super::auth::{file_or_data, Authorization, Credentials};
use super::error::Error;
use super::kubeconfig::Resolved;
use super::tls::{self, TlsSettings};

/// Where log lines go (stderr, from the CLI); the client never prints.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Clone)]
pub struct ClientOptions {
    /// Per-request timeout; None means none (watches are long-lived anyway).
    pub request_timeout: Option<Duration>,
    pub verbosity: u8,
    pub logger: Option<Logger>,
    /// How many times a retryable request is tried in all.
    pub max_attempts: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: None,
            verbosity: 0,
            logger: None,
            max_attempts: 8,
        }
    }
}

/// A client for one API server.
pub struct Client {
    http: reqwest::Client,
    server: String,
    credentials: Credentials,
    options: ClientOptions,
}

/// A successful answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json<T: serde::de::DeserializeOwned>(&self, server: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|err| Error::NotKubernetes {
            server: server.to_string(),
            reason: format!("its answer is not the expected JSON ({err})"),
        })
    }

    /// `Warning` headers (e.g. unknown fields under fieldValidation=Warn).
    pub fn warnings(&self) -> Vec<String> {
        self.headers
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(warning_text)
            .collect()
    }
}

/// How long a connection, TLS handshake included, may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `https://user:pw@host:6443` -> (`https://host:6443`, Some((user, pw))).
/// The URL petctl keeps, and so every message and log line that names the
/// server, never holds the credentials; they become basic auth, as Go's
/// HTTP client makes of a URL's userinfo.
pub fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (
                format!("{scheme}://{host}{}", &rest[authority_end..]),
                Some((user.to_string(), password.to_string())),
            )
        }
        None => (url.to_string(), None),
    }
}

/// `299 - "unknown field \"spec.foo\""` -> `unknown field "spec.foo"`.
fn warning_text(header: &str) -> String {
    let text = header.strip_prefix("299 - ").unwrap_or(header);
    serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string())
}

impl Client {
    pub fn new(resolved: &Resolved, options: ClientOptions) -> anyhow::Result<Client> {
        let cluster = &resolved.cluster;
        let (server, userinfo) = split_userinfo(cluster.server.trim_end_matches('/'));
        if !server.starts_with("https://") && !server.starts_with("http://") {
            anyhow::bail!("server {server:?} is not an http(s) URL");
        }
        let mut credentials = Credentials::from_user(&resolved.user, cluster)?;
        if let (Credentials::None, Some((username, password))) = (&credentials, userinfo) {
            credentials = Credentials::Basic {
                username,
                password: crate::auth::Secret(password),
            };
        }
        let mut identity = match (
            file_or_data(
                "client-certificate",
                resolved.user.client_certificate.as_deref(),
                resolved.user.client_certificate_data.as_deref(),
            )?,
            file_or_data(
                "client-key",
                resolved.user.client_key.as_deref(),
                resolved.user.client_key_data.as_deref(),
            )?,
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => anyhow::bail!(
                "user {:?} has a client certificate without a key, or a key without a certificate",
                resolved.user_name
            ),
        };
        if let Credentials::Exec(plugin) = &credentials {
            // A plugin that answers with a certificate is asked up front:
            // the certificate is part of the TLS session.
            if identity.is_none() {
                identity = plugin.credential()?.identity;
            }
        }
        let settings = TlsSettings {
            ca_pem: file_or_data(
                "certificate-authority",
                cluster.certificate_authority.as_deref(),
                cluster.certificate_authority_data.as_deref(),
            )?,
            identity,
            insecure_skip_verify: cluster.insecure_skip_tls_verify,
            server_name: cluster.tls_server_name.clone().filter(|n| !n.is_empty()),
        };
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls::client_config(&settings)?)
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(30));
        if let Some(proxy) = cluster.proxy_url.as_deref().filter(|p| !p.is_empty()) {
            builder = builder.proxy(
                reqwest::Proxy::all(proxy)
                    .with_context(|| format!("invalid proxy-url {:?}", split_userinfo(proxy).0))?,
            );
        }
        let http = builder.build().context("cannot build the HTTP client")?;
        Ok(Client {
            http,
            server,
            credentials,
            options,
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn log(&self, level: u8, line: impl FnOnce() -> String) {
        if self.options.verbosity >= level {
            if let Some(logger) = &self.options.logger {
                logger(&line());
            }
        }
    }

    /// Sends one request, retrying it when that is safe: GETs and DELETEs
    /// on 429, 5xx and connection errors; any method on 429 and on refused
    /// connections, where the server cannot have acted on it.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Response, Error> {
        // DELETE is idempotent too: repeated, it finds the object gone (404),
        // which callers treat as done.
        let idempotent =
            method == Method::GET || method == Method::HEAD || method == Method::DELETE;
        self.send_repeatable(method, path, body, idempotent).await
    }

    /// Sends one request, retrying it like a GET when it is `repeatable`,
    /// as a write that carries a precondition (a resourceVersion, a uid, or
    /// a JSON Patch `test`) is: if a lost answer hid a write that was
    /// applied, the repeat fails its precondition with 409 or 422, and the
    /// caller re-reads the object. Any request is retried on 429 (but a
    /// disruption budget's refusal of an eviction) and on refused
    /// connections, where the server cannot have acted on it.
    pub(crate) async fn send_repeatable(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        repeatable: bool,
    ) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(method.clone(), path, body.clone()).await;
            let err = match result {
                Ok(resp) => return Ok(resp),
                Err(err) => err,
            };
            let safe = repeatable && err.is_retryable()
                || err.code() == Some(429) && !err.is_budget_refusal()
                || matches!(err, Error::Connect { .. });
            if !safe || attempt >= self.options.max_attempts {
                return Err(err);
            }
            let backoff = err
                .retry_after()
                .map(|s| Duration::from_secs(u64::from(s.min(30))))
                .unwrap_or_else(|| Duration::from_millis(100 << attempt.min(5)));
            self.log(6, || {
                format!("retrying {method} {path} in {backoff:?} after: {err}")
            });
            tokio::time::sleep(backoff).await;
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Response, Error> {
        let url = format!("{}{}", self.server, path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header(USER_AGENT, concat!("petctl/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, "application/json");
        if let Some(timeout) = self.options.request_timeout {
            request = request.timeout(timeout);
        }
        match self
            .credentials
            .authorization()
            .map_err(|e| Error::Auth(format!("{e:#}")))?
        {
            Authorization::None => {}
            Authorization::Bearer(token) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {}", token.0)).map_err(|_| {
                        Error::Auth("the token holds characters not allowed in a header".into())
                    })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            Authorization::Basic { username, password } => {
                request = request.basic_auth(username, Some(password.0));
            }
        }
        if let Some((content_type, bytes)) = body {
            self.log(8, || format!("Request Body: {}", redact_body(&bytes)));
            request = request.header(CONTENT_TYPE, content_type).body(bytes);
        }
        let started = Instant::now();
        let response = request.send().await.map_err(|e| self.map_error(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| self.map_error(e))?;
        self.log(6, || {
            format!(
                "{method} {url} {status} in {} milliseconds",
                started.elapsed().as_millis()
            )
        });
        self.log(8, || format!("Response Body: {}", redact_body(&body)));
        if (200..300).contains(&status) {
            return Ok(Response {
                status,
                headers,
                body,
            });
        }
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut err = Error::from_response(&self.server, status, content_type, &body);
        if let (Error::Api { status: s, .. }, Some(after)) = (&mut err, retry_after(&headers)) {
            s.details
                .get_or_insert_with(Default::default)
                .retry_after_seconds = Some(after);
        }
        Err(err)
    }

    /// Opens a streaming GET (a watch). The connection is retried like any
    /// GET; the stream itself is the caller's.
    pub(crate) async fn stream(&self, path: &str) -> Result<reqwest::Response, Error> {
        let url = format!("{}{}", self.server, path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.get(&url).header(ACCEPT, "application/json");
            match self
                .credentials
                .authorization()
                .map_err(|e| Error::Auth(format!("{e:#}")))?
            {
                Authorization::None => {}
                Authorization::Bearer(token) => request = request.bearer_auth(token.0),
                Authorization::Basic { username, password } => {
                    request = request.basic_auth(username, Some(password.0))
                }
            }
            let started = Instant::now();
            let result = match request.send().await {
                Ok(resp) if resp.status().is_success() => Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let body = resp.bytes().await.unwrap_or_default();
                    let content_type = headers
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    Err(Error::from_response(
                        &self.server,
                        status,
                        content_type,
                        &body,
                    ))
                }
                Err(e) => Err(self.map_error(e)),
            };
            self.log(6, || {
                format!(
                    "GET {url} {} in {} milliseconds",
                    result.as_ref().map(|r| r.status().as_u16()).unwrap_or(0),
                    started.elapsed().as_millis()
                )
            });
            match result {
                Ok(resp) => return Ok(resp),
                Err(err) if err.is_retryable() && attempt < self.options.max_attempts => {
                    tokio::time::sleep(Duration::from_millis(100 << attempt.min(5))).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    fn map_error(&self, err: reqwest::Error) -> Error {
        let server = self.server.clone();
        let root = root_cause(&err);
        if chain_has_tls_error(&err) {
            return Error::Tls {
                server,
                reason: root,
            };
        }
        if err.is_timeout() {
            let after = match self.options.request_timeout {
                Some(t) if !err.is_connect() => format!("{t:?} (--request-timeout)"),
                _ => format!("{CONNECT_TIMEOUT:?} without a connection"),
            };
            return Error::Timeout { server, after };
        }
        if err.is_connect() {
            return Error::Connect {
                server,
                reason: root,
            };
        }
        Error::Transport {
            server,
            reason: root,
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<u32> {
    headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn chain_has_tls_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if is_tls_error(e) {
            return true;
        }
        current = e.source();
    }
    false
}

/// A rustls error, possibly inside io::Errors: their `source()` skips the
/// error they wrap, so it is unwrapped by hand.
fn is_tls_error(err: &(dyn std::error::Error + 'static)) -> bool {
    if err.is::<rustls::Error>() {
        return true;
    }
    match err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        Some(inner) => is_tls_error(inner),
        None => false,
    }
}

/// Bodies logged at -v=8 with secret values blanked: Secret data, tokens,
/// passwords and embedded keys.
fn redact_body(body: &[u8]) -> String {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return format!("<{} bytes, not JSON>", body.len());
    };
    redact_value(&mut value);
    value.to_string()
}

fn redact_value(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let is_secret = map.get("kind").and_then(Value::as_str) == Some("Secret");
            for (key, v) in map.iter_mut() {
                let sensitive = matches!(
                    key.as_str(),
                    "token" | "password" | "client-key-data" | "clientKeyData"
                ) || (is_secret && matches!(key.as_str(), "data" | "stringData"));
                if sensitive {
                    *v = Value::String("REDACTED".into());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_bodies_hide_secrets() {
        let body = br#"{"kind":"List","items":[{"kind":"Secret","data":{"k":"c2VjcmV0"}},{"status":{"token":"abc"}}]}"#;
        let logged = redact_body(body);
        assert!(
            !logged.contains("c2VjcmV0") && !logged.contains("abc"),
            "{logged}"
        );
        assert!(logged.contains("REDACTED"));
    }

    #[test]
    fn credentials_leave_the_server_url() {
        let cases = [
            ("https://h:6443", "https://h:6443", None),
            (
                "https://u:p@w@h:6443/base?x=@",
                "https://h:6443/base?x=@",
                Some(("u", "p@w")),
            ),
            ("http://u@h", "http://h", Some(("u", ""))),
            ("h:6443", "h:6443", None),
        ];
        for (url, server, userinfo) in cases {
            let (got, info) = split_userinfo(url);
            assert_eq!(got, server, "{url}");
            assert_eq!(
                info,
                userinfo.map(|(u, p)| (u.to_string(), p.to_string())),
                "{url}"
            );
        }
    }

    #[test]
    fn warnings_are_unquoted() {
        assert_eq!(
            warning_text("299 - \"unknown field \\\"spec.foo\\\"\""),
            "unknown field \"spec.foo\""
        );
        assert_eq!(warning_text("plain"), "plain");
    }
}
