//! Finding a set by `NAME` or `KIND/NAME` among the kinds the server serves,
//! and reading the fields petctl works with from a PetSet or a StatefulSet
//! alike.

use std::collections::BTreeMap;

use anyhow::bail;
use serde_json::Value;

use crate::client::discovery::Served;
use crate::client::request::{PatchType, WriteParams};
use crate::client::{Client, Error};
use crate::kinds::{self, KindInfo};
use crate::types::petset::INITIALIZED_ANNOTATION;

pub use super::conflict::retry_on_conflict;

/// Which set kinds a `NAME` may be.
pub fn set_kind(name: &str) -> Option<&'static KindInfo> {
    let kind = kinds::by_name(name)?;
    matches!(kind.kind, "PetSet" | "StatefulSet").then_some(kind)
}

/// A set read from the server.
#[derive(Debug, Clone)]
pub struct Set {
    pub kind: &'static KindInfo,
    pub object: Value,
}

/// Splits `statefulset/web` into its kind and name; a bare name has no kind.
pub fn split_ref(reference: &str) -> anyhow::Result<(Option<&'static KindInfo>, &str)> {
    match reference.split_once('/') {
        Some((kind, name)) => match set_kind(kind) {
            Some(k) => Ok((Some(k), name)),
            None => {
                bail!("{kind:?} is not a set kind: use petset/NAME, statefulset/NAME or sts/NAME")
            }
        },
        None => Ok((None, reference)),
    }
}

/// Finds the set `reference` names. With a bare name, whichever served kind
/// has it; when both do, the user must choose.
pub async fn find(
    client: &Client,
    served: &Served,
    namespace: &str,
    reference: &str,
) -> anyhow::Result<Set> {
    let (kind, name) = split_ref(reference)?;
    let candidates: Vec<&'static KindInfo> = match kind {
        Some(k) => vec![k],
        None => served_set_kinds(served),
    };
    // Both kinds are asked at once: on HTTP/2 the two GETs share one round trip.
    let answers = futures_util::future::join_all(
        candidates
            .iter()
            .map(|kind| async move { client.api(kind, Some(namespace)).get::<Value>(name).await }),
    )
    .await;
    let mut found = Vec::new();
    for (kind, answer) in candidates.iter().zip(answers) {
        match answer {
            Ok(object) => found.push(Set { kind, object }),
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err.into()),
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let kinds: Vec<_> = candidates.iter().map(|k| k.singular).collect();
            Err(Error::api(
                404,
                "NotFound",
                format!("{} {name:?} not found in namespace {namespace:?}", kinds.join(" or ")),
            ).into())
        }
        _ => bail!("both a petset and a statefulset are named {name:?} in namespace {namespace:?}: say which, as petset/{name} or statefulset/{name}"),
    }
}

/// The set kinds this server serves, PetSet first (the older name wins a
/// tie only in the question asked, never silently).
pub fn served_set_kinds(served: &Served) -> Vec<&'static KindInfo> {
    let mut kinds = Vec::new();
    if served.petsets() {
        kinds.extend(kinds::by_name("petset"));
    }
    if served.statefulset_version() == Some("apps/v1") {
        kinds.extend(kinds::by_name("statefulset"));
    }
    kinds
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

impl Set {
    pub fn name(&self) -> &str {
        text(&self.object, "/metadata/name").unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        text(&self.object, "/metadata/namespace").unwrap_or("default")
    }

    pub fn is_petset(&self) -> bool {
        self.kind.kind == "PetSet"
    }

    /// Desired pets; both kinds default to 1.
    pub fn replicas(&self) -> i64 {
        self.object
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    }

