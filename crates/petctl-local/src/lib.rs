//! The local control plane: a Kubernetes-compatible API server with its own
//! CA, a durable store and per-kind registries, run by `petctl local up`.
//!
//! It depends on petctl-model and petctl-manifest (validation, schema) and
//! never on petctl-client or its HTTP client: it answers the REST API, it
//! does not call it.
#![forbid(unsafe_code)]

pub mod cluster_dns;
pub mod controllers;
pub mod dns;
mod log;
pub mod pki;
pub mod registry;
mod sandbox;
pub mod server;
pub mod state;
pub mod store;

pub use server::{Handle, LocalControlPlane, ServerConfig};
