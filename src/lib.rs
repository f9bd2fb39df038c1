//! petctl: a kubectl-style tool for sets of stateful pods with stable identities
//! (PetSets, apps/v1alpha1, and their successors, StatefulSets, apps/v1).
#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod duration;
pub mod error;
pub mod field_path;
pub mod kinds;
pub mod local;
pub mod manifest;
pub mod ops;
pub mod output;
pub mod schema;
pub mod selector;
pub mod types;
pub mod validation;
