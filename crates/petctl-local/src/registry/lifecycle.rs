//! Namespace lifecycle in the registry: the NamespaceLifecycle admission
//! plugin (`staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/
//! lifecycle/admission.go`: immortal namespaces, no new content in a
//! terminating one) and the namespace storage's DELETE
//! (`pkg/registry/core/namespace/storage/storage.go`): the first DELETE only
//! marks the namespace Terminating and returns it; the namespace controller
//! empties it and finalizes it, and only a finalized namespace is deleted.

use serde_json::{json, Value};

use super::error::ApiError;
use super::strategy::namespace::spec_finalizers;
use super::{meta, parse_resource_version, Deleted, Registry, Target, WriteOptions};
use crate::store::StoreError;
use petctl_model::kinds::KindInfo;

/// The namespaces NamespaceLifecycle never lets go (kube-apiserver's
/// `--immortal-namespaces` default; kube-node-lease is not one).
pub const IMMORTAL: &[&str] = &["default", "kube-system", "kube-public"];
/// `v1.NamespaceTerminatingCause`.
pub const TERMINATING_CAUSE: &str = "NamespaceTerminating";

/// Whether new content is refused: the plugin looks at the phase; a
/// namespace marked for deletion is Terminating from the same write.
pub fn is_terminating(namespace: &Value) -> bool {
    meta::str_at(namespace, "/status/phase") == "Terminating" || meta::is_deleting(namespace)
}

/// The 403 for a create in a terminating namespace, with the cause
/// controllers look for (`HasStatusCause(err, NamespaceTerminatingCause)`).
pub fn terminating(kind: &KindInfo, name: &str, namespace: &str) -> ApiError {
    let why = format!(
        "unable to create new content in namespace {namespace} because it is being terminated"
    );
    let mut err = ApiError::forbidden(kind, name, &why);
    if let Some(details) = err.details.as_deref_mut().and_then(Value::as_object_mut) {
        details.insert(
            "causes".into(),
            json!([{
                "reason": TERMINATING_CAUSE,
                "message": format!("namespace {namespace} is being terminated"),
                "field": "metadata.namespace",
            }]),
        );
    }
    err
}

/// Whether a create failed because its namespace is being terminated.
pub fn is_terminating_error(err: &ApiError) -> bool {
    err.details
        .as_deref()
        .and_then(|d| d.get("causes"))
        .and_then(Value::as_array)
        .is_some_and(|causes| {
            causes
                .iter()
                .any(|c| c.get("reason").and_then(Value::as_str) == Some(TERMINATING_CAUSE))
        })
}

/// What a DELETE of a namespace comes to, once its preconditions held.
pub(super) enum NamespaceDelete {
    /// Answered here: marked Terminating, or still waiting for finalizers.
    Done(Deleted),
    /// Another write got in between; the delete is tried again.
    Raced,
    /// Finalized: deleted like any object (metadata finalizers still hold it).
    Proceed,
}

impl Registry {
    /// The namespace part of a DELETE; any other kind proceeds.
    pub(super) fn delete_namespace(
        &self,
        target: &Target,
        current: &Value,
        write: WriteOptions,
    ) -> Result<NamespaceDelete, ApiError> {
        if target.kind.kind != "Namespace" {
            return Ok(NamespaceDelete::Proceed);
        }
        if IMMORTAL.contains(&target.name.as_str()) {
            return Err(ApiError::forbidden(
                target.kind,
                &target.name,
                "this namespace may not be deleted",
            ));
        }
        if meta::is_deleting(current) {
            return Ok(if spec_finalizers(current).is_empty() {
                NamespaceDelete::Proceed
            } else {
                NamespaceDelete::Done(Deleted::Pending(current.clone()))
            });
        }
        let mut marked = current.clone();
        if let Some(meta) = meta::metadata_mut(&mut marked) {
            meta.insert("deletionTimestamp".into(), json!(meta::now()));
        }
        if let Some(map) = marked.as_object_mut() {
            let status = map.entry("status").or_insert_with(|| json!({}));
            if let Some(status) = status.as_object_mut() {
                status.insert("phase".into(), json!("Terminating"));
            }
        }
        if write.dry_run {
            return Ok(NamespaceDelete::Done(Deleted::Pending(marked)));
        }
        let expected = parse_resource_version(meta::resource_version(current)).ok();
        match self.store.update(&target.key(), marked, expected) {
            Ok(stored) => Ok(NamespaceDelete::Done(Deleted::Pending(stored))),
            Err(StoreError::Conflict { .. }) => Ok(NamespaceDelete::Raced),
            Err(err) => Err(super::store_error(target, err)),
        }
    }

    /// NamespaceLifecycle on create: the namespace must exist and not be
    /// terminating.
    pub(super) fn admit_in_namespace(
        &self,
        kind: &KindInfo,
        namespace: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        if !kind.namespaced {
            return Ok(());
        }
        let Some(namespaces) = petctl_model::kinds::by_name("namespaces") else {
            return Ok(());
        };
        let target = Target {
            kind: namespaces,
            namespace: String::new(),
            name: namespace.to_string(),
        };
        match self.read(&target)? {
            None => Err(ApiError::namespace_not_found(namespace)),
            Some(ns) if is_terminating(&ns) => Err(terminating(kind, name, namespace)),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    #[test]
    fn the_terminating_refusal_is_upstreams() {
        let err = terminating(by_name("pods").unwrap(), "web-0", "shop");
        assert_eq!(err.code, 403);
        assert_eq!(
            err.message,
            "pods \"web-0\" is forbidden: unable to create new content in namespace shop because it is being terminated"
        );
        assert!(is_terminating_error(&err));
        assert_eq!(
            err.details.as_deref().unwrap()["causes"][0],
            json!({"reason": "NamespaceTerminating", "message": "namespace shop is being terminated", "field": "metadata.namespace"})
        );
        assert!(!is_terminating_error(&ApiError::forbidden(
            by_name("pods").unwrap(),
            "x",
            "no"
        )));
    }
}
