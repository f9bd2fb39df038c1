//! What the StatefulSet controller keeps of a set from one sync to the next,
//! so that a sync costs what changed, not the set's size.
//!
//! - **Pod facts, validated by identity.** The cache replaces an object
//!   whole (a new `Arc`) whenever it changes, and the memo holds a strong
//!   reference to every version it read, so the address of a version it
//!   holds cannot be reused by another object. A sync walks the set's pods
//!   through the cache's owner index (an O(N) walk over indexed `Arc`s, no
//!   JSON read, no allocation per pod) and re-reads only the pods whose
//!   `Arc` is not the one it read last time. This cannot disagree with the
//!   cache: there is no event bookkeeping to miss (the controller's own
//!   writes, a conflict's refresh and a relist all show as new `Arc`s).
//! - **Claim owners, checked once.** Whether a pod's claims carry the
//!   ownerReferences the retention policy wants is remembered per pod, and
//!   asked again only when the pod changed (new facts), when one of its
//!   claims changed (the runner's [`observe`](super::StatefulSetController)
//!   hook names it; the controller's own claim writes and live reads mark
//!   it too), or when what decides the answer changed (the set's uid, its
//!   ordinals, its retention policy or its claim templates: all are asked
//!   again). A claim found missing, or just fixed, is asked again next sync.
//! - **Claims present, read live once.** A Pending pod's claims are read
//!   live (`claims::prepare`) the first time a sync sees that version of
//!   the pod, and again only after one of its claims changed; upstream reads
//!   them from its informer every sync, so the one difference is timing: a
//!   claim deleted under a Pending pod is recreated on the sync its
//!   deletion event wakes, not on a sync that ran before that event came.
//! - **The wanted revision**, rebuilt only when its inputs change
//!   ([`Wanted`]).
//!
//! The plan and the status still walk the pods' owned facts once per sync
//! (O(N) over small structs; see docs/benchmarks.md for what it costs).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use serde_json::{json, Value};

use super::facts::PodFacts;
use super::identity;
use super::revision::Wanted;
use crate::controllers::cache::{Cache, Key};
use crate::controllers::pods;
use crate::registry::meta;
use petctl_model::selector::LabelSelector;

/// What decides a claim's wanted ownerReferences, besides its pod.
#[derive(Debug, Clone, PartialEq)]
struct ClaimRule {
    uid: String,
    ordinals: Range<i64>,
    policy: Value,
    templates: Vec<String>,
}

fn policy_of(set: &Value) -> &Value {
    meta::at(set, "/spec/persistentVolumeClaimRetentionPolicy").unwrap_or(&Value::Null)
}

fn template_names(set: &Value) -> impl Iterator<Item = &str> + '_ {
    meta::items_at(set, "/spec/volumeClaimTemplates")
        .iter()
        .map(meta::name)
}

impl ClaimRule {
    fn of(set: &Value) -> Self {
        ClaimRule {
            uid: meta::uid(set).to_string(),
            ordinals: super::wanted_ordinals(set),
            policy: policy_of(set).clone(),
            templates: template_names(set).map(str::to_string).collect(),
        }
    }

    fn holds_for(&self, set: &Value) -> bool {
        self.uid == meta::uid(set)
            && self.ordinals == super::wanted_ordinals(set)
            && &self.policy == policy_of(set)
            && template_names(set).eq(self.templates.iter().map(String::as_str))
    }
}

/// What is known of one pod's claims, since it, they and the rule last
/// changed.
#[derive(Debug, Clone, Copy, Default)]
struct Stamps {
    /// Its claims carry the ownerReferences the rule wants.
    in_line: bool,
    /// A live read found its claims present and not being deleted.
    present: bool,
}

fn address(object: &Arc<Value>) -> usize {
    Arc::as_ptr(object) as usize
}

/// The facts of the last sync, matched against this sync's owner walk.
/// Both are in name order, so in a sync after one pod changed every other
/// pod is the next entry: a merge by name, with no map of all the pods.
struct OldFacts<I: Iterator<Item = (PodFacts, Stamps)>> {
    in_order: std::iter::Peekable<I>,
    /// Entries passed over (a pod that left this walk, or moved to the
    /// other bucket of the owner index), by the address of their pod.
    passed: HashMap<usize, (PodFacts, Stamps)>,
}

