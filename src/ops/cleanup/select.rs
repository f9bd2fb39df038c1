//! Which claims cleanup may delete, decided from what the set is — its
//! name, its claim templates, its selector and its replicas — never from a
//! name pattern alone. Pure: the same snapshot gives the same answer, so
//! the plan and every re-check are the same function.

use std::collections::BTreeMap;

use petctl_model::ordinal::of_claim;
use serde_json::Value;

use super::{text, Target, World};
use crate::ops::sets::Set;
use crate::selector::LabelSelector;

/// One claim that may go.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub claim: String,
    pub ordinal: i64,
    pub volume: String,
    pub capacity: String,
    pub created: String,
    pub uid: String,
    pub resource_version: String,
}

/// One claim that may not go, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub claim: String,
    pub reason: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Selection {
    pub candidates: Vec<Candidate>,
    pub refused: Vec<Refusal>,
}

/// The selector a set's claims carry: `spec.selector`, or for a PetSet
/// without one the template's labels (the 1.4 default). None when the
/// selector cannot be read, so that no claim matches it.
pub fn set_selector(set: &Set) -> Option<LabelSelector> {
    match set.object.pointer("/spec/selector") {
        Some(raw) if !raw.is_null() => {
            let parsed: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
                serde_json::from_value(raw.clone()).ok()?;
            LabelSelector::from_label_selector(&parsed).ok()
        }
        _ => LabelSelector::parse(&set.selector_string()).ok(),
    }
}

/// Whether `claim` is named `<template>-<set>-<ordinal>` for one of the
/// set's own templates; its ordinal if so.
pub fn ordinal_in(set: &Set, claim: &str) -> Option<i64> {
    of_claim(claim, set.name(), &set.claim_template_names())
}

/// Whether `ordinal` is one the set wants now.
pub fn wanted(set: &Set, ordinal: i64) -> bool {
    set.wanted_ordinals().contains(&ordinal)
}

/// The claims of `world` that `target` no longer uses, and the ones it
/// would but may not delete. `extra` is the user's own `-l` filter.
pub fn select(target: &Target, extra: Option<&LabelSelector>, world: &World) -> Selection {
    let mounted = mounts(&world.pods);
    let (name, templates) = (target.name(), target.templates());
    let selector = target.selector();
    let others: Vec<&Set> = world.sets.iter().filter(|s| !target.is(s)).collect();
    let mut selection = Selection::default();
    for claim in &world.claims {
        let claim_name = text(claim, "/metadata/name");
        let Some(ordinal) = of_claim(&claim_name, name, &templates) else {
            continue;
        };
        let labels = claim.pointer("/metadata/labels");
        if extra.is_some_and(|sel| !sel.matches_json(labels)) {
            continue;
        }
        if let Target::Set(set) = target {
            if wanted(set, ordinal) {
                continue;
            }
        }
        let refuse = |reason: String| Refusal {
            claim: claim_name.clone(),
            reason,
        };
        if let Some(other) = others
            .iter()
            .find_map(|s| ordinal_in(s, &claim_name).map(|o| (s, o)))
        {
            let (set, ordinal) = other;
            selection.refused.push(refuse(format!(
                "it is also claim {ordinal} of {} (template {:?}); clean it up through that set",
                set.label(),
                template_of(&claim_name, set.name(), ordinal)
            )));
            continue;
        }
        if !selector
            .as_ref()
            .is_some_and(|sel| sel.matches_json(labels))
        {
            let wanted = selector
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            selection.refused.push(refuse(format!(
                "it does not carry the selector labels of {} ({wanted})",
                target.label()
            )));
            continue;
        }
        if let Some(pod) = mounted.get(&claim_name) {
            selection
                .refused
                .push(refuse(format!("pod {pod} still mounts it")));
            continue;
        }
        selection.candidates.push(Candidate {
            claim: claim_name.clone(),
            ordinal,
            volume: text(claim, "/spec/volumeName"),
            capacity: text(claim, "/status/capacity/storage"),
            created: text(claim, "/metadata/creationTimestamp"),
            uid: text(claim, "/metadata/uid"),
            resource_version: text(claim, "/metadata/resourceVersion"),
        });
    }
    selection
        .candidates
        .sort_by(|a, b| (a.ordinal, &a.claim).cmp(&(b.ordinal, &b.claim)));
    selection
}

/// Claim name → a pod that mounts it.
pub fn mounts(pods: &[Value]) -> BTreeMap<String, String> {
    let mut mounted = BTreeMap::new();
    for pod in pods {
        for volume in pod
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(claim) = volume
                .pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
            {
                mounted.insert(claim.to_string(), text(pod, "/metadata/name"));
            }
        }
    }
    mounted
}

