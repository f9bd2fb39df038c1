//! Fault injection for reliability tests, off by default: a fraction of
//! non-watch requests fails (500, 429 with Retry-After, or a dropped
//! connection, before or after the request was handled), requests are
//! delayed, and watches are cut short. The dice start from a seed that the
//! server log names, so a failing run can be replayed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};

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
