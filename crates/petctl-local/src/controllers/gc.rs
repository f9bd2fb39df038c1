//! The garbage collector: deletes objects whose owners are all gone
//! (background cascading), drops references to owners that are gone while
//! others remain, and removes the foregroundDeletion finalizer of an owner
//! once its dependents are gone. Orphaning happens in the registry's delete.

use std::sync::Arc;

use serde_json::{json, Value};

use super::cache::{Cache, Key};
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions, PropagationPolicy, Target};
use petctl_model::kinds;

pub const FOREGROUND: &str = "foregroundDeletion";

/// The kinds the collector follows: everything the controllers own or create.
const KINDS: &[&str] = &[
    "StatefulSet",
    "PetSet",
    "Pod",
    "PersistentVolumeClaim",
    "ControllerRevision",
];

fn owner_refs(object: &Value) -> Vec<Value> {
    meta::list_at(object, "/metadata/ownerReferences")
}

fn owned_by(object: &Value, uid: &str) -> bool {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| meta::str_at(r, "/uid") == uid))
}

/// Objects in `owner`'s namespace that reference it.
fn dependents<'a>(
    cache: &'a Cache,
    owner: &'a Value,
) -> impl Iterator<Item = (&'static str, &'a Value)> + 'a {
    let uid = meta::uid(owner);
    KINDS.iter().flat_map(move |kind| {
        cache
            .list(kind, Some(meta::namespace(owner)))
            .filter(move |o| !uid.is_empty() && owned_by(o, uid))
            .map(move |o| (*kind, o))
    })
}

#[derive(Default)]
pub struct GarbageCollector;

impl GarbageCollector {
    /// Whether the owner an ownerReference names still exists (same uid).
    fn owner_exists(ctx: &mut Ctx, namespace: &str, reference: &Value) -> bool {
        let api_version = meta::str_at(reference, "/apiVersion");
        let kind = meta::str_at(reference, "/kind");
        let name = meta::str_at(reference, "/name");
        let uid = meta::str_at(reference, "/uid");
        let Some(info) = kinds::by_api_version(api_version, kind)
            .or_else(|| kinds::KINDS.iter().find(|k| k.kind == kind))
        else {
            // An owner of a kind this server does not serve cannot be checked.
            return true;
        };
        let namespace = if info.namespaced { namespace } else { "" };
        if ctx.cache.watches(info.kind) {
            if let Some(owner) = ctx.cache.get(&Key::new(info.kind, namespace, name)) {
                if meta::uid(owner) == uid {
                    return true;
                }
            }
        }
        let target = Target {
            kind: info,
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        match ctx.registry.get(&target) {
            Ok(owner) => meta::uid(&owner) == uid,
            Err(err) => err.code != 404,
        }
    }

    /// An owner in foreground deletion: its dependents are deleted (also
    /// those created since), and once none is left it goes.
    fn finish_foreground(ctx: &mut Ctx, key: &Key, object: &Value) -> Result<Next, ApiError> {
        let waiting: Vec<(Key, String, bool)> = dependents(&ctx.cache, object)
            .map(|(kind, o)| {
                (
                    Key::of(kind, o),
                    meta::uid(o).to_string(),
                    meta::is_deleting(o),
                )
            })
            .collect();
        if !waiting.is_empty() {
            let options = DeleteOptions {
                propagation_policy: Some(PropagationPolicy::Foreground),
                ..DeleteOptions::default()
            };
            for (dependent, uid, deleting) in waiting {
                if !deleting {
                    ctx.delete(&dependent, &uid, options.clone())?;
                }
            }
            return Ok(Next::Done);
        }
        let mut next = object.clone();
        let rest: Vec<String> = meta::finalizers(object)
            .into_iter()
            .filter(|f| f != FOREGROUND)
            .collect();
        next["metadata"]["finalizers"] = json!(rest);
        ctx.update(key.kind, next)?;
        Ok(Next::Done)
    }
}

impl Reconciler for GarbageCollector {
    const NAME: &'static str = "garbage-collector";

    const KINDS: &'static [&'static str] = KINDS;
    const PRIMARY: &'static [&'static str] = KINDS;

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        let key = Key::of(kind, object);
        // Only an owner that is gone or going concerns its dependents.
        let gone = cache.get(&key).is_none_or(meta::is_deleting);
        let mut keys = vec![key];
        if gone {
            keys.extend(dependents(cache, object).map(|(k, o)| Key::of(k, o)));
        }
        // A dependent that went away may let its foreground-deleting owner go.
        for reference in owner_refs(object) {
            let owner_kind = meta::str_at(&reference, "/kind");
            if let Some(kind) = KINDS.iter().find(|k| **k == owner_kind) {
                keys.push(Key::new(
                    kind,
                    meta::namespace(object),
                    meta::str_at(&reference, "/name"),
                ));
            }
        }
        keys
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        // Shared, not copied: the collector looks at every object written.
        let Some(object) = ctx.cache.shared(key).map(Arc::clone) else {
            return Ok(Next::Done);
        };
        if meta::is_deleting(&object) && meta::finalizers(&object).iter().any(|f| f == FOREGROUND) {
            return Self::finish_foreground(ctx, key, &object);
        }
        let references = owner_refs(&object);
        if references.is_empty() || meta::is_deleting(&object) {
            return Ok(Next::Done);
        }
        let gone: Vec<&Value> = references
            .iter()
            .filter(|r| !Self::owner_exists(ctx, &key.namespace, r))
            .collect();
        if gone.is_empty() {
            return Ok(Next::Done);
        }
        if gone.len() == references.len() {
            let options = DeleteOptions {
                propagation_policy: Some(PropagationPolicy::Background),
                ..DeleteOptions::default()
            };
            ctx.delete(key, meta::uid(&object), options)?;
            return Ok(Next::Done);
        }
        let mut next = Value::clone(&object);
        let kept: Vec<Value> = references
            .iter()
            .filter(|r| !gone.contains(r))
            .cloned()
            .collect();
        next["metadata"]["ownerReferences"] = json!(kept);
        ctx.update(key.kind, next)?;
        Ok(Next::Done)
    }
}
