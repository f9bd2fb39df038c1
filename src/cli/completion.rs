//! `petctl completion SHELL`: print a shell completion script. bash, zsh
//! and fish get scripts that ask `petctl __complete` for every word (names
//! come from the cluster); PowerShell and Elvish get clap's static ones;
//! `kubectl-plugin` prints the `kubectl_complete-pets` executable.

use std::io::Write;

use super::complete::scripts;

/// What a script is printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    /// kubectl_complete-pets, with which kubectl completes `kubectl pets`
    KubectlPlugin,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for, or kubectl-plugin
    #[arg(value_enum)]
    pub shell: Target,
}

pub fn run(args: Args, out: &mut dyn Write) -> anyhow::Result<()> {
    use clap_complete::Shell;
    let script = match args.shell {
        Target::Bash => script(Shell::Bash),
        Target::Zsh => script(Shell::Zsh),
        Target::Fish => script(Shell::Fish),
        Target::Powershell => script(Shell::PowerShell),
        Target::Elvish => script(Shell::Elvish),
        Target::KubectlPlugin => scripts::KUBECTL_PLUGIN.as_bytes().to_vec(),
    };
    out.write_all(&script)?;
    Ok(())
}

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    use clap_complete::Shell;
    match shell {
        Shell::Bash => scripts::BASH.into(),
        Shell::Zsh => scripts::ZSH.into(),
        Shell::Fish => scripts::FISH.into(),
        other => {
            let mut buf = Vec::new();
            clap_complete::generate(other, &mut super::command(), "petctl", &mut buf);
            buf
        }
    }
}
