//! The `petctl` binary: parse, run, map the error to an exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: the local control plane runs in
/// this binary, and glibc's per-thread arenas kept freed JSON objects as
/// resident memory (docs/benchmarks.md, "Memory and the other controllers").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    petctl::cli::main()
}
