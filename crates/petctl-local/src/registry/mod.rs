//! The registry: the only writer to the store. Every create, update, patch
//! and delete goes through a per-kind strategy (defaults, server-owned
//! metadata, status/spec split, immutable fields, validation), so REST
//! writes and the controllers' writes get the same treatment.

pub mod admission;
mod allocation;
pub mod apply;
mod deletion;
pub mod error;
pub mod eviction;
pub mod lifecycle;
pub mod meta;
mod paging;
pub mod patch;
pub mod scale;
pub mod storage_admission;
pub mod strategy;
mod together;
pub mod token;
mod validate;
mod verbs;
mod write;

use std::sync::Arc;

use serde_json::{json, Value};

use self::error::ApiError;
use super::store::{ObjectKey, Revision, Store, StoreError};
use petctl_model::kinds::{self, KindInfo};

pub use self::paging::{Items, ItemsJson};
pub use self::together::{Intent, Submitted};
pub use self::validate::FieldValidation;

/// What a write request asked for besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// `dryRun=All`: everything but the write to the store.
    pub dry_run: bool,
    pub field_validation: FieldValidation,
    /// Who writes, for `metadata.managedFields`.
    pub manager: apply::FieldManager,
}

/// The stored (or, for a dry run, would-be stored) object and the warnings
/// for the `Warning` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// DeleteOptions are the model's, the very type the client sends.
pub use petctl_model::request::{DeleteOptions, Preconditions, PropagationPolicy};

/// What a delete did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Value),
    /// The object is marked for deletion and stays until its finalizers are
    /// removed or its grace period ends.
    Pending(Value),
}

/// One object addressed by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static KindInfo,
    /// "" for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
}

impl Target {
    fn key(&self) -> ObjectKey {
        key(self.kind, &self.namespace, &self.name)
    }
}

fn key(kind: &KindInfo, namespace: &str, name: &str) -> ObjectKey {
    ObjectKey {
        group: kind.group.to_string(),
        resource: kind.plural.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

/// One page of a list: its objects decoded, or as [`ItemsJson`].
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T = Vec<Value>> {
    pub items: T,
    pub revision: Revision,
    /// The token for the next page, if there is one.
    pub next: Option<String>,
    pub remaining: usize,
}

/// How often a write without a resourceVersion is retried when a concurrent
/// write got in between its read and its write.
const UNCONDITIONAL_RETRIES: usize = 8;

pub struct Registry {
    store: Arc<Store>,
}

fn store_error(target: &Target, err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found(target.kind, &target.name),
        StoreError::AlreadyExists => ApiError::already_exists(target.kind, &target.name),
        StoreError::Conflict { .. } => ApiError::modified(target.kind, &target.name),
        StoreError::Compacted { oldest } => ApiError::gone(format!(
            "too old resource version (oldest kept is {oldest})"
        )),
        StoreError::Backend(message) => ApiError::internal(message),
    }
}

/// Parses a resourceVersion as sent by a client.
pub fn parse_resource_version(rv: &str) -> Result<Revision, ApiError> {
    rv.parse::<Revision>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))
}

impl Registry {
    pub fn new(store: Arc<Store>) -> Self {
        Registry { store }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Creates the namespaces that exist from the start.
    pub fn bootstrap(&self) -> Result<(), ApiError> {
        let Some(namespaces) = kinds::by_name("namespaces") else {
            return Ok(());
        };
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let target = Target {
                kind: namespaces,
                namespace: String::new(),
                name: name.to_string(),
            };
            if self.read(&target)?.is_none() {
                let body =
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
                // Created by kube-apiserver's own bootstrap controller, whose
                // loopback client's agent names the manager.
                let options = WriteOptions {
                    manager: apply::FieldManager {
                        user_agent: Some("kube-apiserver".into()),
                        ..apply::FieldManager::default()
                    },
                    ..WriteOptions::default()
                };
                match self.create(namespaces, "", body, options) {
                    Ok(_) => {}
                    Err(err) if err.reason == "AlreadyExists" => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(())
    }

    fn read(&self, target: &Target) -> Result<Option<Value>, ApiError> {
        self.store
            .get(&target.key())
            .map_err(|e| store_error(target, e))
    }

    pub fn get(&self, target: &Target) -> Result<Value, ApiError> {
        self.read(target)?
            .ok_or_else(|| ApiError::not_found(target.kind, &target.name))
    }

    /// [`Registry::get`], shared with the caches that hold that version
    /// instead of decoded anew (what an update reads).
    pub fn get_shared(&self, target: &Target) -> Result<Arc<Value>, ApiError> {
        self.store
            .get_shared(&target.key())
            .map_err(|e| store_error(target, e))?
            .ok_or_else(|| ApiError::not_found(target.kind, &target.name))
    }

    /// [`Registry::get`] as the stored JSON, which is what encoding the
    /// decoded object gives (server/list.rs tests): a GET costs no decode.
    pub fn get_json(&self, target: &Target) -> Result<Vec<u8>, ApiError> {
        self.store
            .get_json(&target.key())
            .map_err(|e| store_error(target, e))?
            .ok_or_else(|| ApiError::not_found(target.kind, &target.name))
    }

    /// A subresource's view: `status` is the object itself, `scale` a Scale.
    pub fn get_subresource(&self, target: &Target, sub: &str) -> Result<Value, ApiError> {
        let object = self.get(target)?;
        match sub {
            "scale" => Ok(scale::to_scale(&object)),
            // FinalizeREST only updates.
            "finalize" => Err(ApiError::method_not_allowed()),
            _ => Ok(object),
        }
    }

    pub fn current_revision(&self) -> Revision {
        self.store.current_revision()
    }

    /// Object counts per resource, for `petctl local status`.
    pub fn counts(&self) -> Result<Vec<(String, usize)>, ApiError> {
        self.store
            .count_by_resource()
            .map_err(|e| ApiError::internal(format!("{e:?}")))
    }
}

/// The patch types the server takes (see server::body).
pub use petctl_model::request::PatchType;

#[cfg(test)]
mod write_tests;
