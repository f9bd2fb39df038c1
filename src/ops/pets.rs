//! The pets of a set, one per ordinal: the pod that holds the identity (or
//! none, when it is missing) and its claims. Gathered with two lists; the
//! assembly is pure.

use std::collections::BTreeMap;

use serde_json::Value;

use super::sets::Set;
use crate::client::request::ListParams;
use crate::client::{Client, Error};
use crate::kinds;

/// One ordinal of a set.
#[derive(Debug, Clone, PartialEq)]
pub struct Pet {
    pub ordinal: i64,
    pub name: String,
    pub pod: Option<Value>,
    /// `(claim name, the claim if it exists)`, one per claim template.
    pub claims: Vec<(String, Option<Value>)>,
}

/// Every ordinal the set wants, plus any pod of the set beyond them (being
/// scaled away), in ordinal order.
pub fn assemble(set: &Set, pods: &[Value], claims: &[Value]) -> Vec<Pet> {
    let by_name = |items: &[Value]| -> BTreeMap<String, Value> {
        items
            .iter()
            .filter_map(|o| {
                let name = o.pointer("/metadata/name")?.as_str()?;
                Some((name.to_string(), o.clone()))
            })
            .collect()
    };
    let pods = by_name(pods);
    let claims = by_name(claims);
    let first = set.first_ordinal();
    let mut ordinals: Vec<i64> = (first..first + set.replicas().max(0)).collect();
    ordinals.extend(pods.keys().filter_map(|n| set.ordinal_of(n)));
    ordinals.sort_unstable();
    ordinals.dedup();
    let templates = set.claim_template_names();
    ordinals
        .into_iter()
        .map(|ordinal| {
            let name = set.pet_name(ordinal);
            let pet_claims = templates
                .iter()
                .map(|t| {
                    let claim = format!("{t}-{name}");
                    let found = claims.get(&claim).cloned();
                    (claim, found)
                })
                .collect();
            Pet {
                ordinal,
                pod: pods.get(&name).cloned(),
                name,
                claims: pet_claims,
            }
        })
        .collect()
}

/// The ordinal of `claim` if it is named `<template>-<set>-<ordinal>` for
/// one of `templates`; never for a template not in the list.
pub fn claim_ordinal(claim: &str, set_name: &str, templates: &[String]) -> Option<i64> {
    let suffix_start = claim.rfind('-')?;
    let ordinal_text = &claim[suffix_start + 1..];
    if ordinal_text.is_empty()
        || !ordinal_text.bytes().all(|b| b.is_ascii_digit())
        || (ordinal_text.len() > 1 && ordinal_text.starts_with('0'))
    {
        return None;
    }
    let before = claim[..suffix_start]
        .strip_suffix(set_name)?
        .strip_suffix('-')?;
    if !templates.iter().any(|t| t == before) {
        return None;
    }
    ordinal_text.parse().ok()
}

/// The set's existing claims as `(ordinal, name)`, in ordinal order, found
/// by their `<template>-<set>-<ordinal>` names.
pub async fn claims(client: &Client, set: &Set) -> Result<Vec<(i64, String)>, Error> {
    let templates = set.claim_template_names();
    if templates.is_empty() {
        return Ok(Vec::new());
    }
    let items = client
        .list_objects(
            kinds::builtin("pvc"),
            Some(set.namespace()),
            &ListParams::default(),
        )
        .await?;
    let mut claims: Vec<(i64, String)> = items
        .iter()
        .filter_map(|c| c.pointer("/metadata/name")?.as_str())
        .filter_map(|name| {
            claim_ordinal(name, set.name(), &templates).map(|o| (o, name.to_string()))
        })
        .collect();
    claims.sort();
    Ok(claims)
}

/// Lists the set's pods (by its selector) and claims, and assembles pets.
pub async fn gather(client: &Client, set: &Set) -> Result<Vec<Pet>, Error> {
    let selector = ListParams::labels(set.selector_string());
    let pods = client
        .list_objects(kinds::builtin("pods"), Some(set.namespace()), &selector)
        .await?;
    let claims = if set.claim_template_names().is_empty() {
        Vec::new()
    } else {
        client
            .list_objects(
                kinds::builtin("pvc"),
                Some(set.namespace()),
                &ListParams::default(),
            )
            .await?
    };
    Ok(assemble(set, &pods, &claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(replicas: i64) -> Set {
        Set {
            kind: kinds::by_name("statefulset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default"},
                           "spec": {"replicas": replicas, "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}}),
        }
    }

    fn named(name: &str) -> Value {
        json!({"metadata": {"name": name}})
    }

    #[test]
    fn missing_ordinals_stay_in_place() {
        let pets = assemble(
            &set(3),
            &[named("web-0"), named("web-2"), named("other-1")],
            &[named("www-web-0")],
        );
        let summary: Vec<_> = pets
            .iter()
            .map(|p| {
                (
                    p.ordinal,
                    p.pod.is_some(),
                    p.claims[0].0.as_str(),
                    p.claims[0].1.is_some(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, true, "www-web-0", true),
                (1, false, "www-web-1", false),
                (2, true, "www-web-2", false)
            ]
        );
    }

    #[test]
    fn claim_ordinals_need_one_of_the_templates() {
        let www = ["www".to_string()];
        assert_eq!(claim_ordinal("www-web-3", "web", &www), Some(3));
        assert_eq!(claim_ordinal("www-web-10", "web", &www), Some(10));
        for other in [
            "data-web-3",
            "www-web-03",
            "www-web-",
            "www-web",
            "web-3",
            "-web-3",
            "www-x-web-3",
        ] {
            assert_eq!(claim_ordinal(other, "web", &www), None, "{other}");
        }
        assert_eq!(claim_ordinal("www-web-3", "web", &[]), None);
        let dashed = ["data-x".to_string()];
        assert_eq!(claim_ordinal("data-x-old-1", "old", &dashed), Some(1));
    }

    #[test]
    fn pods_beyond_replicas_are_listed() {
        let pets = assemble(&set(1), &[named("web-0"), named("web-3")], &[]);
        assert_eq!(
            pets.iter().map(|p| p.ordinal).collect::<Vec<_>>(),
            vec![0, 3]
        );
    }
}
