//! Errors that decide the exit code: what the user gave us was wrong (2),
//! the user interrupted (130), or the operation failed (1).

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when the operation itself failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for usage errors and invalid input (arguments, manifests).
pub const EXIT_INVALID: u8 = 2;
/// Exit code after Ctrl-C: 128 + SIGINT, what a shell reports for a command
/// the signal ended, so a prompt and a running operation agree.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The user pressed Ctrl-C; the operation stopped cleanly. Exit code 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// Bad input from the user: arguments, flags or files. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl InvalidInput {
    pub fn new(message: impl Into<String>) -> Self {
        InvalidInput(message.into())
    }
}

/// The exit code for an error: 130 after Ctrl-C, 2 when anything in its
/// chain is invalid input, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<Interrupted>()) {
        return EXIT_INTERRUPTED;
    }
    let invalid = err
        .chain()
        .any(|cause| cause.is::<InvalidInput>() || cause.is::<crate::manifest::ManifestError>());
    if invalid {
        EXIT_INVALID
    } else {
        EXIT_FAILED
    }
}
