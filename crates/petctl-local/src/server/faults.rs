//! Fault injection for reliability tests, off by default: a fraction of
//! non-watch requests fails (500, 429 with Retry-After, or a dropped
//! connection, before or after the request was handled), requests are
//! delayed, and watches are cut short. The dice start from a seed that the
//! server log names, so a failing run can be replayed. `--fail-next` fails
//! the next request of one verb on one resource once, deterministically:
//! with a status code, or `lost` (handled, then the connection drops).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::route::{self, Route};
use super::App;
use crate::registry::error::ApiError;

/// The fault flags of `petctl local up`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// The fraction of non-watch requests that fail, 0.0 to 1.0.
    pub rate: f64,
    /// Added to every request.
    pub latency: Duration,
    /// Watches are closed at a random time of up to this.
    pub watch_drop_after: Option<Duration>,
    /// Where the dice start; None picks one from the clock.
    pub seed: Option<u64>,
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    InternalError,
    TooManyRequests,
    /// The connection drops before the request is handled.
    DropConnection,
    /// The request is handled, then the connection drops: the client
    /// cannot tell whether a write happened.
    LoseAnswer,
}

/// A small xorshift generator: fault injection needs spread, not secrecy.
pub struct Dice(AtomicU64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(AtomicU64::new(seed | 1))
    }

    /// A number in [0, 1).
    pub fn roll(&self) -> f64 {
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Faults {
    /// Whether any fault is injected at all.
    pub fn active(&self) -> bool {
        self.rate > 0.0 || !self.latency.is_zero() || self.watch_drop_after.is_some()
    }

    /// The seed the dice start from: the flag's, else one from the clock.
    pub fn seed_or_random(&self) -> u64 {
        self.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
    }

    /// Whether this request fails, and how.
    pub fn pick(&self, dice: &Dice) -> Option<Failure> {
        if self.rate <= 0.0 || dice.roll() >= self.rate {
            return None;
        }
        let which = dice.roll();
        Some(if which < 0.4 {
            Failure::InternalError
        } else if which < 0.8 {
            Failure::TooManyRequests
        } else if which < 0.9 {
            Failure::DropConnection
        } else {
            Failure::LoseAnswer
        })
    }

    /// When a new watch is cut, if watches are cut at all.
    pub fn watch_lifetime(&self, dice: &Dice) -> Option<Duration> {
        self.watch_drop_after.map(|max| max.mul_f64(dice.roll()))
    }
}

impl std::fmt::Display for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rate {}, latency {:?}", self.rate, self.latency)?;
        match self.watch_drop_after {
            Some(after) => write!(f, ", watches cut within {after:?}"),
            None => Ok(()),
        }
    }
}

/// `--fail-next VERB:RESOURCE:CODE|lost`: the next request of that verb on
/// that resource (`statefulsets`, or `pods/status` for a subresource) fails
/// once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailNext {
    /// A Kubernetes API verb: get, list, create, update, patch, delete,
    /// deletecollection.
    pub verb: String,
    pub resource: String,
    /// The status code answered; None (`lost`): the request is handled and
    /// its answer lost with the connection.
    pub code: Option<u16>,
}

const VERBS: &[&str] = &[
    "get",
    "list",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// The Status reason kube-apiserver gives each code.
const REASONS: &[(u16, &str)] = &[
    (400, "BadRequest"),
    (401, "Unauthorized"),
    (403, "Forbidden"),
    (404, "NotFound"),
    (405, "MethodNotAllowed"),
    (409, "Conflict"),
    (410, "Expired"),
    (422, "Invalid"),
    (429, "TooManyRequests"),
    (500, "InternalError"),
    (503, "ServiceUnavailable"),
    (504, "Timeout"),
];

impl std::str::FromStr for FailNext {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("invalid --fail-next {text:?}: {why}");
        let parts: Vec<&str> = text.split(':').collect();
        let [verb, resource, code] = parts.as_slice() else {
            return Err(bad(
                "expected VERB:RESOURCE:CODE or VERB:RESOURCE:lost, e.g. delete:persistentvolumeclaims:500",
            ));
        };
        let verb = verb.to_ascii_lowercase();
        if !VERBS.contains(&verb.as_str()) {
            return Err(bad(&format!(
                "the verb must be one of {}",
                VERBS.join(", ")
            )));
        }
        if resource.is_empty() {
            return Err(bad("the resource is empty"));
        }
        let code = match code.to_ascii_lowercase().as_str() {
            "lost" => None,
            code => Some(
                code.parse::<u16>()
                    .ok()
                    .filter(|code| REASONS.iter().any(|(known, _)| known == code))
                    .ok_or_else(|| {
                        let codes: Vec<String> =
                            REASONS.iter().map(|(c, _)| c.to_string()).collect();
                        bad(&format!(
                            "the code must be lost or one of {}",
                            codes.join(", ")
                        ))
                    })?,
            ),
        };
        Ok(FailNext {
            verb,
            resource: resource.to_ascii_lowercase(),
            code,
        })
    }
}

impl std::fmt::Display for FailNext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{}:{}:{code}", self.verb, self.resource),
            None => write!(f, "{}:{}:lost", self.verb, self.resource),
        }
    }
}

impl FailNext {
    /// The answer instead of the request's; None for `lost`.
    fn error(&self) -> Option<ApiError> {
        let code = self.code?;
        let reason = REASONS
            .iter()
            .find(|(known, _)| *known == code)
            .map_or("InternalError", |(_, reason)| reason);
        let error = ApiError::new(code, reason, format!("injected fault (--fail-next {self})"));
        Some(match code {
            429 | 503 | 504 => error.with_details(serde_json::json!({"retryAfterSeconds": 1})),
            _ => error,
        })
    }
}

