//! The client side: kubeconfig and auth, transport, requests, watches and
//! discovery, against any Kubernetes API server.
//!
//! The only petctl crate that depends on reqwest; it depends on petctl-model
//! and never on petctl-manifest or petctl-local.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod discovery;
pub mod error;
pub mod kubeconfig;
pub mod request;
pub mod tls;
pub mod transport;
pub mod watch;

pub use api::{Api, Written};
pub use error::Error;
pub use transport::{Client, ClientOptions, Response};