impl<I: Iterator<Item = (PodFacts, Stamps)>> OldFacts<I> {
    /// The entry read from this very version of `pod`, if any.
    fn take(&mut self, pod: &Arc<Value>) -> Option<(PodFacts, Stamps)> {
        let at = address(pod);
        while let Some((next, _)) = self.in_order.peek() {
            if address(&next.pod) == at {
                return self.in_order.next();
            }
            match next.name.as_str().cmp(meta::name(pod)) {
                Ordering::Less => {
                    if let Some(entry) = self.in_order.next() {
                        self.passed.insert(address(&entry.0.pod), entry);
                    }
                }
                // An older version of this pod: its facts are read again.
                Ordering::Equal => {
                    self.in_order.next();
                    break;
                }
                Ordering::Greater => break,
            }
        }
        self.passed.remove(&at)
    }
}

/// One set's memo.
#[derive(Default)]
pub struct SetMemo {
    uid: String,
    /// The `spec.selector` the memo was read under, and its parsed form.
    selector: Value,
    parsed: Option<LabelSelector>,
    /// The set's pods, in name order.
    pods: Vec<PodFacts>,
    /// Per pod (same index): what is known of its claims.
    stamps: Vec<Stamps>,
    /// Pods of the owner walk that are not the set's (name or labels).
    skipped: Vec<Arc<Value>>,
    rule: Option<ClaimRule>,
    /// Claims of the set that changed since the last sync.
    changed_claims: Vec<String>,
    pub wanted: Option<Wanted>,
}

impl SetMemo {
    fn new(set: &Value) -> Self {
        let selector = meta::at(set, "/spec/selector").cloned().unwrap_or_default();
        SetMemo {
            uid: meta::uid(set).to_string(),
            parsed: pods::selector(set),
            selector,
            ..SetMemo::default()
        }
    }

    /// The set's pods as the cache has them now (upstream's
    /// `getPodsForStatefulSet`): picked by its selector, named `<set>-<ordinal>`, controlled by the set or
    /// by nothing; in name order.
    pub fn refresh(&mut self, cache: &Cache, set: &Value) -> &[PodFacts] {
        let selector = meta::at(set, "/spec/selector").unwrap_or(&Value::Null);
        if self.uid != meta::uid(set) || &self.selector != selector {
            *self = SetMemo::new(set);
        }
        let mut old = OldFacts {
            in_order: std::mem::take(&mut self.pods)
                .into_iter()
                .zip(std::mem::take(&mut self.stamps))
                .peekable(),
            passed: HashMap::new(),
        };
        let mut old_skipped: HashMap<usize, Arc<Value>> =
            self.skipped.drain(..).map(|p| (address(&p), p)).collect();
        let Some(selector) = &self.parsed else {
            return &self.pods;
        };
        let (namespace, name, uid) = (meta::namespace(set), meta::name(set), meta::uid(set));
        let mut picked = Vec::with_capacity(old.in_order.len() + 1);
        let walk = cache
            .owned_by("Pod", namespace, Some(uid))
            .chain(cache.owned_by("Pod", namespace, None));
        for pod in walk {
            let at = address(pod);
            if let Some(entry) = old.take(pod) {
                picked.push(entry);
            } else if let Some(pod) = old_skipped.remove(&at) {
                self.skipped.push(pod);
            } else if petctl_model::ordinal::of_pod(name, meta::name(pod)).is_some()
                && pods::selects(selector, pod)
            {
                picked.push((PodFacts::of(name, pod), Stamps::default()));
            } else {
                self.skipped.push(Arc::clone(pod));
            }
        }
        picked.sort_unstable_by(|a, b| a.0.name.cmp(&b.0.name));
        (self.pods, self.stamps) = picked.into_iter().unzip();
        &self.pods
    }

    pub fn pods(&self) -> &[PodFacts] {
        &self.pods
    }

    /// The pods to adopt: the set's, controlled by nothing, not dying.
    pub fn orphans(&self) -> Vec<Arc<Value>> {
        self.pods
            .iter()
            .filter(|p| !p.controlled && !p.dying)
            .map(|p| Arc::clone(&p.pod))
            .collect()
    }

    fn index_of(&self, pod_name: &str) -> Option<usize> {
        self.pods
            .binary_search_by(|p| p.name.as_str().cmp(pod_name))
            .ok()
    }

