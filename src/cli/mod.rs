//! The command line: clap definitions, turning arguments into options, and
//! rendering outcomes. The only part of petctl that knows clap, environment
//! variables, stdout/stderr and exit codes.

mod cleanup_pvcs;
mod colour;
mod complete;
mod completion;
mod config;
mod confirm;
mod connect;
mod create;
mod delete;
mod describe;
pub mod docs;
mod examples;
mod get;
pub mod global;
mod hooks;
mod local;
mod local_node;
mod local_up;
mod migrate;
mod op_args;
mod pause;
mod progress;
mod recover;
mod resize_claims;
mod retention;
mod scale;
mod upgrade_fleet;
mod upgrade_image;
mod version;
mod wait;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{exit_code, EXIT_INVALID, EXIT_OK};

/// petctl: ordered, safe operations on PetSets and StatefulSets.
#[derive(Debug, Parser)]
#[command(name = "petctl", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: global::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the governing Service, the set and the rest from manifests
    Create(create::Args),
    /// List sets, their pets, pods and claims
    Get(get::Args),
    /// Show a set: its pets' identities, storage, revisions and events
    Describe(describe::Args),
    /// Change a set's replicas: pets come up in order and go down in reverse
    Scale(scale::Args),
    /// Change container images and replace the pets one by one, in order
    UpgradeImage(upgrade_image::Args),
    /// Grow the claims of a set's volumeClaimTemplates, then recreate the set with the bigger templates
    ResizeClaims(resize_claims::Args),
    /// Pause a set (or one pet of a PetSet): no pet is created, deleted or updated
    Pause(pause::Args),
    /// Resume a paused set (or one pet of a PetSet)
    Resume(pause::Args),
    /// Delete a set: scale to 0 in order, then delete it (claims are kept)
    Delete(delete::Args),
    /// Force-delete the pets stuck on a lost node, after checking its Lease; await their successors
    Recover(recover::Args),
    /// Delete the claims no pet of a set uses any more (asks first)
    CleanupPvcs(cleanup_pvcs::Args),
    /// Convert PetSets and older StatefulSets to apps/v1 StatefulSets
    Migrate(migrate::Args),
    /// Run the local control plane: a Kubernetes-compatible API server
    Local(local::Args),
    /// Show the kubeconfig petctl uses
    Config(config::Args),
    /// Print the client and server versions
    Version(version::Args),
    /// Print a shell completion script
    Completion(completion::Args),
}

/// The clap command, for completions and man pages, with each
/// subcommand's examples after its help.
pub fn command() -> clap::Command {
    let mut command = <Cli as clap::CommandFactory>::command();
    for &(name, text, waits) in examples::BY_COMMAND {
        command = command.mut_subcommand(name, |sub| {
            let sub = sub.after_help(text);
            if waits {
                sub.after_long_help(wait::after_long_help(text))
            } else {
                sub
            }
        });
    }
    command
}

/// The name kubectl's plugin mechanism runs petctl by: `kubectl pets`.
pub const PLUGIN: &str = "kubectl-pets";

/// How help and errors name the command: `kubectl pets` when kubectl runs
/// petctl as its plugin (a link named `kubectl-pets` on PATH), else petctl.
fn invoked_as() -> &'static str {
    let name = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_os_string()));
    if name.is_some_and(|n| n == PLUGIN) {
        "kubectl pets"
    } else {
        "petctl"
    }
}

/// Runs petctl with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(words) = complete::requested(&args) {
        // Completion is never an error the shell should show.
        let _ = complete::run(&words, &mut io::stdout().lock());
        return ExitCode::from(EXIT_OK);
    }
    let parsed = command()
        .bin_name(invoked_as())
        .try_get_matches()
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
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
    // Not locked for the whole run: the live progress display draws on
    // stderr from its own thread.
    let mut stderr = io::stderr();
    let result = run(cli, &mut stdout, &mut stderr).and_then(|()| Ok(stdout.flush()?));
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_OK),
        Err(err) => {
            report(&err, &mut stderr);
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Runs one parsed command, writing data to `out` and notices to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate(args) => migrate::run(args, out, err),
        Command::Pause(args) => pause::run(args, false, &cli.global, out, err),
        Command::Resume(args) => pause::run(args, true, &cli.global, out, err),
        Command::CleanupPvcs(args) => cleanup_pvcs::run(args, &cli.global, out, err),
        Command::Completion(args) => completion::run(args, out),
        Command::Config(args) => config::run(args, &cli.global, out, err),
        Command::Create(args) => create::run(args, &cli.global, out, err),
        Command::Delete(args) => delete::run(args, &cli.global, out, err),
        Command::Describe(args) => describe::run(args, &cli.global, out, err),
        Command::Get(args) => get::run(args, &cli.global, out, err),
        Command::Recover(args) => args.run(&cli.global, out, err),
        Command::Scale(args) => scale::run(args, &cli.global, out, err),
        Command::Version(args) => version::run(args, &cli.global, out, err),
        Command::UpgradeImage(args) => upgrade_image::run(args, &cli.global, out, err),
        Command::ResizeClaims(args) => resize_claims::run(args, &cli.global, out, err),
        Command::Local(args) => local::run(args, out),
    }
}

/// Prints the whole error chain once. A manifest error gets one `error:`
/// line per diagnostic, so each names its own file and line.
fn report(err: &anyhow::Error, stderr: &mut dyn Write) {
    if let Some(manifest) = err.downcast_ref::<crate::manifest::ManifestError>() {
        for diagnostic in &manifest.diagnostics {
            let _ = writeln!(stderr, "{} {diagnostic}", colour::error());
        }
        return;
    }
    let _ = writeln!(stderr, "{} {err:#}", colour::error());
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
