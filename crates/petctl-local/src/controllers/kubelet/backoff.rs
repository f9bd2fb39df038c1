//! The kubelet's crash-loop back-off, as client-go's `flowcontrol.Backoff`
//! keeps it per container (pkg/kubelet/kubelet.go: `backOffPeriod` 10 s,
//! `MaxContainerBackOff` 300 s), scaled by `local up --backoff-scale`; and
//! Go's way of printing the duration in the CrashLoopBackOff message.

use std::time::{Duration, Instant};

/// The back-off doubles up to this many times its first value (300 s / 10 s).
const MAX_FACTOR: u32 = 30;

/// One container's back-off entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    backoff: Duration,
    last_update: Instant,
}

/// When a container that exited starts again.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    initial: Duration,
    entry: Option<Entry>,
}

impl Backoff {
    pub fn new(initial: Duration) -> Self {
        Backoff {
            initial,
            entry: None,
        }
    }

    fn max(&self) -> Duration {
        self.initial.saturating_mul(MAX_FACTOR)
    }

    /// The container exited at `exited`: when it starts again, and the
    /// back-off it waits for that (None: it restarts at once).
    ///
    /// As kuberuntime's `doBackOff`: a container with no entry, or whose
    /// entry is older than twice the cap (`hasExpired`), restarts at once
    /// and gets the first back-off; otherwise it waits its entry's back-off
    /// from the exit, and the entry doubles when it restarts.
    pub fn next_start(&mut self, exited: Instant) -> (Instant, Option<Duration>) {
        let max = self.max();
        match self.entry {
            Some(e) if exited.saturating_duration_since(e.last_update) <= max.saturating_mul(2) => {
                let at = exited + e.backoff;
                self.entry = Some(Entry {
                    backoff: e.backoff.saturating_mul(2).min(max),
                    last_update: at,
                });
                (at, Some(e.backoff))
            }
            _ => {
                self.entry = Some(Entry {
                    backoff: self.initial,
                    last_update: exited,
                });
                (exited, None)
            }
        }
    }

    /// The back-off after the `restarts`-th restart of an image that
    /// always fails (--fail-images): the first back-off, doubled for each
    /// restart after the first, up to the cap.
    pub fn nth(&self, restarts: i64) -> Duration {
        let doublings = u32::try_from(restarts.clamp(1, 32) - 1).unwrap_or(0);
        self.initial
            .saturating_mul(1u32.checked_shl(doublings).unwrap_or(u32::MAX))
            .min(self.max())
    }
}

/// A duration as Go's `time.Duration.String` prints it: `500ms`, `10s`,
/// `1m20s`, `5m0s`, `1.5s`.
pub fn go_duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis == 0 {
        return "0s".into();
    }
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let (hours, minutes) = (millis / 3_600_000, millis / 60_000 % 60);
    let seconds = millis % 60_000;
    let seconds = if seconds.is_multiple_of(1000) {
        format!("{}s", seconds / 1000)
    } else {
        let text = format!("{}.{:03}", seconds / 1000, seconds % 1000);
        format!("{}s", text.trim_end_matches('0'))
    };
    match (hours, minutes) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_loop_waits_10s_doubling_to_5m() {
        let start = Instant::now();
        let mut backoff = Backoff::new(Duration::from_secs(10));
        let mut at = start;
        let mut waits = Vec::new();
        for _ in 0..9 {
            // Each run lasts a second before it exits.
            let (restart, waited) = backoff.next_start(at + Duration::from_secs(1));
            waits.push(waited.map(|w| w.as_secs()));
            at = restart;
        }
        assert_eq!(
            waits,
            [
                None,
                Some(10),
                Some(20),
                Some(40),
                Some(80),
                Some(160),
                Some(300),
                Some(300),
                Some(300)
            ]
        );
        // Ten minutes after its last restart without an exit, a container
        // starts afresh.
        let (restart, waited) = backoff.next_start(at + Duration::from_secs(601));
        assert_eq!((restart, waited), (at + Duration::from_secs(601), None));
        let (_, waited) = backoff.next_start(restart + Duration::from_secs(1));
        assert_eq!(waited, Some(Duration::from_secs(10)));
    }

    #[test]
    fn the_scale_shrinks_every_interval() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let t = Instant::now();
        assert_eq!(backoff.next_start(t).1, None);
        assert_eq!(backoff.next_start(t).1, Some(Duration::from_millis(500)));
        assert_eq!(backoff.next_start(t).1, Some(Duration::from_secs(1)));
        let secs: Vec<u64> = (0..8)
            .map(|r| Backoff::new(Duration::from_secs(1)).nth(r).as_secs())
            .collect();
        assert_eq!(secs, [1, 1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn durations_print_as_go_does() {
        let ms = Duration::from_millis;
        for (d, want) in [
            (ms(0), "0s"),
            (ms(500), "500ms"),
            (ms(1000), "1s"),
            (ms(1500), "1.5s"),
            (ms(10_000), "10s"),
            (ms(80_000), "1m20s"),
            (ms(300_000), "5m0s"),
            (ms(3_600_000), "1h0m0s"),
        ] {
            assert_eq!(go_duration(d), want, "{d:?}");
        }
    }
}
