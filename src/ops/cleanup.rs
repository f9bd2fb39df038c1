//! `cleanup-pvcs`: removing the claims a set no longer uses — those of
//! ordinals at or above its replicas, or all of them once the set is gone —
//! and only those. Terminating pets are waited out first (the guide's
//! `sleep $grace`), any claim a pod still mounts is refused, and every
//! delete carries the claim's uid and resourceVersion.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::progress::{Note, Progress};
use super::sets::Set;
use super::wait;
use crate::client::request::{path, DeleteOptions, ListParams, Preconditions};
use crate::client::watch::Watcher;
use crate::client::Client;
use crate::kinds;
use crate::selector::LabelSelector;

/// What the claims belong to.
#[derive(Debug, Clone)]
pub enum Owner {
    /// The set exists: claims of ordinals >= replicas are unused.
    Set(Set),
    /// The set is gone: every claim named `<template>-<name>-<ordinal>`
    /// (and matching the selector, if given) is unused.
    Gone { name: String, namespace: String },
}

impl Owner {
    fn name(&self) -> &str {
        match self {
            Owner::Set(s) => s.name(),
            Owner::Gone { name, .. } => name,
        }
    }

    fn namespace(&self) -> &str {
        match self {
            Owner::Set(s) => s.namespace(),
            Owner::Gone { namespace, .. } => namespace,
        }
    }
}

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

#[derive(Debug, Default)]
pub struct Selection {
    pub candidates: Vec<Candidate>,
    pub refused: Vec<Refusal>,
}

