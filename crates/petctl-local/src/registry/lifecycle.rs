//! Namespace lifecycle in the registry: the NamespaceLifecycle admission
//! plugin (`staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/
//! lifecycle/admission.go`: immortal namespaces, no new content in a
//! terminating one) and the namespace storage's DELETE
//! (`pkg/registry/core/namespace/storage/storage.go`): the first DELETE only
//! marks the namespace Terminating, adds the `orphan` or
//! `foregroundDeletion` metadata finalizer its options ask for, and returns
//! it; the namespace controller empties it and finalizes it, and only a
//! namespace without spec or metadata finalizers is deleted.

use serde_json::{json, Value};

use super::error::ApiError;
use super::strategy::namespace::spec_finalizers;
use super::{
    meta, parse_resource_version, DeleteOptions, Deleted, PropagationPolicy, Registry, Target,
    WriteOptions,
};
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

/// The metadata finalizer that has the garbage collector orphan dependents.
pub const ORPHAN: &str = "orphan";
/// The metadata finalizer that has it delete dependents first.
pub const FOREGROUND: &str = "foregroundDeletion";

/// The metadata finalizers of a namespace marked for deletion: the first
/// DELETE adds `orphan` or `foregroundDeletion` as its options ask and
/// drops the other (`shouldHaveOrphanFinalizer`,
/// `shouldHaveDeleteDependentsFinalizer` in storage.go: `orphanDependents`
/// wins over `propagationPolicy`; neither keeps what is there). A namespace
/// has no default of its own: without options nothing is added.
pub fn deletion_finalizers(current: &[String], options: &DeleteOptions) -> Vec<String> {
    let has = |f: &str| current.iter().any(|c| c == f);
    let (orphan, foreground) = match (options.orphan_dependents, options.propagation_policy) {
        (Some(orphan), _) => (orphan, !orphan),
        (None, Some(policy)) => (
            policy == PropagationPolicy::Orphan,
            policy == PropagationPolicy::Foreground,
        ),
        (None, None) => (has(ORPHAN), has(FOREGROUND)),
    };
    let mut finalizers: Vec<String> = current
        .iter()
        .filter(|f| (f.as_str() != ORPHAN || orphan) && (f.as_str() != FOREGROUND || foreground))
        .cloned()
        .collect();
    for (wanted, name) in [(orphan, ORPHAN), (foreground, FOREGROUND)] {
        if wanted && !has(name) {
            finalizers.push(name.to_string());
        }
    }
    finalizers
}

/// Whether `dependent` holds its owner `uid` in foreground deletion: its
/// reference says `blockOwnerDeletion: true`.
fn blocks_deletion_of(dependent: &Value, uid: &str) -> bool {
    dependent
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                r.get("uid").and_then(Value::as_str) == Some(uid)
                    && r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true)
            })
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
        options: &DeleteOptions,
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
        let finalizers = deletion_finalizers(&meta::finalizers(current), options);
        if let Some(meta) = meta::metadata_mut(&mut marked) {
            meta.insert("deletionTimestamp".into(), json!(meta::now()));
            if finalizers != meta::finalizers(current) {
                meta.insert("finalizers".into(), json!(finalizers));
            }
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

    /// The garbage collector's part in a namespace's deletion
    /// (`attemptToOrphan`, `processDeletingDependentsItem` in
    /// pkg/controller/garbagecollector/garbagecollector.go) for the objects
    /// whose ownerReferences name it, in any namespace: `orphan` drops those
    /// references, `foregroundDeletion` deletes the objects and holds until
    /// none that blocks its owner's deletion is left. Returns the metadata
    /// finalizers the namespace keeps, and whether it waits for dependents.
    pub fn release_namespace_dependents(
        &self,
        namespace: &Value,
    ) -> Result<(Vec<String>, bool), ApiError> {
        let mut finalizers = meta::finalizers(namespace);
        let has = |finalizers: &[String], f: &str| finalizers.iter().any(|c| c == f);
        if !has(&finalizers, ORPHAN) && !has(&finalizers, FOREGROUND) {
            return Ok((finalizers, false));
        }
        let uid = meta::uid(namespace);
        let dependents = self.dependents(namespace)?;
        if has(&finalizers, ORPHAN) {
            self.orphan(&dependents, uid)?;
            finalizers.retain(|f| f != ORPHAN);
            return Ok((finalizers, false));
        }
        let undeleted: Vec<_> = dependents
            .into_iter()
            .filter(|(_, o)| !meta::is_deleting(o))
            .collect();
        self.delete_dependents(&undeleted)?;
        let blocked = self
            .dependents(namespace)?
            .iter()
            .any(|(_, o)| blocks_deletion_of(o, uid));
        if !blocked {
            finalizers.retain(|f| f != FOREGROUND);
        }
        Ok((finalizers, blocked))
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
    fn deletion_options_choose_the_metadata_finalizers() {
        let options = |orphan: Option<bool>, policy: Option<PropagationPolicy>| DeleteOptions {
            orphan_dependents: orphan,
            propagation_policy: policy,
            ..DeleteOptions::default()
        };
        let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mine = list(&["example.com/x"]);
        for (current, given, want) in [
            (&mine, options(None, None), list(&["example.com/x"])),
            (
                &mine,
                options(None, Some(PropagationPolicy::Orphan)),
                list(&["example.com/x", ORPHAN]),
            ),
            (
                &mine,
                options(None, Some(PropagationPolicy::Foreground)),
                list(&["example.com/x", FOREGROUND]),
            ),
            (
                &mine,
                options(Some(false), Some(PropagationPolicy::Orphan)),
                list(&["example.com/x", FOREGROUND]),
            ),
            (
                &list(&[ORPHAN, "example.com/x"]),
                options(None, Some(PropagationPolicy::Background)),
                list(&["example.com/x"]),
            ),
            (
                &list(&[FOREGROUND]),
                options(None, None),
                list(&[FOREGROUND]),
            ),
            (
                &list(&[FOREGROUND]),
                options(Some(true), None),
                list(&[ORPHAN]),
            ),
        ] {
            assert_eq!(deletion_finalizers(current, &given), want, "{given:?}");
        }
    }

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
