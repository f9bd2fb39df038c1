//! petctl: a kubectl-style tool for sets of stateful pods with stable identities
//! (PetSets, apps/v1alpha1, and their successors, StatefulSets, apps/v1).
#![forbid(unsafe_code)]

pub mod cli;
pub mod error;
pub mod field_path;
pub mod kinds;
pub mod manifest;
pub mod types;
