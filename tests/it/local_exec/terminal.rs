//! kubectl on a pseudo-terminal (util-linux `script`), for the exec and
//! attach tests that need a TTY.

use std::io::{BufRead, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::local_guide::Cluster;

/// kubectl on a pseudo-terminal (util-linux `script`), read as it writes.
pub(super) struct Terminal {
    child: Child,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Terminal {
    pub(super) fn start(k: &Cluster, args: &str) -> Self {
        Self::sized(k, args, "")
    }

    /// kubectl ARGS on a terminal first given `stty` SIZE (`rows 40 cols
    /// 100`), so kubectl has a size to send.
    pub(super) fn sized(k: &Cluster, args: &str, size: &str) -> Self {
        let kubectl = crate::support::kubectl_or_skip("terminal").expect("kubectl");
        let stty = if size.is_empty() {
            String::new()
        } else {
            format!("stty {size}; ")
        };
        let home = k.server.dir.path().join("kubectl-home");
        let _ = std::fs::create_dir_all(&home);
        let mut child = Command::new("script")
            .args([
                "-qec",
                &format!("{stty}{} {args}", kubectl.display()),
                "/dev/null",
            ])
            .env("KUBECONFIG", k.server.kubeconfig())
            .env("HOME", &home)
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn script");
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(&mut stdout);
            loop {
                let chunk = match reader.fill_buf() {
                    Ok([]) | Err(_) => return,
                    Ok(chunk) => chunk.to_vec(),
                };
                reader.consume(chunk.len());
                if tx.send(chunk).is_err() {
                    return;
                }
            }
        });
        Terminal {
            child,
            output,
            seen: Vec::new(),
        }
    }

    pub(super) fn send(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(keys.as_bytes()).expect("type");
        stdin.flush().expect("flush");
    }

    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until `fragment` has appeared; panics after 30 s.
    #[track_caller]
    pub(super) fn expect(&mut self, fragment: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.text().contains(fragment) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!(
                    "no {fragment:?} on the terminal; it shows:\n{}",
                    self.text()
                ),
            }
        }
    }

    /// Reads to the end and returns the exit code; panics after 60 s.
    pub(super) fn finish(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("kubectl did not end; the terminal shows:\n{}", self.text());
                }
            }
        }
        self.child.wait().expect("wait").code().unwrap_or(-1)
    }
}