    /// The first ordinal (`spec.ordinals.start`, StatefulSets only).
    pub fn first_ordinal(&self) -> i64 {
        self.object
            .pointer("/spec/ordinals/start")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// The ordinals the set wants now: from its first, one per replica.
    pub fn wanted_ordinals(&self) -> std::ops::Range<i64> {
        let first = self.first_ordinal();
        first..first + self.replicas().max(0)
    }

    pub fn service_name(&self) -> &str {
        text(&self.object, "/spec/serviceName").unwrap_or("")
    }

    /// `matchLabels` of the selector, or the template's labels for a PetSet
    /// without one (the 1.4 default).
    pub fn selector_labels(&self) -> BTreeMap<String, String> {
        let from = |p: &str| -> BTreeMap<String, String> {
            self.object
                .pointer(p)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        };
        let labels = from("/spec/selector/matchLabels");
        if labels.is_empty() {
            from("/spec/template/metadata/labels")
        } else {
            labels
        }
    }

    /// The selector as a label-selector string, for lists.
    pub fn selector_string(&self) -> String {
        self.selector_labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn claim_template_names(&self) -> Vec<String> {
        self.object
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| text(t, "/metadata/name").map(str::to_string))
            .collect()
    }

    /// `name=image` of each template container.
    pub fn template_images(&self) -> Vec<(String, String)> {
        self.object
            .pointer("/spec/template/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    text(c, "/name").unwrap_or("").to_string(),
                    text(c, "/image").unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// A PetSet is paused while its template says `initialized: "false"`.
    pub fn paused(&self) -> bool {
        self.object
            .pointer("/spec/template/metadata/annotations")
            .and_then(|a| a.get(INITIALIZED_ANNOTATION))
            .and_then(Value::as_str)
            == Some("false")
    }

    /// `OnDelete` for PetSets (pets take a new template only when deleted);
    /// the StatefulSet's own strategy otherwise.
    pub fn update_strategy(&self) -> &str {
        if self.is_petset() {
            return "OnDelete";
        }
        text(&self.object, "/spec/updateStrategy/type").unwrap_or("RollingUpdate")
    }

    /// The pet name for an ordinal: `<set>-<ordinal>`.
    pub fn pet_name(&self, ordinal: i64) -> String {
        format!("{}-{ordinal}", self.name())
    }

    /// The ordinal of a pod of this set, from its name.
    pub fn ordinal_of(&self, pod_name: &str) -> Option<i64> {
        petctl_model::ordinal::of_pod(self.name(), pod_name)
    }
}

/// JSON Patch operations applied to a set, guarded by a `test` of the
/// resourceVersion it was read at: a concurrent change fails the patch
/// (409/422) instead of being overwritten.
pub async fn patch_guarded(
    client: &Client,
    set: &Set,
    ops: Vec<Value>,
    dry_run: bool,
) -> Result<Set, Error> {
    let rv = set.resource_version();
    let mut patch =
        vec![serde_json::json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv})];
    patch.extend(ops);
    let object = client
        .api(set.kind, Some(set.namespace()))
        .patch(
            set.name(),
            PatchType::Json,
            &Value::Array(patch),
            &WriteParams::dry_run(dry_run),
        )
        .await?
        .object;
    Ok(Set {
        kind: set.kind,
        object,
    })
}

/// The set as it is now, or NotFound.
pub async fn refresh(client: &Client, set: &Set) -> Result<Set, Error> {
    let object = client
        .api(set.kind, Some(set.namespace()))
        .get(set.name())
        .await?;
    Ok(Set {
        kind: set.kind,
        object,
    })
}

impl Set {
    /// `petset.apps/web`, as kubectl names it.
    pub fn display(&self) -> String {
        format!("{}.{}/{}", self.kind.singular, self.kind.group, self.name())
    }

    /// `petset "web"`, for messages.
    pub fn label(&self) -> String {
        format!("{} {:?}", self.kind.singular, self.name())
    }

    pub fn uid(&self) -> &str {
        text(&self.object, "/metadata/uid").unwrap_or("")
    }

    pub fn resource_version(&self) -> &str {
        text(&self.object, "/metadata/resourceVersion").unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn petset() -> Set {
        Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {"replicas": 2, "serviceName": "nginx",
                         "template": {"metadata": {"labels": {"app": "nginx"}, "annotations": {INITIALIZED_ANNOTATION: "false"}},
                                      "spec": {"containers": [{"name": "nginx", "image": "nginx-slim:0.8"}]}},
                         "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}
            }),
        }
    }

    #[test]
    fn reads_petset_fields() {
        let set = petset();
        assert_eq!(set.replicas(), 2);
        assert_eq!(set.selector_string(), "app=nginx");
        assert_eq!(set.claim_template_names(), vec!["www"]);
        assert!(set.paused());
        assert_eq!(set.update_strategy(), "OnDelete");
        assert_eq!(
            set.template_images(),
            vec![("nginx".to_string(), "nginx-slim:0.8".to_string())]
        );
    }

    #[test]
    fn ordinals_come_from_pet_names() {
        let set = petset();
        assert_eq!(set.ordinal_of("web-0"), Some(0));
        assert_eq!(set.ordinal_of("web-12"), Some(12));
        for other in ["web-", "web-01", "web-x", "webx-1", "web-1-a", "db-0"] {
            assert_eq!(set.ordinal_of(other), None, "{other}");
        }
    }

    #[test]
    fn references() {
        assert_eq!(split_ref("web").unwrap().1, "web");
        assert_eq!(split_ref("sts/web").unwrap().0.unwrap().kind, "StatefulSet");
        assert_eq!(split_ref("petset/web").unwrap().0.unwrap().kind, "PetSet");
        assert!(split_ref("deployment/web").is_err());
    }
}
