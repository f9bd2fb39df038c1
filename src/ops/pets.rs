//! The pets of a set, one per ordinal: the pod that holds the identity (or
//! none, when it is missing) and its claims. Gathered with two lists (one,
//! for the table, which prints no claim); the assembly is pure.

use std::collections::BTreeMap;

use petctl_model::ordinal::of_claim;
use petctl_model::pod::PrintedPod;
use serde_json::Value;

use super::sets::Set;
use super::wait::PetState;
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
    /// Where the pod stands, read off it once when the pet is put together:
    /// a wait asks it of every pet after every event.
    pub state: PetState,
}

impl Pet {
    pub fn new(
        ordinal: i64,
        name: String,
        pod: Option<Value>,
        claims: Vec<(String, Option<Value>)>,
    ) -> Pet {
        Pet {
            state: PetState::of(pod.as_ref()),
            ordinal,
            name,
            pod,
            claims,
        }
    }
}

/// Every ordinal the set wants, plus any pod of the set beyond them (being
/// scaled away), in ordinal order.
pub fn assemble(set: &Set, pods: &[Value], claims: &[Value]) -> Vec<Pet> {
    assemble_owned(set, pods.to_vec(), claims.to_vec())
}

/// As `assemble`, taking the objects (no copies).
pub fn assemble_owned(set: &Set, pods: Vec<Value>, claims: Vec<Value>) -> Vec<Pet> {
    let by_name = |items: Vec<Value>| -> BTreeMap<String, Value> {
        items
            .into_iter()
            .filter_map(|o| {
                let name = o.pointer("/metadata/name")?.as_str()?.to_string();
                Some((name, o))
            })
            .collect()
    };
    let mut pods = by_name(pods);
    let claims = by_name(claims);
    let mut ordinals: Vec<i64> = set.wanted_ordinals().collect();
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
            let pod = pods.remove(&name);
            Pet::new(ordinal, name, pod, pet_claims)
        })
        .collect()
}

/// The set's existing claims as `(ordinal, name)`, in ordinal order, found
/// by their `<template>-<set>-<ordinal>` names.
pub async fn claims(client: &Client, set: &Set) -> Result<Vec<(i64, String)>, Error> {
    let templates = set.claim_template_names();
    let mut claims: Vec<(i64, String)> = claim_objects(client, set)
        .await?
        .iter()
        .filter_map(|c| c.pointer("/metadata/name")?.as_str())
        .filter_map(|name| of_claim(name, set.name(), &templates).map(|o| (o, name.to_string())))
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
    let claims = claim_objects(client, set).await?;
    Ok(assemble_owned(set, pods, claims))
}

/// The pets as the table prints them: the set's pods (by its selector,
/// page by page) decoded into the few fields a row shows, and no claims
/// (the table has no claim column), so every claim is "not looked up".
/// `page` objects per request (0: all at once).
pub async fn gather_for_table(client: &Client, set: &Set, page: u32) -> Result<Vec<Pet>, Error> {
    let selector = ListParams {
        limit: Some(page),
        ..ListParams::labels(set.selector_string())
    };
    let mut pods = Vec::new();
    client
        .api(kinds::builtin("pods"), Some(set.namespace()))
        .for_each_page(&selector, |page: Vec<PrintedPod>| {
            pods.extend(page.into_iter().map(PrintedPod::into_value))
        })
        .await?;
    Ok(assemble_owned(set, pods, Vec::new()))
}

/// Every claim in the set's namespace, for the caller to match by name;
/// no request at all when the set has no claim templates.
pub async fn claim_objects(client: &Client, set: &Set) -> Result<Vec<Value>, Error> {
    if set.claim_template_names().is_empty() {
        return Ok(Vec::new());
    }
    client
        .list_objects(
            kinds::builtin("pvc"),
            Some(set.namespace()),
            &ListParams::default(),
        )
        .await
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
    fn pods_beyond_replicas_are_listed() {
        let pets = assemble(&set(1), &[named("web-0"), named("web-3")], &[]);
        assert_eq!(
            pets.iter().map(|p| p.ordinal).collect::<Vec<_>>(),
            vec![0, 3]
        );
    }
}
