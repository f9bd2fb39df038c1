//! The client's error: it keeps the server's `Status` so that operations can
//! branch on `is_not_found()`, `is_conflict()`, `is_gone()`, and turns the
//! rest (connection refused, TLS failures, timeouts) into messages that say
//! what to do.

use std::fmt;

use serde::Deserialize;

/// The parts of a `metav1.Status` body that callers and messages use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    pub status: String,
    pub message: String,
    pub reason: String,
    pub code: u16,
    pub details: Option<StatusDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusDetails {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub causes: Vec<StatusCause>,
    pub retry_after_seconds: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StatusCause {
    pub reason: String,
    pub message: String,
    pub field: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status.
    #[error("{}", api_message(.status, *.code))]
    Api { code: u16, status: Box<Status> },
    /// No connection could be made.
    #[error("cannot connect to the server at {server}: {reason}")]
    Connect { server: String, reason: String },
    /// The server's certificate did not verify.
    #[error("the server at {server} presented a certificate that does not verify: {reason}; check certificate-authority in the kubeconfig (or pass --certificate-authority), or, only for a throw-away cluster, --insecure-skip-tls-verify")]
    Tls { server: String, reason: String },
    /// No answer in time.
    #[error("the request to {server} timed out after {after}")]
    Timeout { server: String, after: String },
    /// The server answered something that is not the Kubernetes API.
    #[error("the server at {server} does not look like a Kubernetes API server: {reason}")]
    NotKubernetes { server: String, reason: String },
    /// Credentials could not be obtained (token file, exec plugin).
    #[error("cannot get credentials: {0}")]
    Auth(String),
    /// Anything else on the wire.
    #[error("request to {server} failed: {reason}")]
    Transport { server: String, reason: String },
}

fn api_message(status: &Status, code: u16) -> String {
    if !status.message.is_empty() {
        return status.message.clone();
    }
    match code {
        401 => "Unauthorized: the server rejected the credentials".into(),
        403 => "Forbidden".into(),
        404 => "the server could not find the requested resource".into(),
        _ => format!("the server answered {code}"),
    }
}

impl Error {
    /// An API error with this status code, reason and message.
    pub fn api(code: u16, reason: &str, message: impl Into<String>) -> Error {
        Error::Api {
            code,
            status: Box::new(Status {
                status: "Failure".into(),
                message: message.into(),
                reason: reason.into(),
                code,
                details: None,
            }),
        }
    }

    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    fn reason_is(&self, reason: &str, code: u16) -> bool {
        matches!(self, Error::Api { code: c, status } if status.reason == reason || (status.reason.is_empty() && *c == code))
    }

    pub fn is_not_found(&self) -> bool {
        self.reason_is("NotFound", 404)
    }

    pub fn is_already_exists(&self) -> bool {
        self.reason_is("AlreadyExists", 409)
    }

    /// A stale resourceVersion or a failed precondition.
    pub fn is_conflict(&self) -> bool {
        self.reason_is("Conflict", 409)
    }

    /// The resourceVersion was compacted away (410): relist.
    pub fn is_gone(&self) -> bool {
        self.reason_is("Expired", 410) || self.reason_is("Gone", 410)
    }

    /// Unauthorized (401) or Forbidden (403): the credentials may not make
    /// this request.
    pub fn is_denied(&self) -> bool {
        self.reason_is("Unauthorized", 401) || self.reason_is("Forbidden", 403)
    }

    pub fn is_invalid(&self) -> bool {
        self.reason_is("Invalid", 422)
    }

    /// Worth retrying an idempotent request: throttled, a server error, or
    /// a lost connection. Not a timeout: a server that did not answer in
    /// the time given is not asked again, or the wait would multiply.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => *code == 429 || (500..600).contains(code),
            Error::Connect { .. } | Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// A 429 from the eviction subresource: a PodDisruptionBudget allows
    /// no disruption now (its cause `DisruptionBudget`, as
    /// pkg/registry/core/pod/storage/eviction.go sets it), a condition to
    /// wait on, not throttling to retry.
    pub fn is_budget_refusal(&self) -> bool {
        matches!(self, Error::Api { code: 429, status } if status
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.reason == "DisruptionBudget")))
    }

    /// Seconds the server asked us to wait before retrying.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Error::Api { status, .. } => status.details.as_ref()?.retry_after_seconds,
            _ => None,
        }
    }

    /// Builds the error for a non-2xx answer from its body. A body that is
    /// not a `Status` still gives a clear message.
    pub fn from_response(server: &str, code: u16, content_type: &str, body: &[u8]) -> Error {
        if let Ok(status) = serde_json::from_slice::<Status>(body) {
            if !status.reason.is_empty() || !status.message.is_empty() {
                return Error::Api {
                    code,
                    status: Box::new(status),
                };
            }
        }
        if content_type.starts_with("text/html") {
            return Error::NotKubernetes {
                server: server.into(),
                reason: format!("it answered {code} with an HTML page"),
            };
        }
        let text = String::from_utf8_lossy(body);
        let message = text.trim();
        Error::Api {
            code,
            status: Box::new(Status {
                message: if message.is_empty() || message.len() > 300 {
                    String::new()
                } else {
                    message.to_string()
                },
                code,
                ..Status::default()
            }),
        }
    }
}

/// `kind "name"` for messages, e.g. `petset "web"`.
pub struct Named<'a>(pub &'a str, pub &'a str);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bodies_keep_reason_and_message() {
        let body = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"petsets.apps \"web\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"petsets"},"code":404}"#;
        let err = Error::from_response("https://x", 404, "application/json", body);
        assert!(err.is_not_found());
        assert!(!err.is_conflict());
        assert_eq!(err.to_string(), "petsets.apps \"web\" not found");
    }

    #[test]
    fn plain_bodies_and_html_get_clear_messages() {
        let err = Error::from_response("https://x", 404, "text/plain", b"404 page not found\n");
        assert!(err.is_not_found());
        assert_eq!(err.to_string(), "404 page not found");
        let html = Error::from_response("https://x", 200, "text/html; charset=utf-8", b"<html>");
        assert!(matches!(html, Error::NotKubernetes { .. }));
        let gone = Error::from_response(
            "https://x",
            410,
            "application/json",
            br#"{"reason":"Expired","message":"too old resource version: 1 (5)"}"#,
        );
        assert!(gone.is_gone() && !gone.is_retryable());
    }

    #[test]
    fn retry_after_comes_from_details() {
        let err = Error::from_response("https://x", 429, "application/json", br#"{"reason":"TooManyRequests","message":"slow down","details":{"retryAfterSeconds":2}}"#);
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(2));
    }
}
