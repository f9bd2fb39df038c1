//! Colour on stderr, the way the no-color.org convention asks: only when
//! stderr is a terminal, never when `NO_COLOR` is set to anything, and not
//! on a `TERM=dumb` terminal. stdout, where data goes, is never coloured.

use std::io::IsTerminal;
use std::sync::OnceLock;

use console::Style;

/// Whether stderr gets colour in this process.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        decide(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            std::env::var("TERM").is_ok_and(|t| t == "dumb"),
        )
    })
}

fn decide(terminal: bool, no_color: bool, dumb: bool) -> bool {
    terminal && !no_color && !dumb
}

fn paint(text: &str, style: Style) -> String {
    style.force_styling(enabled()).apply_to(text).to_string()
}

/// `error:` in bold red.
pub fn error() -> String {
    format!("{}:", paint("error", Style::new().red().bold()))
}

/// `warning:` in bold yellow.
pub fn warning() -> String {
    format!("{}:", paint("warning", Style::new().yellow().bold()))
}

/// A pet's state: green once Running or Ready, red when it is failing,
/// yellow on the way.
pub fn state(state: &str) -> String {
    let style = match state {
        "Ready" | "Running" => Style::new().green(),
        "Gone" => Style::new().dim(),
        s if s.contains("BackOff") || s.contains("Err") || s.contains("Fail") => Style::new().red(),
        _ => Style::new().yellow(),
    };
    paint(state, style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_opt_out() {
        assert!(decide(true, false, false));
        assert!(!decide(false, false, false));
        assert!(!decide(true, true, false));
        assert!(!decide(true, false, true));
    }
}
