//! The claims the *server* deletes: a StatefulSet's
//! `persistentVolumeClaimRetentionPolicy` makes its controller delete the
//! claims of pets removed by a scale-down (`whenScaled: Delete`) and the
//! garbage collector delete the set's claims with the set
//! (`whenDeleted: Delete`). petctl never deletes a claim itself, but it
//! names these before it acts, so that the CLI can ask.

use std::time::Duration;

use petctl_model::ordinal::of_claim;
use serde_json::Value;

use super::delete::Cascade;
use super::pets::claim_objects;
use super::sets::Set;
use super::wait;
use crate::client::request::ListParams;
use crate::client::watch::Watcher;
use crate::client::{Client, Error};
use crate::kinds;

/// What is about to happen to the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    ScaleTo(i64),
    Delete(Cascade),
}

/// The set's policy: true where it says Delete. PetSets have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    pub when_deleted: bool,
    pub when_scaled: bool,
}

impl Policy {
    pub fn of(set: &Set) -> Policy {
        let deletes = |when: &str| {
            set.object
                .pointer(&format!(
                    "/spec/persistentVolumeClaimRetentionPolicy/{when}"
                ))
                .and_then(Value::as_str)
                == Some("Delete")
        };
        Policy {
            when_deleted: deletes("whenDeleted"),
            when_scaled: deletes("whenScaled"),
        }
    }

    /// The policy fields that apply to `change`, as the manifest spells
    /// them: `whenScaled: Delete`.
    pub fn reason(&self, change: Change) -> String {
        let mut reasons = Vec::new();
        let scales = matches!(
            change,
            Change::ScaleTo(_) | Change::Delete(Cascade::Ordered)
        );
        if self.when_scaled && scales {
            reasons.push("whenScaled: Delete");
        }
        if self.when_deleted && matches!(change, Change::Delete(c) if c != Cascade::Orphan) {
            reasons.push("whenDeleted: Delete");
        }
        reasons.join(", ")
    }
}

/// One claim the server will delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub claim: String,
    pub uid: String,
}

fn owned_by(claim: &Value, uid: &str) -> bool {
    claim
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
}

/// The claims among `claims` that the server deletes because of `change`,
/// in ordinal order. Pure.
///
/// - A scale-down under whenScaled=Delete condemns the pets of ordinals
///   `to..from`; the controller makes each pet own its claims, and the
///   garbage collector deletes them with the pet (upstream
///   `updateClaimOwnerRefForSetAndPod`).
/// - Under whenDeleted=Delete the set owns the claims of its pets in range
///   (and keeps owning those it owned), so deleting the set deletes them —
///   unless the delete orphans: the garbage collector's `orphanDependents`
///   removes the set's reference from every dependent, claims included.
/// - The ordered cascade first scales to 0, so whenScaled counts as well.
pub fn doomed_claims(set: &Set, claims: &[Value], change: Change) -> Vec<Doomed> {
    let policy = Policy::of(set);
    let templates = set.claim_template_names();
    let first = set.first_ordinal();
    let from = set.replicas();
    let in_range = |ordinal: i64, to: i64| (first + to..first + from).contains(&ordinal);
    let mut doomed: Vec<(i64, Doomed)> = claims
        .iter()
        .filter_map(|claim| {
            let name = claim.pointer("/metadata/name")?.as_str()?;
            let ordinal = of_claim(name, set.name(), &templates)?;
            let with_set = || in_range(ordinal, 0) || owned_by(claim, set.uid());
            let deleted = match change {
                Change::ScaleTo(to) => policy.when_scaled && in_range(ordinal, to),
                Change::Delete(Cascade::Orphan) => false,
                Change::Delete(Cascade::Ordered) => {
                    (policy.when_scaled && in_range(ordinal, 0))
                        || (policy.when_deleted && with_set())
                }
                Change::Delete(_) => policy.when_deleted && with_set(),
            };
            let uid = claim.pointer("/metadata/uid").and_then(Value::as_str);
            deleted.then(|| {
                let doomed = Doomed {
                    claim: name.to_string(),
                    uid: uid.unwrap_or("").to_string(),
                };
                (ordinal, doomed)
            })
        })
        .collect();
    doomed.sort_by(|a, b| (a.0, &a.1.claim).cmp(&(b.0, &b.1.claim)));
    doomed.into_iter().map(|(_, d)| d).collect()
}

/// Reads the set's claims and names those `change` makes the server
/// delete; no request at all when the policy retains everything.
pub async fn doomed(client: &Client, set: &Set, change: Change) -> Result<Vec<Doomed>, Error> {
    if Policy::of(set) == Policy::default() {
        return Ok(Vec::new());
    }
    let claims = claim_objects(client, set).await?;
    Ok(doomed_claims(set, &claims, change))
}

