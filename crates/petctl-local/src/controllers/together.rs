//! A controller's writes that do not read one another's outcome, made in
//! one commit ([`Registry::write_together`]) with the cache kept in step
//! with each, as [`Ctx::create`] and [`Ctx::update`] keep it.
//!
//! [`Registry::write_together`]: crate::registry::Registry::write_together

use std::sync::Arc;

use serde_json::Value;

use super::cache::Key;
use super::runner::{kind_info, options_for, target, typed, write_manager, Ctx};
use crate::registry::error::ApiError;
use crate::registry::{meta, Intent, Submitted};

/// A write's stored object, or why it failed.
pub type Outcome = Result<Arc<Value>, ApiError>;

/// One write of [`Ctx::write_together`].
pub enum Write {
    Create {
        kind: &'static str,
        namespace: String,
        body: Value,
    },
    /// An update of the object, or of its status, preconditioned on the
    /// object's resourceVersion.
    Update {
        kind: &'static str,
        status: bool,
        object: Value,
    },
    /// A Binding of the pod to `node`, as the scheduler posts it.
    Bind {
        namespace: String,
        name: String,
        node: String,
    },
}

/// A group's writes by kind and key, or why the group was not made (and
/// how many writes it had).
type GroupKeys = Result<Vec<(&'static str, Key)>, (ApiError, usize)>;

/// Writes submitted together, waiting for their commit.
pub struct Pending {
    /// The key whose reconcile made them, if deferred.
    by: Option<Key>,
    /// Each group's kinds and keys, or why the group was not made.
    keys: Vec<GroupKeys>,
    submitted: Submitted,
}

impl Pending {
    /// The keys of the objects written.
    fn written(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter().flatten().flatten().map(|(_, key)| key)
    }
}

impl Ctx {
    /// Makes `groups` of writes in one commit (see
    /// [`Registry::write_together`]), keeping the cache in step with each
    /// as [`Ctx::create`] and [`Ctx::update`] do; each one's outcome, by
    /// group and in order.
    ///
    /// [`Registry::write_together`]: crate::registry::Registry::write_together
    pub fn write_together(&mut self, groups: Vec<Vec<Write>>) -> Vec<Vec<Outcome>> {
        let keys = Self::keys_of(&groups);
        self.flush_writes_of(keys.iter());
        let pending = self.submit_writes(groups, None);
        self.settle_all(pending)
    }

    /// Makes `groups` of writes as [`Ctx::write_together`] does, but without
    /// waiting for their commit: the writes of many keys' reconciles then
    /// share one commit ([`Ctx::flush_writes`], which the runner calls when
    /// a pass ends), as the kubelet's status manager sends the statuses its
    /// pod workers make apart from them (pkg/kubelet/status/status_manager.go).
    /// The cache learns their outcome when they are committed; a write that
    /// fails has the reconcile that made it run again.
    pub fn defer(&mut self, groups: Vec<Vec<Write>>) {
        let keys = Self::keys_of(&groups);
        // A key written twice is written in order, the second seeing the
        // first's outcome.
        self.flush_writes_of(keys.iter());
        let pending = self.submit_writes(groups, self.reconciling.clone());
        self.deferred.push(pending);
    }

    /// How many deferred writes wait for their commit.
    pub fn deferred_len(&self) -> usize {
        self.deferred.len()
    }

    /// Whether the reconcile of `key` made deferred writes not yet committed.
    pub fn deferred_by(&self, key: &Key) -> bool {
        self.deferred.iter().any(|p| p.by.as_ref() == Some(key))
    }

    /// Waits for every deferred write and keeps the cache in step with
    /// each; the keys whose reconciles made a write that failed, with why,
    /// wait in [`Ctx::take_failed`].
    pub fn flush_writes(&mut self) {
        for pending in std::mem::take(&mut self.deferred) {
            let by = pending.by.clone();
            let written: Vec<Key> = pending.written().cloned().collect();
            let failed = self
                .settle_all(pending)
                .into_iter()
                .flatten()
                .find_map(Result::err);
            let Some(err) = failed else { continue };
            // What the cache assumed of them (a binding) is not so.
            for key in &written {
                self.refresh(key);
            }
            if let Some(by) = by.filter(|by| !self.failed.iter().any(|(key, _)| key == by)) {
                self.failed.push((by, err));
            }
        }
    }

    /// The keys whose reconciles made a deferred write that failed, with why.
    pub fn take_failed(&mut self) -> Vec<(Key, ApiError)> {
        std::mem::take(&mut self.failed)
    }

    /// Flushes the deferred writes first if one of them writes a key of
    /// `keys`, so that a controller's writes of one object stay in order.
    pub(super) fn flush_writes_of<'k>(&mut self, mut keys: impl Iterator<Item = &'k Key>) {
        if keys.any(|key| self.deferred.iter().any(|p| p.written().any(|k| k == key))) {
            self.flush_writes();
        }
    }

    fn keys_of(groups: &[Vec<Write>]) -> Vec<Key> {
        groups.iter().flatten().map(Write::key).collect()
    }

    fn submit_writes(&mut self, groups: Vec<Vec<Write>>, by: Option<Key>) -> Pending {
        let mut keys = Vec::with_capacity(groups.len());
        let mut intents = Vec::with_capacity(groups.len());
        for group in groups {
            let size = group.len();
            let made: Result<Vec<_>, _> = group.into_iter().map(|w| self.intent(w)).collect();
            match made {
                Ok(made) => {
                    let (written, group): (Vec<_>, Vec<_>) = made
                        .into_iter()
                        .map(|(kind, key, intent)| ((kind, key), intent))
                        .unzip();
                    keys.push(Ok(written));
                    intents.push(group);
                }
                Err(err) => keys.push(Err((err, size))),
            }
        }
        Pending {
            by,
            keys,
            submitted: self.registry.submit_together(intents),
        }
    }

    fn settle_all(&mut self, pending: Pending) -> Vec<Vec<Outcome>> {
        let Pending {
            keys, submitted, ..
        } = pending;
        let mut outcomes = self.registry.finish(submitted).into_iter();
        keys.into_iter()
            .map(|written| match written {
                Err((err, size)) => vec![Err(err); size],
                Ok(written) => {
                    let mut group = outcomes.next().unwrap_or_default().into_iter();
                    written
                        .into_iter()
                        .map(|(kind, key)| {
                            let outcome = group.next().unwrap_or_else(|| {
                                Err(ApiError::internal("a write has no outcome"))
                            });
                            self.settle(kind, &key, outcome)
                        })
                        .collect()
                }
            })
            .collect()
    }

    fn intent(&self, write: Write) -> Result<(&'static str, Key, Intent), ApiError> {
        let (kind, key) = (write.kind(), write.key());
        let intent = match write {
            Write::Create {
                kind,
                namespace,
                body,
            } => {
                let info = kind_info(kind)?;
                let options = self.create_options(kind, &body);
                Intent::Create {
                    kind: info,
                    namespace,
                    body: typed(info, body),
                    options,
                }
            }
            Write::Update {
                kind,
                status,
                object,
            } => Intent::Replace {
                target: target(kind_info(kind)?, &key.namespace, &key.name),
                status,
                options: options_for(write_manager(kind, &object, self.manager)),
                body: object,
            },
            Write::Bind { node, .. } => Intent::Bind {
                target: target(kind_info(kind)?, &key.namespace, &key.name),
                node,
            },
        };
        Ok((kind, key, intent))
    }
}

