//! The command line: clap definitions, turning arguments into options, and
//! rendering outcomes. The only part of petctl that knows clap, environment
//! variables, stdout/stderr and exit codes.

mod completion;
pub mod docs;
mod migrate;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{exit_code, EXIT_INVALID, EXIT_OK};

/// petctl: ordered, safe operations on PetSets and StatefulSets.
#[derive(Debug, Parser)]
#[command(name = "petctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert PetSets and older StatefulSets to apps/v1 StatefulSets
    Migrate(migrate::Args),
    /// Print a shell completion script
    Completion(completion::Args),
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs petctl with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            });
        }
    };
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let result = run(cli, &mut stdout, &mut stderr).and_then(|()| Ok(stdout.flush()?));
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_OK),
        Err(err) => {
            let _ = writeln!(stderr, "error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Runs one parsed command, writing data to `out` and notices to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate(args) => migrate::run(args, out, err),
        Command::Completion(args) => completion::run(args, out),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