/// Waits until the server has deleted every claim in `doomed` (by uid: a
/// new claim of the same name is another claim). Returns the claims still
/// there at the timeout.
pub async fn wait_deleted(
    client: &Client,
    namespace: &str,
    doomed: &[Doomed],
    timeout: Duration,
) -> Result<Vec<String>, Error> {
    let pvcs = kinds::by_name("pvc").expect("pvcs are in the kinds table");
    let mut watcher = Watcher::new(client, pvcs, Some(namespace), ListParams::default());
    let cache = wait::prime(&mut watcher).await?;
    let left = |cache: &crate::client::watch::Cache| -> Vec<String> {
        doomed
            .iter()
            .filter(|d| {
                cache.get(namespace, &d.claim).is_some_and(|c| {
                    c.pointer("/metadata/uid").and_then(Value::as_str) == Some(d.uid.as_str())
                })
            })
            .map(|d| d.claim.clone())
            .collect()
    };
    let (done, cache) = wait::watch_until_from(watcher, cache, timeout, |cache| {
        left(cache).is_empty().then_some(())
    })
    .await?;
    Ok(match done {
        Some(()) => Vec::new(),
        None => left(&cache),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(when_deleted: &str, when_scaled: &str, replicas: i64) -> Set {
        Set {
            kind: kinds::by_name("statefulsets").unwrap(),
            object: json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": {"name": "web", "namespace": "default", "uid": "set-uid"},
                "spec": {"replicas": replicas, "serviceName": "nginx",
                         "persistentVolumeClaimRetentionPolicy": {"whenDeleted": when_deleted, "whenScaled": when_scaled},
                         "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}},
                         "volumeClaimTemplates": [{"metadata": {"name": "www"}}, {"metadata": {"name": "logs"}}]}}),
        }
    }

    fn claim(name: &str, owner: Option<&str>) -> Value {
        let owners: Vec<Value> = owner.into_iter().map(|uid| json!({"uid": uid})).collect();
        json!({"metadata": {"name": name, "uid": format!("{name}-uid"), "ownerReferences": owners}})
    }

    /// Claims of web 0..5 (www and logs; 3 and 4 left over from an earlier
    /// scale-down, 4 still owned by the set), and claims of others.
    fn claims() -> Vec<Value> {
        let mut all: Vec<Value> = (0..3)
            .flat_map(|o| {
                [
                    claim(&format!("www-web-{o}"), Some("set-uid")),
                    claim(&format!("logs-web-{o}"), Some("set-uid")),
                ]
            })
            .collect();
        all.push(claim("www-web-3", None));
        all.push(claim("www-web-4", Some("set-uid")));
        all.push(claim("www-web-old-0", None));
        all.push(claim("backup-web-1", None));
        all.push(claim("www-x-web-1", None));
        all
    }

    fn names(doomed: Vec<Doomed>) -> Vec<String> {
        doomed.into_iter().map(|d| d.claim).collect()
    }

    /// The logs and www claims of the pets `ordinals`, in the order the
    /// server deletes them.
    fn of_pets(ordinals: std::ops::Range<i64>) -> Vec<String> {
        ordinals
            .flat_map(|o| [format!("logs-web-{o}"), format!("www-web-{o}")])
            .collect()
    }

    #[test]
    fn which_claims_the_server_deletes() {
        use Cascade::*;
        use Change::*;
        let all = claims();
        let none = Vec::new();
        // Every claim of the set: its pets' and the owned leftover of pet 4.
        let every = [of_pets(0..3), vec!["www-web-4".to_string()]].concat();
        for (policy, change, want) in [
            (("Retain", "Retain"), ScaleTo(1), &none),
            (("Retain", "Retain"), Delete(Ordered), &none),
            (("Retain", "Delete"), ScaleTo(1), &of_pets(1..3)),
            (("Retain", "Delete"), ScaleTo(3), &none),
            (("Retain", "Delete"), ScaleTo(5), &none),
            (("Retain", "Delete"), Delete(Background), &none),
            (("Retain", "Delete"), Delete(Ordered), &of_pets(0..3)),
            (("Delete", "Retain"), ScaleTo(0), &none),
            (("Delete", "Retain"), Delete(Orphan), &none),
            (("Delete", "Retain"), Delete(Background), &every),
            (("Delete", "Retain"), Delete(Foreground), &every),
            (("Delete", "Delete"), ScaleTo(2), &of_pets(2..3)),
            (("Delete", "Delete"), Delete(Orphan), &none),
            (("Delete", "Delete"), Delete(Ordered), &every),
        ] {
            assert_eq!(
                &names(doomed_claims(&set(policy.0, policy.1, 3), &all, change)),
                want,
                "{policy:?} {change:?}"
            );
        }
    }

    #[test]
    fn ordinals_start_shifts_the_range_and_petsets_have_no_policy() {
        let mut shifted = set("Retain", "Delete", 2);
        shifted.object["spec"]["ordinals"] = json!({"start": 5});
        let all = [
            claim("www-web-5", None),
            claim("www-web-6", None),
            claim("www-web-1", None),
        ];
        assert_eq!(
            names(doomed_claims(&shifted, &all, Change::ScaleTo(1))),
            ["www-web-6"]
        );
        let petset = Set {
            kind: kinds::by_name("petsets").unwrap(),
            object: json!({"metadata": {"name": "web"}, "spec": {"replicas": 3,
                "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}}),
        };
        assert!(doomed_claims(&petset, &claims(), Change::Delete(Cascade::Ordered)).is_empty());
    }

    #[test]
    fn reasons_name_the_policy_fields_that_apply() {
        let both = Policy::of(&set("Delete", "Delete", 3));
        assert_eq!(both.reason(Change::ScaleTo(1)), "whenScaled: Delete");
        assert_eq!(
            both.reason(Change::Delete(Cascade::Ordered)),
            "whenScaled: Delete, whenDeleted: Delete"
        );
        assert_eq!(
            both.reason(Change::Delete(Cascade::Background)),
            "whenDeleted: Delete"
        );
    }
}
