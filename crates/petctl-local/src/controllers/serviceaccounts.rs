//! The service accounts controller, after `pkg/controller/serviceaccount/
//! serviceaccounts_controller.go`: every active namespace has a `default`
//! ServiceAccount, created with the namespace and again if it is deleted.

use serde_json::{json, Value};

use super::keeper::Kept;

/// The accounts kube-controller-manager ensures (`--service-account-names`
/// is not a flag; upstream ensures just this one).
pub const DEFAULT: &str = "default";

#[derive(Default)]
pub struct ServiceAccountsController;

impl Kept for ServiceAccountsController {
    const CONTROLLER: &'static str = "serviceaccount-controller";
    const KEPT: (&'static str, &'static str) = ("ServiceAccount", DEFAULT);

    fn wanted(&self) -> Value {
        json!({"metadata": {"name": DEFAULT}})
    }
}
