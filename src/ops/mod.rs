//! Orchestration: finding sets, gathering their pets, and (later) the
//! ordered operations. Options in, outcome out, progress through a sink; no
//! clap, no printing.

pub mod access;
pub mod cleanup;
pub mod conflict;
pub mod create;
pub mod create_retry;
pub mod delete;
pub mod describe;
pub mod events;
pub mod hooks;
pub mod lease;
pub mod pause;
pub mod pets;
pub mod progress;
pub mod recover;
pub mod resize;
pub mod retention;
pub mod scale;
pub mod sets;
pub mod upgrade;
pub mod wait;
