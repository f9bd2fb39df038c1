//! The local control plane: a Kubernetes-compatible API server with its own
//! CA, a durable store and per-kind registries, run by `petctl local up`.

pub mod controllers;
pub mod pki;
pub mod registry;
pub mod server;
pub mod state;
pub mod store;
