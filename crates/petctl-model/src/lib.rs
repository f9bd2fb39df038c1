//! petctl's shared vocabulary, used by both halves — the client side (cli,
//! ops, output, petctl-client) and the local control plane (petctl-local):
//! the kinds table, the API types, field paths, JSON field reads, name
//! syntax, selectors, durations, quantities and the facts read off a pod, ordinals,
//! timestamps and the one "did you mean".
//!
//! It may depend on no other petctl crate.
#![forbid(unsafe_code)]

pub mod duration;
pub mod field_path;
pub mod json;
pub mod kinds;
pub mod names;
pub mod ordinal;
pub mod pod;
pub mod quantity;
pub mod request;
pub mod selector;
pub mod suggest;
pub mod time;
pub mod types;
