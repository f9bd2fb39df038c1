//! Progress of an operation, reported through a sink: per pet state
//! changes and one-line notices. Operations never print; the CLI decides
//! how a sink shows them (live on a terminal, timestamped lines otherwise),
//! and tests record them.

/// One thing worth telling the user while an operation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A pet changed state: `web-1`, `Ready`.
    Pet { pet: String, state: String },
    /// A step of the operation: `deleting web-2`.
    Step(String),
    /// Something the user should know but that does not stop the operation.
    Warning(String),
}

/// Where notes go.
pub trait Progress {
    fn note(&mut self, note: Note);

    fn pet(&mut self, pet: &str, state: impl std::fmt::Display)
    where
        Self: Sized,
    {
        self.note(Note::Pet {
            pet: pet.to_string(),
            state: state.to_string(),
        });
    }

    fn step(&mut self, text: impl Into<String>)
    where
        Self: Sized,
    {
        self.note(Note::Step(text.into()));
    }
}

/// Keeps every note, for tests and for `-o json` outcomes.
#[derive(Debug, Default)]
pub struct Recorder {
    pub notes: Vec<Note>,
}

impl Progress for Recorder {
    fn note(&mut self, note: Note) {
        self.notes.push(note);
    }
}

impl<P: Progress + ?Sized> Progress for &mut P {
    fn note(&mut self, note: Note) {
        (**self).note(note);
    }
}

impl Progress for Box<dyn Progress + Send> {
    fn note(&mut self, note: Note) {
        (**self).note(note);
    }
}