    /// `pod` is the version of one of the set's pods just written.
    pub fn rewritten(&mut self, set: &Value, pod: Arc<Value>) {
        if let Some(i) = self.index_of(meta::name(&pod)) {
            self.pods[i] = PodFacts::of(meta::name(set), &pod);
            self.stamps[i] = Stamps::default();
        }
    }

    /// A claim of the set changed (an event), or was read live: its pod's
    /// claims are asked about again.
    pub fn claim_changed(&mut self, claim: &str) {
        self.changed_claims.push(claim.to_string());
    }

    /// Pod `pod_name`'s claims are asked about again next sync.
    pub fn recheck(&mut self, pod_name: &str) {
        if let Some(i) = self.index_of(pod_name) {
            self.stamps[i] = Stamps::default();
        }
    }

    /// The Pending pods in range whose claims are to be made sure of
    /// (`createMissingPersistentVolumeClaims`), with their ordinals: those
    /// not found present since they and their claims last changed.
    pub fn to_prepare(&self, set: &Value) -> Vec<(String, i64)> {
        let wanted = super::wanted_ordinals(set);
        self.pods
            .iter()
            .zip(&self.stamps)
            .filter(|(p, stamps)| p.pending() && !stamps.present)
            .filter_map(|(p, _)| Some((p.name.clone(), p.ordinal.filter(|o| wanted.contains(o))?)))
            .collect()
    }

    /// Pod `pod_name`'s claims were just made sure of, live: remembers
    /// whether the cache, fresh from that read, has them all, none dying.
    pub fn prepared(&mut self, cache: &Cache, set: &Value, pod_name: &str) {
        let Some(i) = self.index_of(pod_name) else {
            return;
        };
        let Some(ordinal) = self.pods[i].ordinal else {
            return;
        };
        let namespace = meta::namespace(set);
        self.stamps[i].present = identity::claim_names(set, ordinal).iter().all(|claim| {
            cache
                .get(&Key::new("PersistentVolumeClaim", namespace, claim))
                .is_some_and(|c| !meta::is_deleting(c))
        });
    }

    /// The pods a changed claim `claim` (`<template>-<set>-<ordinal>`) is of.
    fn pods_of_claim(&self, set: &Value, claim: &str) -> Vec<usize> {
        template_names(set)
            .filter_map(|template| {
                let pet = claim.strip_prefix(template)?.strip_prefix('-')?;
                petctl_model::ordinal::of_pod(meta::name(set), pet)?;
                self.index_of(pet)
            })
            .collect()
    }

    /// The claims of the set's live pods whose ownerReferences are out of
    /// line with the retention policy, each as it should be written
    /// (`updateClaimOwnerRefForSetAndPod`); asks only about the pods whose
    /// answer may have changed since it was last yes.
    pub fn claims_to_fix(&mut self, cache: &Cache, set: &Value) -> Vec<Value> {
        if !self.rule.as_ref().is_some_and(|r| r.holds_for(set)) {
            self.rule = Some(ClaimRule::of(set));
            self.stamps.fill(Stamps::default());
        }
        for claim in std::mem::take(&mut self.changed_claims) {
            for i in self.pods_of_claim(set, &claim) {
                self.stamps[i] = Stamps::default();
            }
        }
        let wanted = super::wanted_ordinals(set);
        let namespace = meta::namespace(set);
        let mut fixes = Vec::new();
        for (pod, stamps) in self.pods.iter().zip(self.stamps.iter_mut()) {
            let Some(ordinal) = pod.ordinal.filter(|_| !stamps.in_line && !pod.dying) else {
                continue;
            };
            let condemned = !wanted.contains(&ordinal);
            let mut in_line = true;
            for claim in identity::claim_names(set, ordinal) {
                let key = Key::new("PersistentVolumeClaim", namespace, &claim);
                let Some(existing) = cache.get(&key) else {
                    in_line = false;
                    continue;
                };
                if meta::is_deleting(existing)
                    || identity::claim_owners_in_line(set, &pod.pod, condemned, existing)
                {
                    continue;
                }
                in_line = false;
                let refs = identity::claim_owner_refs(set, &pod.pod, condemned, existing);
                let mut next = existing.clone();
                next["metadata"]["ownerReferences"] = json!(refs);
                fixes.push(next);
            }
            stamps.in_line = in_line;
        }
        fixes
    }
}

#[cfg(test)]
#[path = "memo_tests.rs"]
mod tests;
