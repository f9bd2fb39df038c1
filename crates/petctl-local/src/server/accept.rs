//! Admission of connections: the pace of accepts, the backoff after a
//! failed accept (EMFILE and the like) and the cap on concurrent connections per client
//! address. Both make room by closing the connections that have waited
//! longest without sending a request; the cap refuses a new connection
//! only when all of its address's are serving requests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::connection::{Activity, Wait};
use crate::log::Episodes;

/// Go's accept loop backs off from 5 ms, doubling up to 1 s, after an
/// error such as EMFILE, and starts again at 5 ms after a success
/// (net/http/server.go, `Server.Serve`: `tempDelay`).
#[derive(Debug, Default)]
pub(super) struct Backoff {
    delay: Option<Duration>,
}

const FIRST_DELAY: Duration = Duration::from_millis(5);
pub(super) const MAX_DELAY: Duration = Duration::from_secs(1);

impl Backoff {
    /// How long to wait after one more failed accept.
    pub(super) fn failed(&mut self) -> Duration {
        let delay = match self.delay {
            None => FIRST_DELAY,
            Some(delay) => (delay * 2).min(MAX_DELAY),
        };
        self.delay = Some(delay);
        delay
    }

    pub(super) fn succeeded(&mut self) {
        self.delay = None;
    }
}

/// A token bucket on accepts: `burst` at once, then `per_second`; a
/// connection that sends a request gives its token back, so only those
/// that never do are paced. A TLS handshake costs the server about a
/// millisecond (several in a debug build), and a flood of clients that
/// handshake and stall would otherwise take as much CPU as they can send
/// handshakes; past the burst, new connections wait in the listen backlog,
/// costing nothing.
#[derive(Debug)]
pub(super) struct Pace {
    per_second: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Pace {
    pub(super) fn new(per_second: u32, burst: u32, now: Instant) -> Self {
        Pace {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            at: now,
        }
    }

    /// Takes a token at `now`, or says how long until there is one.
    pub(super) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }

    /// Gives back the token of a connection that sent a request.
    pub(super) fn refund(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.burst);
    }
}

/// The per-address cap and the connections it counts.
pub(super) struct Admission {
    cap: usize,
    open: Mutex<HashMap<IpAddr, Vec<Arc<Activity>>>>,
    evictions: Episodes,
    refusals: Episodes,
}

/// A connection admitted under the cap; dropping it frees its place.
pub(super) struct Ticket {
    admission: Arc<Admission>,
    address: IpAddr,
    pub activity: Arc<Activity>,
}

impl Admission {
    pub(super) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Admission {
            cap: cap.max(1),
            open: Mutex::new(HashMap::new()),
            evictions: Episodes::new(Duration::from_secs(10)),
            refusals: Episodes::new(Duration::from_secs(10)),
        })
    }

    /// Admits a new connection from `address`. At the cap, the connection
    /// of that address that has waited longest without sending a request
    /// (in its handshake or header first, then idle) is closed to make
    /// room; when all of them are serving requests the new one is refused.
    pub(super) fn admit(self: &Arc<Self>, address: IpAddr, now: Instant) -> Option<Ticket> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let connections = open.entry(address).or_default();
        if connections.len() >= self.cap {
            let waits: Vec<Wait> = connections.iter().map(|c| c.wait()).collect();
            match victim(&waits) {
                Some(index) => {
                    connections.swap_remove(index).evict();
                    self.evictions.log(|| {
                        format!(
                            "connections from {address} reached the cap of {}: closing the ones that waited longest without a request",
                            self.cap
                        )
                    });
                }
                None => {
                    self.refusals.log(|| {
                        format!(
                            "connections from {address} reached the cap of {}, all serving requests: refusing new ones",
                            self.cap
                        )
                    });
                    return None;
                }
            }
        }
        let activity = Activity::new(now);
        connections.push(activity.clone());
        Some(Ticket {
            admission: self.clone(),
            address,
            activity,
        })
    }

    /// Out of file descriptors (EMFILE, ENFILE): closes the connection of
    /// any address that has waited longest without a request, so the next
    /// accept gets its descriptor; false when every connection is serving.
    pub(super) fn shed(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let all: Vec<(IpAddr, usize, Wait)> = open
            .iter()
            .flat_map(|(address, cs)| cs.iter().enumerate().map(|(i, c)| (*address, i, c.wait())))
            .collect();
        let waits: Vec<Wait> = all.iter().map(|(_, _, w)| *w).collect();
        let Some(pick) = victim(&waits) else {
            return false;
        };
        let (address, index, _) = all[pick];
        if let Some(connections) = open.get_mut(&address) {
            connections.swap_remove(index).evict();
        }
        true
    }

    /// How many connections from `address` are counted.
    #[cfg(test)]
    fn count(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&address).map_or(0, Vec::len)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(connections) = open.get_mut(&self.address) {
            connections.retain(|c| !Arc::ptr_eq(c, &self.activity));
            if connections.is_empty() {
                open.remove(&self.address);
            }
        }
    }
}

