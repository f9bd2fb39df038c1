//! The `petctl` binary: parse, run, map the error to an exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

/// jemalloc rather than glibc's malloc: the local control plane runs in
/// this binary and allocates and frees JSON objects at a high rate; with
/// jemalloc its CPU time at 1000 pets fell by a quarter at the same peak
/// RSS, where mimalloc's was 25 % higher (docs/benchmarks.md, "Memory and
/// the other controllers at 1000 and 10,000 pets").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    petctl::cli::main()
}
