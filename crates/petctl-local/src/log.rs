//! The control plane's log sink, server.log: one time-stamped line per
//! event, written by the server and the controllers alike.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::registry::meta::rfc3339;

static LOG: OnceLock<Mutex<File>> = OnceLock::new();

/// Sends every later line to `file`; the first file opened wins.
pub(crate) fn open(file: File) {
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