/// The connection to close to make room: the longest wait for a handshake
/// or a header, else the longest idle one; never one serving requests.
fn victim(waits: &[Wait]) -> Option<usize> {
    let oldest = |pick: fn(&Wait) -> Option<Instant>| {
        waits
            .iter()
            .enumerate()
            .filter_map(|(i, w)| pick(w).map(|since| (since, i)))
            .min()
            .map(|(_, i)| i)
    };
    oldest(|w| match w {
        Wait::Handshake(since) | Wait::Head(since) => Some(*since),
        _ => None,
    })
    .or_else(|| {
        oldest(|w| match w {
            Wait::Idle(since) => Some(*since),
            _ => None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut backoff = Backoff::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| backoff.failed().as_millis() as u64)
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), FIRST_DELAY);
    }

    #[test]
    fn the_pace_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut pace = Pace::new(10, 3, t0);
        assert!((0..3).all(|_| pace.take(t0).is_ok()));
        assert_eq!(pace.take(t0), Err(Duration::from_millis(100)));
        let later = t0 + Duration::from_millis(250);
        assert!(pace.take(later).is_ok());
        assert!(pace.take(later).is_ok());
        assert!(pace.take(later).is_err());
        pace.refund();
        assert!(pace.take(later).is_ok());
        assert!(pace.take(later).is_err());
        // A long pause refills the burst, no more.
        let much_later = later + Duration::from_secs(60);
        assert!((0..3).all(|_| pace.take(much_later).is_ok()));
        assert!(pace.take(much_later).is_err());
    }

    #[test]
    fn the_victim_is_the_longest_wait_without_a_request() {
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        assert_eq!(
            victim(&[
                Wait::Idle(s(0)),
                Wait::Head(s(3)),
                Wait::Busy,
                Wait::Handshake(s(2))
            ]),
            Some(3)
        );
        assert_eq!(
            victim(&[Wait::Busy, Wait::Idle(s(5)), Wait::Idle(s(4))]),
            Some(2)
        );
        assert_eq!(victim(&[Wait::Busy, Wait::Busy]), None);
    }

    #[test]
    fn at_the_cap_a_new_connection_evicts_and_tickets_free_their_place() {
        let admission = Admission::new(2);
        let (a, b): (IpAddr, IpAddr) = ([127, 0, 0, 1].into(), [127, 0, 0, 2].into());
        let t0 = Instant::now();
        let first = admission.admit(a, t0).expect("first");
        let second = admission
            .admit(a, t0 + Duration::from_secs(1))
            .expect("second");
        let _other = admission.admit(b, t0).expect("another address");
        let third = admission
            .admit(a, t0 + Duration::from_secs(2))
            .expect("third");
        assert_eq!(admission.count(a), 2);
        // The oldest handshake went; its ticket's drop changes nothing more.
        drop(first);
        assert_eq!(admission.count(a), 2);
        drop(second);
        assert_eq!(admission.count(a), 1);
        drop(third);
        assert_eq!(admission.count(a), 0);
        assert_eq!(admission.count(b), 1);
    }
}
