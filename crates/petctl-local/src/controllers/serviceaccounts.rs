//! The service accounts controller, after `pkg/controller/serviceaccount/
//! serviceaccounts_controller.go`: every active namespace has a `default`
//! ServiceAccount, created with the namespace and again if it is deleted.

use serde_json::{json, Value};

use super::cache::{Cache, Key};
use super::namespace::{ensure_created, is_active, keeper_keys};
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;

/// The accounts kube-controller-manager ensures (`--service-account-names`
/// is not a flag; upstream ensures just this one).
pub const DEFAULT: &str = "default";

#[derive(Default)]
pub struct ServiceAccountsController;

impl Reconciler for ServiceAccountsController {
    const NAME: &'static str = "serviceaccount-controller";

    const KINDS: &'static [&'static str] = &["Namespace", "ServiceAccount"];
    const PRIMARY: &'static [&'static str] = &["Namespace"];

    fn keys_for(&self, _cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        keeper_keys(kind, object, ("ServiceAccount", DEFAULT))
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        if !is_active(&ctx.cache, &key.name) {
            return Ok(Next::Done);
        }
        if ctx
            .cache
            .get(&Key::new("ServiceAccount", &key.name, DEFAULT))
            .is_some()
        {
            return Ok(Next::Done);
        }
        let account = json!({"metadata": {"name": DEFAULT}});
        ensure_created(ctx, "ServiceAccount", &key.name, account)
    }
}
