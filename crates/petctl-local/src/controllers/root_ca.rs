//! The root CA publisher, after `pkg/controller/certificates/
//! rootcacertpublisher/publisher.go`: every namespace has a
//! `kube-root-ca.crt` ConfigMap holding the server's CA under `ca.crt`,
//! created with the namespace, put back if changed and re-created if deleted.

use serde_json::{json, Value};

use super::keeper::Kept;
use crate::registry::meta;

pub const CONFIG_MAP: &str = "kube-root-ca.crt";
const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver \
     when using internal endpoints such as the internal service IP or kubernetes.default.svc. \
     No other usage is guaranteed across distributions of Kubernetes clusters.";

pub struct RootCaPublisher {
    /// The CA certificate, PEM.
    root_ca: String,
}

impl RootCaPublisher {
    pub fn new(root_ca: String) -> Self {
        RootCaPublisher { root_ca }
    }

    fn data(&self) -> Value {
        json!({"ca.crt": self.root_ca})
    }
}

impl Kept for RootCaPublisher {
    const CONTROLLER: &'static str = "root-ca-cert-publisher";
    const KEPT: (&'static str, &'static str) = ("ConfigMap", CONFIG_MAP);

    fn wanted(&self) -> Value {
        json!({
            "metadata": {
                "name": CONFIG_MAP,
                "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
            },
            "data": self.data(),
        })
    }

    /// The ConfigMap as it should be, keeping whatever else it carries.
    fn corrected(&self, current: &Value) -> Option<Value> {
        let described = !meta::str_at(
            current,
            &format!(
                "/metadata/annotations/{}",
                DESCRIPTION_ANNOTATION.replace('/', "~1")
            ),
        )
        .is_empty();
        if current.get("data") == Some(&self.data()) && described {
            return None;
        }
        let mut next = current.clone();
        next["data"] = self.data();
        let annotations = &mut next["metadata"]["annotations"];
        if !annotations.is_object() {
            *annotations = json!({});
        }
        annotations[DESCRIPTION_ANNOTATION] = json!(DESCRIPTION);
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_map_gets_the_ca_and_keeps_its_other_annotations() {
        let publisher = RootCaPublisher::new("PEM".into());
        let good = json!({"metadata": {"annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}}, "data": {"ca.crt": "PEM"}});
        assert_eq!(publisher.corrected(&good), None);
        let edited = json!({"metadata": {"resourceVersion": "7", "annotations": {"a": "b"}}, "data": {"ca.crt": "x", "extra": "y"}});
        let fixed = publisher.corrected(&edited).unwrap();
        assert_eq!(fixed["data"], json!({"ca.crt": "PEM"}));
        assert_eq!(fixed["metadata"]["annotations"]["a"], "b");
        assert_eq!(
            fixed["metadata"]["annotations"][DESCRIPTION_ANNOTATION],
            DESCRIPTION
        );
        assert_eq!(fixed["metadata"]["resourceVersion"], "7");
    }
}
