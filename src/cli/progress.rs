//! How progress is shown: live, one line per pet, on a terminal (indicatif);
//! timestamped lines otherwise, so logs and CI output stay readable.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::colour;
use crate::ops::progress::{Note, Progress};

/// The sink for this terminal (or pipe).
pub fn for_stderr() -> Box<dyn Progress + Send> {
    // NO_COLOR also asks for plain output: no redrawn lines either.
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Box::new(Live::new())
    } else {
        Box::new(Lines)
    }
}

/// `HH:MM:SS web-1: Ready` lines on stderr.
pub struct Lines;

impl Progress for Lines {
    fn note(&mut self, note: Note) {
        let stamp = jiff::Zoned::now().strftime("%H:%M:%S");
        let line = match note {
            Note::Pet { pet, state } => format!("{stamp} {pet}: {state}"),
            Note::Step(text) => format!("{stamp} {text}"),
            Note::Warning(text) => format!("{stamp} warning: {text}"),
        };
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// One spinner line per pet, redrawn in place; steps and warnings scroll
/// above them.
pub struct Live {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
}

impl Live {
    fn new() -> Self {
        Live {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: BTreeMap::new(),
        }
    }
}

impl Progress for Live {
    fn note(&mut self, note: Note) {
        match note {
            Note::Pet { pet, state } => {
                let bar = self.bars.entry(pet.clone()).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix:<12} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(pet);
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                });
                let shown = colour::state(&state);
                if state == "Ready" || state == "Gone" {
                    bar.finish_with_message(shown);
                } else {
                    bar.set_message(shown);
                }
            }
            Note::Step(text) => {
                let _ = self.multi.println(text);
            }
            Note::Warning(text) => {
                let _ = self.multi.println(format!("{} {text}", colour::warning()));
            }
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }
}