impl Write {
    fn kind(&self) -> &'static str {
        match self {
            Write::Create { kind, .. } | Write::Update { kind, .. } => kind,
            Write::Bind { .. } => "Pod",
        }
    }

    /// The key of the object written.
    fn key(&self) -> Key {
        match self {
            Write::Create {
                kind,
                namespace,
                body,
            } => Key::new(kind, namespace, meta::name(body)),
            Write::Update { kind, object, .. } => Key::of(kind, object),
            Write::Bind {
                namespace, name, ..
            } => Key::new("Pod", namespace, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controllers::cache::Cache;
    use crate::controllers::event_sink::EventSink;
    use crate::registry::{DeleteOptions, Registry};
    use crate::store::Store;

    fn data(object: &Value) -> &str {
        object["data"]["k"].as_str().unwrap_or("")
    }

    #[test]
    fn deferred_writes_wait_for_the_flush_and_a_failed_one_names_its_reconcile() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::new(
            Store::open(&dir.path().join("s.redb")).unwrap(),
        ));
        registry.bootstrap().unwrap();
        let cache = Cache::load(&registry, &["ConfigMap"]);
        let sink = EventSink::inline(registry.clone());
        let mut ctx = Ctx::new(registry.clone(), cache, "kube-controller-manager", sink);
        let body = json!({"metadata": {"name": "a"}, "data": {"k": "1"}});
        let made = ctx.create("ConfigMap", "default", body).unwrap();
        let key = Key::of("ConfigMap", &made);
        let stored = |ctx: &Ctx| {
            let t = target(kind_info("ConfigMap").unwrap(), "default", "a");
            ctx.registry.get(&t).map(|o| data(&o).to_string())
        };
        ctx.reconciling = Some(key.clone());
        let mut next = Value::clone(&made);
        next["data"]["k"] = json!("2");
        let update = |object: &Value| {
            vec![vec![Write::Update {
                kind: "ConfigMap",
                status: false,
                object: object.clone(),
            }]]
        };
        ctx.defer(update(&next));
        // Nothing of it is seen before the flush, in the store or the cache.
        assert_eq!(stored(&ctx).unwrap(), "1");
        assert_eq!(data(ctx.cache.get(&key).unwrap()), "1");
        assert!(ctx.deferred_by(&key));
        ctx.flush_writes();
        assert_eq!(stored(&ctx).unwrap(), "2");
        assert_eq!(data(ctx.cache.get(&key).unwrap()), "2");
        assert!(ctx.take_failed().is_empty());
        // Stale now: the conflict names the reconcile that made it.
        ctx.defer(update(&next));
        ctx.flush_writes();
        let failed = ctx.take_failed();
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!((&failed[0].0, failed[0].1.code), (&key, 409));
        // A write of another key leaves a deferred one to the flush (its
        // commit takes the deferred write along, the cache learns of it at
        // the flush); a write of its key flushes it first, so the
        // controller's writes of one object stay in order.
        let current = ctx.cache.shared(&key).cloned().unwrap();
        let mut next = Value::clone(&current);
        next["data"]["k"] = json!("3");
        ctx.defer(update(&next));
        let other = json!({"metadata": {"name": "b"}, "data": {"k": "1"}});
        ctx.create("ConfigMap", "default", other).unwrap();
        assert_eq!(ctx.deferred_len(), 1);
        assert_eq!(data(ctx.cache.get(&key).unwrap()), "2");
        let uid = meta::uid(&current).to_string();
        let gone = ctx.delete(&key, &uid, DeleteOptions::default()).unwrap();
        assert!(gone.is_none());
        assert_eq!(ctx.deferred_len(), 0);
        assert!(ctx.take_failed().is_empty(), "the update went first");
        assert_eq!(stored(&ctx).unwrap_err().code, 404);
    }
}
