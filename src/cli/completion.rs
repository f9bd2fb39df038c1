//! `petctl completion SHELL`: print a shell completion script.

use std::io::Write;

use clap_complete::Shell;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args, out: &mut dyn Write) -> anyhow::Result<()> {
    out.write_all(&crate::cli::docs::completion_script(args.shell))?;
    Ok(())
}
