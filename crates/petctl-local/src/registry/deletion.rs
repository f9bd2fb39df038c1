//! Deletion and finalization: grace periods, preconditions, finalizers,
//! propagation to dependents (orphan, background, foreground), namespace
//! emptying and DELETE of a collection.

use serde_json::{json, Value};

use super::error::ApiError;
use super::lifecycle::NamespaceDelete;
use super::meta;
use super::strategy::Part;
use super::{
    parse_resource_version, store_error, DeleteOptions, Deleted, Page, PropagationPolicy, Registry,
    Target, WriteOptions, UNCONDITIONAL_RETRIES,
};
use crate::store::StoreError;
use petctl_model::kinds::{self, KindInfo};

impl Registry {
    /// DELETE of one object. A write that got in between the read and the
    /// delete (a controller updating the status) is not the client's
    /// conflict: the delete is retried, unless the client gave preconditions.
    pub fn delete(
        &self,
        target: &Target,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Deleted, ApiError> {
        for _ in 0..UNCONDITIONAL_RETRIES {
            match self.delete_once(target, options, write.clone()) {
                Ok(deleted) => return Ok(deleted),
                Err(Attempt::Raced) => continue,
                Err(Attempt::Failed(err)) => return Err(err),
            }
        }
        Err(ApiError::modified(target.kind, &target.name))
    }

    fn delete_once(
        &self,
        target: &Target,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Deleted, Attempt> {
        let raced = |e: StoreError| match e {
            StoreError::Conflict { .. } => Attempt::Raced,
            other => Attempt::Failed(store_error(target, other)),
        };
        let current = self.get(target)?;
        // rest.go's checkPreconditions, in its order and words.
        let checks = [
            ("UID", options.precondition_uid(), meta::uid(&current)),
            (
                "ResourceVersion",
                options.precondition_resource_version(),
                meta::resource_version(&current),
            ),
        ];
        for (field, wanted, actual) in checks {
            if let Some(wanted) = wanted.filter(|w| *w != actual) {
                return Err(Attempt::Failed(ApiError::conflict(
                    target.kind,
                    &target.name,
                    &format!(
                        "Precondition failed: {field} in precondition: {wanted}, {field} in object meta: {actual}"
                    ),
                )));
            }
        }
        match self.delete_namespace(target, &current, options, write.clone())? {
            NamespaceDelete::Done(deleted) => return Ok(deleted),
            NamespaceDelete::Raced => return Err(Attempt::Raced),
            NamespaceDelete::Proceed => {}
        }
        let expected = parse_resource_version(meta::resource_version(&current)).ok();
        let mut finalizers = meta::finalizers(&current);
        let dependents = if options.propagation() == PropagationPolicy::Background {
            Vec::new()
        } else {
            self.dependents(&current)?
        };
        if options.propagation() == PropagationPolicy::Foreground
            && !dependents.is_empty()
            && !finalizers.iter().any(|f| f == "foregroundDeletion")
        {
            finalizers.push("foregroundDeletion".to_string());
        }
        let grace = self.grace_period(target.kind, &current, options);
        if !finalizers.is_empty() || grace > 0 {
            let mut marked = current.clone();
            if let Some(meta) = meta::metadata_mut(&mut marked) {
                let already = meta.get("deletionTimestamp").is_some_and(|v| !v.is_null());
                let shorter = meta
                    .get("deletionGracePeriodSeconds")
                    .and_then(Value::as_i64)
                    .is_none_or(|old| grace < old);
                if !already || shorter {
                    let when = std::time::SystemTime::now()
                        + std::time::Duration::from_secs(grace.max(0) as u64);
                    meta.insert("deletionTimestamp".into(), json!(meta::rfc3339(when)));
                    meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
                }
                meta.insert("finalizers".into(), json!(finalizers));
            }
            if write.dry_run {
                return Ok(Deleted::Pending(marked));
            }
            let stored = self
                .store
                .update(&target.key(), marked, expected)
                .map_err(raced)?;
            if options.propagation() == PropagationPolicy::Foreground {
                self.delete_dependents(&dependents)?;
            }
            return Ok(Deleted::Pending(stored));
        }
        if write.dry_run {
            return Ok(Deleted::Gone(current));
        }
        match options.propagation() {
            PropagationPolicy::Orphan if !dependents.is_empty() => {
                // Mark the owner as being deleted first, as the orphan
                // finalizer does in kube-apiserver: a controller that sees
                // its freed pods must not adopt them back meanwhile.
                let mut marked = current.clone();
                if let Some(meta) = meta::metadata_mut(&mut marked) {
                    meta.insert(
                        "deletionTimestamp".into(),
                        json!(meta::rfc3339(std::time::SystemTime::now())),
                    );
                    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                    meta.insert("finalizers".into(), json!(["orphan"]));
                }
                let marked = self
                    .store
                    .update(&target.key(), marked, expected)
                    .map_err(raced)?;
                self.orphan(&dependents, meta::uid(&current))?;
                let expected = parse_resource_version(meta::resource_version(&marked)).ok();
                let gone = self.store.delete(&target.key(), expected).map_err(raced)?;
                return Ok(Deleted::Gone(gone));
            }
            PropagationPolicy::Orphan => {}
            PropagationPolicy::Foreground => self.delete_dependents(&dependents)?,
            PropagationPolicy::Background => {}
        }
        let gone = self.store.delete(&target.key(), expected).map_err(raced)?;
        Ok(Deleted::Gone(gone))
    }

    /// The grace period of a delete: only pods have one. A pod that was
    /// never scheduled or has finished goes at once, as in kube-apiserver.
    fn grace_period(&self, kind: &KindInfo, object: &Value, options: &DeleteOptions) -> i64 {
        if kind.kind != "Pod" {
            return 0;
        }
        let unscheduled = meta::str_at(object, "/spec/nodeName").is_empty();
        let finished = matches!(
            meta::str_at(object, "/status/phase"),
            "Succeeded" | "Failed"
        );
        if unscheduled || finished {
            return 0;
        }
        // A negative grace period asked for is one second
        // (`BeforeDelete` in apiserver/pkg/registry/rest/delete.go).
        match options.grace_period_seconds {
            Some(asked) if asked < 0 => 1,
            Some(asked) => asked,
            None => object
                .pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30)
                .max(0),
        }
    }

    /// Objects in the same namespace whose ownerReferences name `owner`.
    pub(super) fn dependents(&self, owner: &Value) -> Result<Vec<(Target, Value)>, ApiError> {
        let uid = meta::uid(owner);
        let namespace = meta::namespace(owner);
        let mut found = Vec::new();
        if uid.is_empty() {
            return Ok(found);
        }
        for kind in kinds::KINDS.iter().filter(|k| k.namespaced) {
            let scope = (!namespace.is_empty()).then_some(namespace);
            let (items, _) = self
                .store
                .list(kind.group, kind.plural, scope)
                .map_err(|e| ApiError::internal(format!("{e:?}")))?;
            for item in items {
                let owned = item
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
                    });
                if owned {
                    let target = Target {
                        kind,
                        namespace: meta::namespace(&item).to_string(),
                        name: meta::name(&item).to_string(),
                    };
                    found.push((target, item));
                }
            }
        }
        Ok(found)
    }

    pub(super) fn orphan(
        &self,
        dependents: &[(Target, Value)],
        owner_uid: &str,
    ) -> Result<(), ApiError> {
        for (target, _) in dependents {
            let result = self.write(target, Part::Main, WriteOptions::default(), |current| {
                let mut next = current.clone();
                if let Some(refs) = next
                    .pointer_mut("/metadata/ownerReferences")
                    .and_then(Value::as_array_mut)
                {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
                }
                if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("resourceVersion");
                    // An empty list is omitted, as Go's omitempty does.
                    if meta
                        .get("ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
                    {
                        meta.remove("ownerReferences");
                    }
                }
                Ok((next, Vec::new()))
            });
            match result {
                Ok(_) => {}
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    pub(super) fn delete_dependents(&self, dependents: &[(Target, Value)]) -> Result<(), ApiError> {
        let options = DeleteOptions {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..DeleteOptions::default()
        };
        for (target, _) in dependents {
            match self.delete(target, &options, WriteOptions::default()) {
                Ok(_) => {}
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// DELETE of a collection: every object of the page that matches.
    pub fn delete_collection(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        matches: &dyn Fn(&Value) -> bool,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Page, ApiError> {
        let page = self.list(kind, namespace, matches, None, None)?;
        let mut deleted = Vec::new();
        for item in &page.items {
            let target = Target {
                kind,
                namespace: meta::namespace(item).to_string(),
                name: meta::name(item).to_string(),
            };
            match self.delete(&target, options, write.clone()) {
                Ok(Deleted::Gone(o) | Deleted::Pending(o)) => deleted.push(o),
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(Page {
            items: deleted,
            revision: self.current_revision(),
            next: None,
            remaining: 0,
        })
    }
}

/// One try of a delete: it failed, or lost a race and is tried again.
enum Attempt {
    Raced,
    Failed(ApiError),
}

impl From<ApiError> for Attempt {
    fn from(err: ApiError) -> Self {
        Attempt::Failed(err)
    }
}

/// A pod whose grace period is still running stays until the kubelet
/// confirms; only finalizers keep other objects.
pub(super) fn graceful_pending(object: &Value) -> bool {
    object
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|g| g > 0)
}
