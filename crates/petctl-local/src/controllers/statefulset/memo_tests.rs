//! The memo against a from-scratch sync: a long random run of pod, claim
//! and set changes (seeded; the seed is printed, `PETCTL_TEST_SEED` replays
//! one), after each of which the kept facts, plan, claim fixes and wanted
//! revision must equal those computed from the cache alone.

use std::time::SystemTime;

use serde_json::json;

use super::*;
use crate::controllers::cache::controller_uid;
use crate::controllers::statefulset::plan::{self, View};
use crate::controllers::statefulset::revision;

/// xorshift64*: enough randomness for a replayable run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct World {
    rng: Rng,
    cache: Cache,
    set: Value,
    revision: u64,
}

const NS: &str = "default";

impl World {
    fn rv(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    fn uid(&self) -> String {
        meta::uid(&self.set).to_string()
    }

    fn random_pod(&mut self) -> Value {
        let rng = &mut self.rng;
        let name = match rng.below(10) {
            0 => "web-x".to_string(),
            1 => "other-1".to_string(),
            _ => format!("web-{}", rng.below(12)),
        };
        let owner = match rng.below(6) {
            0 | 1 => json!([]),
            2 => json!([{"uid": "someone-else", "controller": true}]),
            3 => json!([{"uid": "gone-set", "controller": true}, {"uid": "x"}]),
            _ => json!([{"uid": meta::uid(&self.set), "controller": true, "kind": "StatefulSet"}]),
        };
        let app = *rng.pick(&["web", "web", "web", "db"]);
        let phase = *rng.pick(&["Pending", "Running", "Running", "Failed"]);
        let ready = *rng.pick(&["True", "False"]);
        let since = *rng.pick(&["2026-01-01T00:00:00Z", "2026-01-01T00:00:59Z"]);
        let mut pod = json!({"metadata": {
                "name": name, "namespace": NS, "uid": format!("p-{name}-{}", rng.below(2)),
                "labels": {"app": app, "controller-revision-hash": rng.pick(&["web-a", "web-b"])},
                "ownerReferences": owner},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": ready, "lastTransitionTime": since}]}});
        if rng.below(8) == 0 {
            pod["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:01:00Z");
        }
        pod["metadata"]["resourceVersion"] = json!(self.rv());
        pod
    }

    fn random_claim(&mut self) -> Value {
        let k = self.rng.below(12);
        let pod = format!("web-{k}");
        let pod_uid = format!("p-{pod}-{}", self.rng.below(2));
        let set_ref = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                             "uid": meta::uid(&self.set)});
        let pod_ref = json!({"apiVersion": "v1", "kind": "Pod", "name": pod, "uid": pod_uid});
        let other = json!({"apiVersion": "v1", "kind": "Thing", "name": "t", "uid": "t1"});
        let refs = match self.rng.below(6) {
            0 => json!([]),
            1 => json!([set_ref]),
            2 => json!([pod_ref]),
            3 => json!([other, set_ref]),
            4 => json!([set_ref, pod_ref]),
            _ => json!([other]),
        };
        let template = *self.rng.pick(&["data", "data", "logs"]);
        let mut claim = json!({"metadata": {"name": format!("{template}-{pod}"), "namespace": NS,
                                            "uid": "c", "ownerReferences": refs}});
        if self.rng.below(8) == 0 {
            claim["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:01:00Z");
        }
        claim["metadata"]["resourceVersion"] = json!(self.rv());
        claim
    }

    fn change_set(&mut self) {
        let rng = &mut self.rng;
        let spec = &mut self.set["spec"];
        match rng.below(9) {
            0 => spec["replicas"] = json!(rng.below(11)),
            1 => spec["ordinals"] = json!({"start": rng.below(3)}),
            2 => {
                spec["persistentVolumeClaimRetentionPolicy"] = json!({
                    "whenDeleted": rng.pick(&["Retain", "Delete"]),
                    "whenScaled": rng.pick(&["Retain", "Delete"])})
            }
            3 => spec["template"]["spec"]["containers"][0]["image"] = json!(rng.pick(&["a", "b"])),
            4 => spec["podManagementPolicy"] = json!(rng.pick(&["OrderedReady", "Parallel"])),
            5 => {
                let names: &[&[&str]] = &[&["data"], &["data", "logs"], &[]];
                let templates: Vec<Value> = rng
                    .pick(names)
                    .iter()
                    .map(|n| json!({"metadata": {"name": n}}))
                    .collect();
                spec["volumeClaimTemplates"] = json!(templates);
            }
            6 => self.set["status"]["collisionCount"] = json!(rng.below(2)),
            7 => self.set["metadata"]["annotations"] = json!({"note": rng.pick(&["x", "y"])}),
            _ => {
                // Recreated (a new uid), or a selector edit.
                if rng.below(2) == 0 {
                    self.set["metadata"]["uid"] = json!(format!("s{}", rng.below(3)));
                } else {
                    spec["selector"] = json!({"matchLabels": {"app": rng.pick(&["web", "db"])}});
                }
            }
        }
    }
}

impl World {
    /// One change, as an event (or the controller's own write) makes it.
    fn change(&mut self, memo: &mut SetMemo, fixed: &mut usize) {
        match self.rng.below(14) {
            0..=4 => {
                let pod = self.random_pod();
                self.cache.put("Pod", pod);
            }
            5 => {
                let name = format!("web-{}", self.rng.below(12));
                self.cache.remove(&Key::new("Pod", NS, &name));
            }
            6..=7 => {
                // A claim event, which the runner's observe passes on.
                let claim = self.random_claim();
                memo.claim_changed(meta::name(&claim));
                self.cache.put("PersistentVolumeClaim", claim);
            }
            8 => {
                let name = format!("data-web-{}", self.rng.below(12));
                self.cache
                    .remove(&Key::new("PersistentVolumeClaim", NS, &name));
                memo.claim_changed(&name);
            }
            9 => {
                // A live read of a pending pet's claims (no event yet).
                let mut claim = self.random_claim();
                claim["metadata"]["name"] = json!("data-web-3");
                self.cache.put("PersistentVolumeClaim", claim);
                memo.recheck("web-3");
            }
            10..=11 => self.change_set(),
            _ => {
                // The controller's own writes: adoption and claim fixes,
                // which come back as no news.
                memo.refresh(&self.cache, &self.set);
                for orphan in memo.orphans() {
                    let mut adopted = Value::clone(&orphan);
                    adopted["metadata"]["ownerReferences"] =
                        json!([{"uid": self.uid(), "controller": true}]);
                    adopted["metadata"]["resourceVersion"] = json!(self.rv());
                    self.cache.put("Pod", adopted.clone());
                    memo.rewritten(&self.set, Arc::new(adopted));
                }
                for mut claim in memo.claims_to_fix(&self.cache, &self.set) {
                    claim["metadata"]["resourceVersion"] = json!(self.rv());
                    self.cache.put("PersistentVolumeClaim", claim);
                    *fixed += 1;
                }
                // The live read of Pending pets' claims, which creates
                // the missing ones.
                for (name, ordinal) in memo.to_prepare(&self.set) {
                    memo.recheck(&name);
                    for claim in identity::claim_names(&self.set, ordinal) {
                        let key = Key::new("PersistentVolumeClaim", NS, &claim);
                        if self.cache.get(&key).is_none() {
                            let rv = self.rv();
                            self.cache.put("PersistentVolumeClaim", json!({"metadata": {
                                "name": claim, "namespace": NS, "uid": "c", "resourceVersion": rv}}));
                        }
                    }
                    memo.prepared(&self.cache, &self.set, &name);
                }
            }
        }
    }
}

fn set() -> Value {
    json!({"metadata": {"name": "web", "namespace": NS, "uid": "s0", "generation": 2},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                 "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate"},
                 "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "a"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}})
}

/// The set's pods, read from the whole namespace, as a sync without a memo.
fn scratch_pods(cache: &Cache, set: &Value) -> Vec<PodFacts> {
    let Some(selector) = pods::selector(set) else {
        return Vec::new();
    };
    let mut found: Vec<PodFacts> = cache
        .list("Pod", Some(NS))
        .filter(|p| controller_uid(p).is_none_or(|uid| uid == meta::uid(set)))
        .filter(|p| petctl_model::ordinal::of_pod("web", meta::name(p)).is_some())
        .filter(|p| pods::selects(&selector, p))
        .map(|p| PodFacts::of("web", &Arc::new(p.clone())))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Every out-of-line claim of the set's live pods, asked about afresh.
fn scratch_fixes(cache: &Cache, set: &Value, pods: &[PodFacts]) -> Vec<Value> {
    let wanted = crate::controllers::statefulset::wanted_ordinals(set);
    let mut fixes = Vec::new();
    for pod in pods.iter().filter(|p| !p.dying) {
        let ordinal = pod.ordinal.expect("a set's pod has an ordinal");
        for claim in identity::claim_names(set, ordinal) {
            let Some(existing) = cache.get(&Key::new("PersistentVolumeClaim", NS, &claim)) else {
                continue;
            };
            let condemned = !wanted.contains(&ordinal);
            if meta::is_deleting(existing)
                || identity::claim_owners_in_line(set, &pod.pod, condemned, existing)
            {
                continue;
            }
            let mut next = existing.clone();
            next["metadata"]["ownerReferences"] = json!(identity::claim_owner_refs(
                set, &pod.pod, condemned, existing
            ));
            fixes.push(next);
        }
    }
    fixes
}

fn plan_of(set: &Value, pods: &[PodFacts], now: SystemTime) -> plan::Plan {
    plan::plan(&View {
        set,
        pods,
        current_revision: "web-a",
        update_revision: "web-b",
        now,
    })
}

#[test]
fn the_memo_never_disagrees_with_a_sync_from_scratch() {
    let seed = std::env::var("PETCTL_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("memo run seed: {seed} (replay with PETCTL_TEST_SEED={seed})");
    let mut world = World {
        rng: Rng(seed),
        // The kinds the controller's own cache watches: a cache follows
        // only those.
        cache: Cache::watching(
            <crate::controllers::statefulset::StatefulSetController as crate::controllers::runner::Reconciler>::KINDS,
        ),
        set: set(),
        revision: 0,
    };
    let now = petctl_model::time::parse_system("2026-01-01T00:01:00Z").unwrap();
    let mut memo = SetMemo::default();
    let (mut fixed, mut rebuilt, mut skipped) = (0, 0, 0);
    for step in 0..4_000 {
        // One to three changes between syncs.
        for _ in 0..=world.rng.below(3) {
            world.change(&mut memo, &mut fixed);
        }
        let set = world.set.clone();
        let from_scratch = scratch_pods(&world.cache, &set);
        let kept = memo.refresh(&world.cache, &set).to_vec();
        assert_eq!(kept, from_scratch, "step {step}, seed {seed}: pod facts");
        assert_eq!(
            plan_of(&set, &kept, now),
            plan_of(&set, &from_scratch, now),
            "step {step}, seed {seed}: plan and status"
        );
        let fixes = memo.claims_to_fix(&world.cache, &set);
        let expected = scratch_fixes(&world.cache, &set, &from_scratch);
        assert_eq!(fixes, expected, "step {step}, seed {seed}: claim owners");
        // A Pending pet left out of the live read has its claims, none dying.
        let to_prepare = memo.to_prepare(&set);
        let wanted_ordinals = crate::controllers::statefulset::wanted_ordinals(&set);
        for pod in from_scratch.iter().filter(|p| p.pending()) {
            let ordinal = pod.ordinal.expect("a set's pod has an ordinal");
            if !wanted_ordinals.contains(&ordinal) || to_prepare.iter().any(|(n, _)| *n == pod.name)
            {
                continue;
            }
            skipped += 1;
            for claim in identity::claim_names(&set, ordinal) {
                let held = world
                    .cache
                    .get(&Key::new("PersistentVolumeClaim", NS, &claim));
                assert!(
                    held.is_some_and(|c| !meta::is_deleting(c)),
                    "step {step}, seed {seed}: {claim} of Pending {} left unread",
                    pod.name
                );
            }
        }
        let collisions = meta::int_at(&set, "/status/collisionCount").unwrap_or(0);
        let before = memo.wanted.as_ref().map(|w| w.revision.clone());
        let wanted = revision::Wanted::of(&mut memo.wanted, &set, collisions).clone();
        rebuilt += usize::from(before.as_ref() != Some(&wanted));
        assert_eq!(
            wanted,
            revision::new_revision(&set, 0, collisions),
            "step {step}, seed {seed}: wanted revision"
        );
    }
    assert!(
        fixed > 0 && rebuilt > 0 && skipped > 0,
        "the run exercised fixes ({fixed}), rebuilds ({rebuilt}) and skipped reads ({skipped})"
    );
}
