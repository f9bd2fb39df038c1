//! Generated documentation: shell completion scripts and man pages, both made
//! from the clap definitions. Copies are committed under `completions/` and
//! `docs/man/`; a test fails when they are stale.

use clap_complete::Shell;

/// Every shell petctl ships a completion script for, with its file name.
pub const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "petctl.bash"),
    (Shell::Zsh, "_petctl"),
    (Shell::Fish, "petctl.fish"),
    (Shell::PowerShell, "_petctl.ps1"),
    (Shell::Elvish, "petctl.elv"),
];

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    super::completion::script(shell)
}

/// One man page per command and subcommand: `(file name, roff text)`.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let mut cmd = super::command();
    cmd.build();
    collect_pages(&cmd, "petctl", &mut pages)?;
    Ok(pages)
}

fn collect_pages(
    cmd: &clap::Command,
    name: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let page = cmd.clone().name(name.to_string());
    clap_mangen::Man::new(page).render(&mut buf)?;
    pages.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        collect_pages(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}
