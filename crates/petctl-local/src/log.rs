//! The control plane's log sink, server.log: one time-stamped line per
//! event, written by the server and the controllers alike.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::registry::meta::rfc3339;

static LOG: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends every later line to `file` (made 0600, as a log that existed
/// before may not be); the first file opened wins.
pub(crate) fn open(file: File) {
    if let Err(err) = crate::state::restrict(&file) {
        eprintln!("cannot restrict server.log to its owner: {err}");
    }
    let _ = LOG.set(Mutex::new(file));
}

/// Appends a line to server.log (stderr before the log is open).
pub(crate) fn log(line: &str) {
    let stamped = format!("{} {line}\n", rfc3339(SystemTime::now()));
    match LOG.get() {
        Some(file) => {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            let _ = file.write_all(stamped.as_bytes());
        }
        None => eprint!("{stamped}"),
    }
}

/// One line per episode of a recurring failure (accept errors, failed
/// handshakes): an episode ends after `quiet` without the failure, so a
/// flood of them writes one line, not one per occurrence.
pub(crate) struct Episodes {
    quiet: std::time::Duration,
    last: Mutex<Option<std::time::Instant>>,
}

impl Episodes {
    pub(crate) const fn new(quiet: std::time::Duration) -> Self {
        Episodes {
            quiet,
            last: Mutex::new(None),
        }
    }

    /// Records one occurrence at `now`; true when it starts a new episode
    /// (and so deserves its line).
    pub(crate) fn starts(&self, now: std::time::Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let new = last.is_none_or(|at| now.saturating_duration_since(at) >= self.quiet);
        *last = Some(now);
        new
    }

    /// Logs `line` if this occurrence starts an episode.
    pub(crate) fn log(&self, line: impl FnOnce() -> String) {
        if self.starts(std::time::Instant::now()) {
            log(&line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_flood_is_one_episode_and_a_pause_starts_another() {
        let episodes = Episodes::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let starts: Vec<bool> = [0, 1, 5, 14, 24, 35, 36]
            .iter()
            .map(|s| episodes.starts(t0 + Duration::from_secs(*s)))
            .collect();
        // 14 is 9 s after 5: the same episode; 24 is 10 s after 14: a new one.
        assert_eq!(starts, [true, false, false, false, true, true, false]);
    }
}