fn text(v: &Value, p: &str) -> String {
    v.pointer(p)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Which claims are unused and which are refused. Pure.
pub fn select(
    owner: &Owner,
    claims: &[Value],
    pods: &[Value],
    selector: Option<&LabelSelector>,
) -> Selection {
    let mut mounted: BTreeMap<String, String> = BTreeMap::new();
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
    let templates = match owner {
        Owner::Set(s) => Some(s.claim_template_names()),
        Owner::Gone { .. } => None,
    };
    let mut selection = Selection::default();
    for claim in claims {
        let name = text(claim, "/metadata/name");
        let Some(ordinal) = super::pets::claim_ordinal(&name, owner.name(), templates.as_deref())
        else {
            continue;
        };
        if let Some(sel) = selector {
            if !sel.matches_json(claim.pointer("/metadata/labels")) {
                continue;
            }
        }
        if let Owner::Set(set) = owner {
            let first = set.first_ordinal();
            if (first..first + set.replicas()).contains(&ordinal) {
                continue;
            }
        }
        if let Some(pod) = mounted.get(&name) {
            selection.refused.push(Refusal {
                claim: name,
                reason: format!("pod {pod} still mounts it"),
            });
            continue;
        }
        selection.candidates.push(Candidate {
            claim: name,
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

/// Waits until no pet of the set is terminating, so that no claim is
/// judged unused while its pod is still shutting down.
pub async fn wait_out_terminating(
    client: &Client,
    owner: &Owner,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let pods = kinds::by_name("pods").expect("pods are in the kinds table");
    let name = owner.name().to_string();
    let is_terminating_pet = |p: &Value| {
        let pod_name = text(p, "/metadata/name");
        let pet = pod_name
            .strip_prefix(&name)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()));
        pet && p
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null())
    };
    let mut watcher = Watcher::new(client, pods, Some(owner.namespace()), ListParams::default());
    let cache = wait::prime(&mut watcher).await?;
    let terminating: Vec<String> = cache
        .values()
        .filter(|p| is_terminating_pet(p))
        .map(|p| text(p, "/metadata/name"))
        .collect();
    if terminating.is_empty() {
        return Ok(());
    }
    progress.note(Note::Step(format!(
        "waiting for terminating pets to finish: {}",
        terminating.join(", ")
    )));
    let (done, _) = wait::watch_until_from(watcher, cache, timeout, |c| {
        (!c.values().any(is_terminating_pet)).then_some(())
    })
    .await?;
    if done.is_none() {
        anyhow::bail!(
            "timed out after {timeout:?} waiting for terminating pets ({}) to finish",
            terminating.join(", ")
        );
    }
    Ok(())
}

/// Finds the unused claims.
pub async fn find(
    client: &Client,
    owner: &Owner,
    selector: Option<&LabelSelector>,
) -> anyhow::Result<Selection> {
    let all = ListParams::default();
    let claims = client
        .list_objects(kinds::builtin("pvc"), Some(owner.namespace()), &all)
        .await?;
    let pods = client
        .list_objects(kinds::builtin("pods"), Some(owner.namespace()), &all)
        .await?;
    Ok(select(owner, &claims, &pods, selector))
}

/// What happened to one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub claim: String,
    pub volume: String,
    /// What became of the PV: `deleted`, `Released`, … or empty if unknown.
    pub volume_fate: String,
}

/// Deletes the candidates one by one, each with its uid and
/// resourceVersion as preconditions, and follows its PV for a moment.
pub async fn remove(
    client: &Client,
    namespace: &str,
    candidates: &[Candidate],
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<Removed>> {
    let pvcs = kinds::by_name("pvc").expect("pvcs are in the kinds table");
    let pvs = kinds::by_name("pv").expect("pvs are in the kinds table");
    let mut removed = Vec::new();
    for c in candidates {
        let mut pv_watcher = Watcher::new(
            client,
            pvs,
            None,
            ListParams::fields(format!("metadata.name={}", c.volume)),
        );
        let pv_before = if c.volume.is_empty() {
            None
        } else {
            Some(wait::prime(&mut pv_watcher).await?)
        };
        let body = DeleteOptions {
            preconditions: Some(Preconditions {
                uid: Some(c.uid.clone()),
                resource_version: Some(c.resource_version.clone()),
            }),
            ..Default::default()
        };
        match client
            .send(
                reqwest::Method::DELETE,
                &path(pvcs, Some(namespace), Some(&c.claim), None),
                Some(("application/json", body.body())),
            )
            .await
        {
            // A retried delete finds the claim already gone, or already
            // being deleted (its resourceVersion moved on).
            Ok(_) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) if err.is_conflict() && already_deleting(client, namespace, c).await => {}
            Err(err) => {
                return Err(
                    anyhow::Error::from(err).context(format!("failed to delete claim {}", c.claim))
                )
            }
        }
        progress.note(Note::Step(format!("deleted claim {}", c.claim)));
        let mut fate = String::new();
        if let Some(before) = pv_before {
            let volume = c.volume.clone();
            let (seen, cache) = wait::watch_until_from(pv_watcher, before, Duration::from_secs(10), |cache| {
                match cache.get("", &volume) {
                    None => Some("deleted".to_string()),
                    Some(pv) if text(pv, "/status/phase") == "Released" && text(pv, "/spec/persistentVolumeReclaimPolicy") == "Retain" => {
                        Some("Released (reclaim policy Retain: the data stays until you delete the PV)".to_string())
                    }
                    _ => None,
                }
            })
            .await?;
            fate = seen.unwrap_or_else(|| {
                let phase = cache
                    .get("", &volume)
                    .map(|pv| text(pv, "/status/phase"))
                    .unwrap_or_default();
                format!("still {phase}")
            });
            progress.note(Note::Step(format!("volume {}: {fate}", c.volume)));
        }
        removed.push(Removed {
            claim: c.claim.clone(),
            volume: c.volume.clone(),
            volume_fate: fate,
        });
    }
    Ok(removed)
}

/// Whether this claim (same uid) is gone or marked for deletion.
async fn already_deleting(client: &Client, namespace: &str, c: &Candidate) -> bool {
    match client
        .get_object(kinds::builtin("pvc"), Some(namespace), &c.claim)
        .await
    {
        Ok(claim) => {
            claim.pointer("/metadata/uid").and_then(Value::as_str) == Some(c.uid.as_str())
                && claim
                    .pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null())
        }
        Err(err) => err.is_not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claim(name: &str, labels: Value) -> Value {
        json!({"metadata": {"name": name, "uid": format!("uid-{name}"), "resourceVersion": "7", "labels": labels}, "spec": {"volumeName": format!("pv-{name}")}})
    }

    fn owner(replicas: i64) -> Owner {
        Owner::Set(Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": replicas, "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}}),
        })
    }

    #[test]
    fn only_unused_ordinals_are_candidates() {
        let claims = [
            claim("www-web-0", json!({})),
            claim("www-web-1", json!({})),
            claim("www-web-2", json!({})),
            claim("www-web-10", json!({})),
            claim("www-webby-3", json!({})),
            claim("data-web-3", json!({})),
            claim("www-web-03", json!({})),
        ];
        let sel = select(&owner(2), &claims, &[], None);
        let names: Vec<_> = sel.candidates.iter().map(|c| c.claim.as_str()).collect();
        assert_eq!(names, vec!["www-web-2", "www-web-10"]);
    }

    #[test]
    fn a_mounted_claim_is_refused() {
        let claims = [claim("www-web-2", json!({}))];
        let pod = json!({"metadata": {"name": "debug"}, "spec": {"volumes": [{"name": "x", "persistentVolumeClaim": {"claimName": "www-web-2"}}]}});
        let sel = select(&owner(2), &claims, &[pod], None);
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
    fn a_gone_set_releases_every_claim_matching_the_selector() {
        let claims = [
            claim("www-web-0", json!({"app": "nginx"})),
            claim("data-web-1", json!({"app": "other"})),
            claim("www-db-0", json!({"app": "nginx"})),
        ];
        let gone = Owner::Gone {
            name: "web".into(),
            namespace: "default".into(),
        };
        let sel = select(&gone, &claims, &[], None);
        assert_eq!(sel.candidates.len(), 2);
        let app = LabelSelector::parse("app=nginx").unwrap();
        let sel = select(&gone, &claims, &[], Some(&app));
        assert_eq!(
            sel.candidates
                .iter()
                .map(|c| c.claim.as_str())
                .collect::<Vec<_>>(),
            vec!["www-web-0"]
        );
    }
}
