//! The `petctl` binary: parse, run, map the error to an exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    petctl::cli::main()
}