/// The one-shot failures not yet spent, in flag order.
#[derive(Debug, Default)]
pub struct Pending(Mutex<Vec<FailNext>>);

impl Pending {
    pub fn new(all: Vec<FailNext>) -> Self {
        Pending(Mutex::new(all))
    }

    /// Takes the first pending failure matching this verb and resource.
    fn take(&self, verb: &str, resource: &str) -> Option<FailNext> {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = pending
            .iter()
            .position(|f| f.verb == verb && f.resource == resource)?;
        Some(pending.remove(at))
    }
}

/// The verb and resource of a resource request, as RequestInfo names them.
fn verb_and_resource(request: &Request<Incoming>) -> Option<(&'static str, String)> {
    let Route::Resource(path) = route::resolve(request.uri().path()) else {
        return None;
    };
    let named = path.name.is_some();
    let verb = match (request.method().as_str(), named) {
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    let resource = match &path.subresource {
        Some(sub) => format!("{}/{sub}", path.kind.plural),
        None => path.kind.plural.to_string(),
    };
    Some((verb, resource))
}

/// Parses a fraction from 0 to 1.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "invalid fault rate {text:?}: expected a number from 0 to 1"
        )),
    }
}

fn dropped() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "injected fault: connection dropped",
    )
}

fn is_watch(request: &Request<Incoming>) -> bool {
    let query = request.uri().query().unwrap_or("");
    request.uri().path().contains("/watch/")
        || form_urlencoded::parse(query.as_bytes())
            .any(|(k, v)| k == "watch" && (v == "1" || v == "true"))
}

fn is_health(request: &Request<Incoming>) -> bool {
    let path = request.uri().path();
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Serves one request, with faults injected first when configured.
pub async fn serve(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let faults = app.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if !is_watch(&request) && !is_health(&request) {
        if let Some((verb, resource)) = verb_and_resource(&request) {
            if let Some(fail) = app.fail_next.take(verb, &resource) {
                let (method, path) = (request.method().clone(), request.uri().path().to_string());
                let Some(error) = fail.error() else {
                    let answer = super::handlers::handle(app, request).await;
                    super::log(&format!(
                        "injected fault (--fail-next {fail}): {method} {path} handled ({}), its answer lost",
                        answer.status().as_u16()
                    ));
                    return Err(dropped());
                };
                super::log(&format!(
                    "injected fault (--fail-next {fail}): {method} {path} answered {}",
                    error.code
                ));
                return Ok(super::respond::error(&error));
            }
        }
        match faults.pick(&app.dice) {
            None => {}
            Some(Failure::InternalError) => {
                return Ok(super::respond::error(&ApiError::internal("injected fault")));
            }
            Some(Failure::TooManyRequests) => {
                return Ok(super::respond::error(&ApiError::too_many_requests(1)));
            }
            Some(Failure::DropConnection) => return Err(dropped()),
            Some(Failure::LoseAnswer) => {
                let _ = super::handlers::handle(app, request).await;
                return Err(dropped());
            }
        }
    }
    Ok(super::handlers::handle(app, request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("x").is_err());
    }

    #[test]
    fn fault_rate_is_honoured() {
        let dice = Dice::new(42);
        let off = Faults::default();
        assert!((0..1000).all(|_| off.pick(&dice).is_none()));
        let always = Faults {
            rate: 1.0,
            ..Faults::default()
        };
        assert!((0..1000).all(|_| always.pick(&dice).is_some()));
        let some = Faults {
            rate: 0.3,
            ..Faults::default()
        };
        let failed = (0..10_000).filter(|_| some.pick(&dice).is_some()).count();
        assert!((2_500..3_500).contains(&failed), "{failed}");
    }

    #[test]
    fn fail_next_parses_and_fires_once() {
        let fail: FailNext = "delete:persistentvolumeclaims:500".parse().unwrap();
        assert_eq!(fail.to_string(), "delete:persistentvolumeclaims:500");
        assert_eq!(fail.error().unwrap().code, 500);
        let lost: FailNext = "patch:statefulsets:LOST".parse().unwrap();
        assert_eq!(
            (lost.to_string().as_str(), lost.error()),
            ("patch:statefulsets:lost", None)
        );
        assert!("delete:pvc".parse::<FailNext>().is_err());
        assert!("remove:pods:500".parse::<FailNext>().is_err());
        assert!("patch:statefulsets:299".parse::<FailNext>().is_err());
        let pending = Pending::new(vec![fail, "patch:statefulsets:409".parse().unwrap()]);
        assert!(pending.take("patch", "petsets").is_none());
        assert_eq!(
            pending.take("patch", "statefulsets").unwrap().code,
            Some(409)
        );
        assert!(pending.take("patch", "statefulsets").is_none());
        assert!(pending.take("delete", "persistentvolumeclaims").is_some());
    }

    #[test]
    fn a_seed_replays_the_same_faults() {
        let faults = Faults {
            rate: 0.3,
            seed: Some(7),
            ..Faults::default()
        };
        let run = || {
            let dice = Dice::new(faults.seed_or_random());
            (0..200).map(|_| faults.pick(&dice)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
        let all = run();
        assert!(all.contains(&Some(Failure::LoseAnswer)), "{all:?}");
    }
}
