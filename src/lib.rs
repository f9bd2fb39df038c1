//! petctl: a kubectl-style tool for sets of stateful pods with stable identities
//! (PetSets, apps/v1alpha1, and their successors, StatefulSets, apps/v1).
//!
//! This package is the client's top: `cli` (arguments to options to an
//! operation to output), `ops` (the orchestration) and `output` (rendering).
//! The rest lives in the workspace's crates, re-exported here under their old
//! module names: petctl-model, petctl-manifest, petctl-client and
//! petctl-local (docs/architecture.md).
#![forbid(unsafe_code)]

pub mod cli;
pub mod error;
pub mod ops;
pub mod output;

pub use petctl_client as client;
pub use petctl_local as local;
pub use petctl_manifest as manifest;
pub use petctl_manifest::{schema, validation};
pub use petctl_model::{duration, field_path, json, kinds, pod, selector, types};