/// The template part of `<template>-<set>-<ordinal>`.
fn template_of(claim: &str, set: &str, ordinal: i64) -> String {
    claim
        .strip_suffix(&format!("-{set}-{ordinal}"))
        .unwrap_or(claim)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::super::DeletedSet;
    use super::*;
    use crate::kinds;
    use serde_json::json;

    fn claim(name: &str, labels: Value) -> Value {
        json!({"metadata": {"name": name, "uid": format!("uid-{name}"), "resourceVersion": "7", "labels": labels}, "spec": {"volumeName": format!("pv-{name}")}})
    }

    fn set(kind: &str, name: &str, replicas: i64, template: &str) -> Set {
        Set {
            kind: kinds::by_name(kind).unwrap(),
            object: json!({"metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
                           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                                    "template": {"metadata": {"labels": {"app": "nginx"}}},
                                    "volumeClaimTemplates": [{"metadata": {"name": template}}]}}),
        }
    }

    fn world(sets: Vec<Set>, claims: Vec<Value>, pods: Vec<Value>) -> World {
        World { sets, claims, pods }
    }

    /// What cleanup of `set`, the only set, may delete among `claims`, with
    /// no pods and no filter of the user's.
    fn select_alone(set: Set, claims: Vec<Value>) -> Selection {
        let w = world(vec![set.clone()], claims, vec![]);
        select(&Target::Set(set), None, &w)
    }

    fn names(selection: &Selection) -> Vec<&str> {
        selection
            .candidates
            .iter()
            .map(|c| c.claim.as_str())
            .collect()
    }

    fn app() -> Value {
        json!({"app": "nginx"})
    }

    #[test]
    fn only_unused_ordinals_of_the_sets_own_templates_are_candidates() {
        let web = set("petset", "web", 2, "www");
        let claims = [
            "www-web-0",
            "www-web-1",
            "www-web-2",
            "www-web-10",
            "www-webby-3",
            "data-web-3",
            "www-web-03",
        ]
        .map(|n| claim(n, app()))
        .to_vec();
        let sel = select_alone(web, claims);
        assert_eq!(names(&sel), vec!["www-web-2", "www-web-10"]);
        assert!(sel.refused.is_empty(), "{:?}", sel.refused);
    }

    #[test]
    fn a_claim_without_the_selector_labels_is_refused() {
        let web = set("petset", "web", 1, "www");
        let sel = select_alone(
            web,
            vec![
                claim("www-web-1", json!({"app": "other"})),
                claim("www-web-2", json!(null)),
            ],
        );
        assert!(sel.candidates.is_empty());
        assert_eq!(
            sel.refused[0].reason,
            "it does not carry the selector labels of petset \"web\" (app=nginx)"
        );
        assert_eq!(sel.refused.len(), 2);
    }

    #[test]
    fn match_expressions_count_too() {
        let mut web = set("statefulset", "web", 0, "www");
        web.object["spec"]["selector"] = json!({"matchLabels": {"app": "nginx"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]});
        let sel = select_alone(
            web,
            vec![
                claim("www-web-0", app()),
                claim("www-web-1", json!({"app": "nginx", "tier": "front"})),
            ],
        );
        assert_eq!(names(&sel), vec!["www-web-1"]);
        assert_eq!(sel.refused[0].claim, "www-web-0");
    }

    #[test]
    fn a_petset_without_a_selector_uses_its_template_labels() {
        let mut web = set("petset", "web", 0, "www");
        web.object["spec"]
            .as_object_mut()
            .unwrap()
            .remove("selector");
        let sel = select_alone(
            web,
            vec![claim("www-web-0", app()), claim("www-web-1", json!({}))],
        );
        assert_eq!(names(&sel), vec!["www-web-0"]);
    }

    #[test]
    fn a_claim_another_live_set_also_matches_is_refused() {
        // Set "old" with template "data-x" and set "x-old" with template
        // "data" both name their claim 1 "data-x-old-1".
        let old = set("statefulset", "old", 1, "data-x");
        let x_old = set("statefulset", "x-old", 3, "data");
        let w = world(
            vec![old.clone(), x_old],
            vec![claim("data-x-old-1", app()), claim("data-x-old-5", app())],
            vec![],
        );
        let sel = select(&Target::Set(old), None, &w);
        assert!(sel.candidates.is_empty(), "{:?}", sel.candidates);
        assert_eq!(
            sel.refused[0].reason,
            "it is also claim 1 of statefulset \"x-old\" (template \"data\"); clean it up through that set"
        );
        assert_eq!(sel.refused.len(), 2, "even beyond the other set's replicas");
    }

    #[test]
    fn a_mounted_claim_is_refused() {
        let web = set("petset", "web", 2, "www");
        let pod = json!({"metadata": {"name": "debug"}, "spec": {"volumes": [{"name": "x", "persistentVolumeClaim": {"claimName": "www-web-2"}}]}});
        let w = world(
            vec![web.clone()],
            vec![claim("www-web-2", app())],
            vec![pod],
        );
        let sel = select(&Target::Set(web), None, &w);
        assert!(sel.candidates.is_empty());
        assert_eq!(
            sel.refused,
            vec![Refusal {
                claim: "www-web-2".into(),
                reason: "pod debug still mounts it".into()
            }]
        );
    }

    #[test]
    fn a_deleted_set_releases_only_its_named_templates_with_its_labels() {
        let deleted = Target::Deleted(DeletedSet {
            name: "web".into(),
            namespace: "default".into(),
            templates: vec!["www".into()],
            selector: LabelSelector::parse("app=nginx").unwrap(),
        });
        let db = set("statefulset", "db", 1, "www");
        let w = world(
            vec![db],
            vec![
                claim("www-web-0", app()),
                claim("www-web-1", json!({"app": "other"})),
                claim("data-web-2", app()),
                claim("www-db-0", app()),
                claim("www-db-3", app()),
            ],
            vec![],
        );
        let sel = select(&deleted, None, &w);
        assert_eq!(names(&sel), vec!["www-web-0"]);
        assert_eq!(sel.refused.len(), 1, "{:?}", sel.refused);
        assert_eq!(sel.refused[0].claim, "www-web-1");
    }

    #[test]
    fn the_users_filter_narrows() {
        let web = set("petset", "web", 0, "www");
        let w = world(
            vec![web.clone()],
            vec![
                claim("www-web-0", json!({"app": "nginx", "keep": "no"})),
                claim("www-web-1", app()),
            ],
            vec![],
        );
        let keep = LabelSelector::parse("keep=no").unwrap();
        let sel = select(&Target::Set(web), Some(&keep), &w);
        assert_eq!(names(&sel), vec!["www-web-0"]);
    }
}
