//! petctl runs whose stderr is read as it streams, each line with the time
//! it arrived: for the `--wait` contract (docs/wait.md), where *when* a
//! notice is said matters as much as what it says.

use std::time::{Duration, Instant};

use super::{lines_of, spawn_at, stderr_lines, LocalServer};

/// A blocker must be said well before the timeout: within this.
pub const PROMPTLY: Duration = Duration::from_secs(5);

/// One petctl run whose stderr lines were read as they came, each with
/// the time it arrived since the start.
pub struct Streamed {
    command: String,
    pub code: i32,
    stderr: Vec<(Duration, String)>,
    pub elapsed: Duration,
}

impl Streamed {
    pub fn text(&self) -> String {
        self.stderr.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    /// When the first line containing `fragment` arrived.
    #[track_caller]
    pub fn arrival(&self, fragment: &str) -> Duration {
        self.stderr
            .iter()
            .find(|(_, l)| l.contains(fragment))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("no stderr line contains {fragment:?}\n{self}"))
    }

    /// How many notices (warnings) contain `fragment`.
    pub fn notices(&self, fragment: &str) -> usize {
        self.stderr
            .iter()
            .filter(|(_, l)| l.contains(" warning: ") && l.contains(fragment))
            .count()
    }

    /// The error petctl ended with, from the line starting `error: ` on.
    pub fn error(&self) -> String {
        let text = self.text();
        text.match_indices("error: ")
            .find(|(at, _)| *at == 0 || text[..*at].ends_with('\n'))
            .map(|(at, _)| text[at..].to_string())
            .unwrap_or_default()
    }

    /// Panics unless `notice` was said within [`PROMPTLY`] and no other
    /// notice (warning) contains `fragment`: a blocker is said at once, once.
    #[track_caller]
    pub fn expect_said_at_once_once(&self, notice: &str, fragment: &str) -> &Self {
        assert!(
            self.arrival(notice) < PROMPTLY,
            "{notice:?} said late\n{self}"
        );
        assert_eq!(self.notices(fragment), 1, "said once\n{self}");
        self
    }

    /// Panics unless the run lasted at least `timeout`: it waited to the end.
    #[track_caller]
    pub fn expect_waited(&self, timeout: Duration) -> &Self {
        assert!(self.elapsed >= timeout, "waited to the timeout\n{self}");
        self
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }
}

impl std::fmt::Display for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "command: {}\nexit code: {}\nafter {:?}\n--- stderr ---",
            self.command, self.code, self.elapsed
        )?;
        for (at, line) in &self.stderr {
            writeln!(f, "[{:>6.2}s] {line}", at.as_secs_f64())?;
        }
        Ok(())
    }
}

/// Starts petctl with `args` against `server`, returning the child and
/// the start time; `finish` reads it to the end.
pub fn spawn(server: &LocalServer, args: &[&str]) -> (std::process::Child, Instant, String) {
    let start = Instant::now();
    let child = spawn_at(server, args);
    (child, start, format!("petctl {}", args.join(" ")))
}

/// Reads the child's stderr as it streams, calling `on_line` with each
/// line as it arrives, until the child exits.
pub fn finish(
    (mut child, start, command): (std::process::Child, Instant, String),
    mut on_line: impl FnMut(&str),
) -> Streamed {
    let lines = stderr_lines(&mut child);
    let _stdout = lines_of(child.stdout.take().expect("stdout is piped"));
    let mut stderr = Vec::new();
    for line in lines.iter() {
        on_line(&line);
        stderr.push((start.elapsed(), line));
    }
    let code = child.wait().expect("wait for petctl").code().unwrap_or(-1);
    Streamed {
        command,
        code,
        stderr,
        elapsed: start.elapsed(),
    }
}

pub fn stream(server: &LocalServer, args: &[&str]) -> Streamed {
    finish(spawn(server, args), |_| {})
}
