//! Asking before something that cannot be undone: on a terminal, a y/N
//! question; elsewhere, only `--yes` proceeds.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::InvalidInput;

/// Whether to go ahead. Without a terminal and without `--yes`, refuses
/// with a message saying to pass `--yes`.
pub fn confirm(question: &str, yes: bool, err: &mut dyn Write) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(InvalidInput(format!(
            "{question}: standard input is not a terminal, so pass --yes to confirm"
        ))
        .into());
    }
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
