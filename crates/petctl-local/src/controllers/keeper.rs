//! Controllers that keep one object in every active namespace, as
//! `serviceaccounts_controller.go` and the root CA `publisher.go` do: it is
//! created with the namespace, re-created if deleted and, where the keeper
//! says how, put back if changed.

use serde_json::Value;

use super::cache::{Cache, Key};
use super::namespace::{ensure_created, is_active, keeper_keys};
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;

/// What a keeper keeps; every `Kept` is a controller.
pub trait Kept: Send + 'static {
    /// The controller's name.
    const CONTROLLER: &'static str;
    /// The kind and the name of the object kept in every namespace.
    const KEPT: (&'static str, &'static str);
    /// The object to create.
    fn wanted(&self) -> Value;
    /// `current` put right, or None when it is as it should be.
    fn corrected(&self, _current: &Value) -> Option<Value> {
        None
    }
}

impl<K: Kept> Reconciler for K {
    const NAME: &'static str = K::CONTROLLER;
    const KINDS: &'static [&'static str] = &["Namespace", K::KEPT.0];
    const PRIMARY: &'static [&'static str] = &["Namespace"];

    fn keys_for(&self, _cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        keeper_keys(kind, object, K::KEPT)
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let (kind, name) = K::KEPT;
        if !is_active(&ctx.cache, &key.name) {
            return Ok(Next::Done);
        }
        match ctx.cache.get(&Key::new(kind, &key.name, name)) {
            None => ensure_created(ctx, kind, &key.name, self.wanted()),
            Some(current) => {
                if let Some(next) = self.corrected(current) {
                    ctx.update(kind, next)?;
                }
                Ok(Next::Done)
            }
        }
    }
}
