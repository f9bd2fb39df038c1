//! The disruption controller, after `pkg/controller/disruption/disruption.go`:
//! keeps every PodDisruptionBudget's status (healthy, desired and expected
//! pods, disruptions allowed, the evictions not yet seen through, the
//! DisruptionAllowed condition) in step with its pods and their
//! StatefulSet's or PetSet's scale. The eviction subresource reads that
//! status to admit or refuse an eviction.

pub mod budget;

use std::time::{Instant, SystemTime};

use serde_json::Value;

use self::budget::{Counts, Scales};
use super::cache::{Cache, Key};
use super::events;
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::meta;

const PDB: &str = "PodDisruptionBudget";
/// The event source upstream's disruption controller records under.
const COMPONENT: &str = "controllermanager";

/// The pods of the budget's namespace its selector picks.
pub fn pods_of<'a>(cache: &'a Cache, pdb: &'a Value) -> Vec<&'a Value> {
    let Some(selector) = budget::selector(pdb) else {
        return Vec::new();
    };
    cache
        .list("Pod", Some(meta::namespace(pdb)))
        .filter(|pod| selector.matches_json(pod.pointer("/metadata/labels")))
        .collect()
}

/// The scale finders: StatefulSets (`getPodStatefulSet`) and, for
/// petctl's own kind, PetSets; the controller must have the uid the
/// pod's ownerReference names.
struct CachedScales<'a>(&'a Cache);

impl Scales for CachedScales<'_> {
    fn replicas(&self, namespace: &str, owner: &Value) -> Option<i64> {
        let kind = match (
            meta::str_at(owner, "/apiVersion"),
            meta::str_at(owner, "/kind"),
        ) {
            ("apps/v1", "StatefulSet") => "StatefulSet",
            ("apps/v1alpha1", "PetSet") => "PetSet",
            _ => return None,
        };
        let set = self
            .0
            .get(&Key::new(kind, namespace, meta::str_at(owner, "/name")))?;
        if meta::uid(set) != meta::str_at(owner, "/uid") {
            return None;
        }
        Some(
            set.pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1),
        )
    }
}

/// A `*metav1.LabelSelector` as Go's `%v` prints it (its generated
/// `String`), for the UnmanagedPods message.
fn go_selector(selector: &Value) -> String {
    let labels: String = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {},", v.as_str().unwrap_or("")))
        .collect();
    let requirements: Vec<String> = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let values: Vec<&str> = r["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                r["key"].as_str().unwrap_or(""),
                r["operator"].as_str().unwrap_or(""),
                values.join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{}}},}}",
        requirements.concat()
    )
}

/// Why a sync failed: a write that raced (retried), or a count that could
/// not be made (the budget fails safe).
enum SyncError {
    Api(ApiError),
    Count(String),
}

#[derive(Default)]
pub struct DisruptionController;

impl DisruptionController {
    /// `trySync`: the status the budget's pods call for, written if it
    /// differs; the next reconcile is due when a pending eviction times out.
    fn try_sync(ctx: &mut Ctx, pdb: &Value) -> Result<Next, SyncError> {
        let now = SystemTime::now();
        let (expected, counts, recheck, expired) = {
            let pods = pods_of(&ctx.cache, pdb);
            let expected = budget::expected(pdb, &pods, &CachedScales(&ctx.cache))
                .map_err(SyncError::Count)?;
            let (disrupted, recheck, expired) = budget::disrupted_pods(pdb, &pods, now);
            let counts = Counts {
                current_healthy: budget::current_healthy(&pods, &disrupted, now),
                desired_healthy: expected.desired_healthy,
                expected_pods: expected.expected_pods,
                disrupted,
            };
            (expected, counts, recheck, expired)
        };
        let next = match recheck.and_then(|at| at.duration_since(now).ok()) {
            Some(wait) => Next::At(Instant::now() + wait),
            None => Next::Done,
        };
        if budget::up_to_date(pdb, &counts) {
            return Ok(next);
        }
        // Upstream records these on every sync and lets the recorder fold
        // repeats; the local recorder does not fold, so they come with a
        // status change only.
        if counts.expected_pods == 0 && pods_of(&ctx.cache, pdb).is_empty() {
            events::normal(
                ctx,
                pdb,
                COMPONENT,
                "NoPods",
                "No matching pods found".into(),
            );
        }
        if !expected.unmanaged.is_empty() {
            let selector = go_selector(pdb.pointer("/spec/selector").unwrap_or(&Value::Null));
            events::warning(ctx, pdb, COMPONENT, "UnmanagedPods", format!(
                "Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."
            ));
        }
        for pod in expired {
            let involved = ctx
                .cache
                .get(&Key::new("Pod", meta::namespace(pdb), &pod))
                .cloned();
            if let Some(involved) = involved {
                // Upstream's message names the namespace twice.
                let ns = meta::namespace(pdb);
                events::warning(
                    ctx,
                    &involved,
                    COMPONENT,
                    "NotDeleted",
                    format!("Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't"),
                );
            }
        }
        let mut next_pdb = pdb.clone();
        next_pdb["status"] = budget::status(pdb, &counts, &meta::now());
        ctx.update_status(PDB, next_pdb).map_err(SyncError::Api)?;
        Ok(next)
    }

    /// `failSafe`: a budget whose count failed allows no disruption.
    fn fail_safe(ctx: &mut Ctx, pdb: &Value, error: &str) -> Result<Next, ApiError> {
        let mut next_pdb = pdb.clone();
        next_pdb["status"] = budget::fail_safe(&pdb["status"], error, &meta::now());
        if next_pdb["status"] != pdb["status"] {
            ctx.update_status(PDB, next_pdb)?;
        }
        Ok(Next::Done)
    }
}

impl Reconciler for DisruptionController {
    const NAME: &'static str = "disruption-controller";
    const KINDS: &'static [&'static str] = &[PDB, "Pod", "StatefulSet", "PetSet"];
    const PRIMARY: &'static [&'static str] = &[PDB];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            PDB => vec![Key::of(PDB, object)],
            "Pod" => cache.keys_where(PDB, Some(meta::namespace(object)), |pdb| {
                budget::selector(pdb)
                    .is_some_and(|s| s.matches_json(object.pointer("/metadata/labels")))
            }),
            _ => cache.keys_where(PDB, Some(meta::namespace(object)), |_| true),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(pdb) = ctx.cache.get(key).cloned() else {
            return Ok(Next::Done);
        };
        match Self::try_sync(ctx, &pdb) {
            Ok(next) => Ok(next),
            // A conflict is retried without failing safe.
            Err(SyncError::Api(err)) => Err(err),
            Err(SyncError::Count(error)) => {
                events::warning(
                    ctx,
                    &pdb,
                    COMPONENT,
                    "CalculateExpectedPodCountFailed",
                    format!("Failed to calculate the number of expected pods: {error}"),
                );
                Self::fail_safe(ctx, &pdb, &error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_print_as_go_prints_them() {
        assert_eq!(
            go_selector(&json!({"matchLabels": {"app": "web"}})),
            "&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}"
        );
        assert_eq!(
            go_selector(&json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]})),
            "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[a b],},},}"
        );
    }

    #[test]
    fn scales_need_the_owner_uid() {
        let mut cache = Cache::watching(&["StatefulSet", "PetSet"]);
        cache.put(
            "StatefulSet",
            json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "1"},
                   "spec": {"replicas": 4}}),
        );
        let owner = |uid: &str| json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid});
        assert_eq!(
            CachedScales(&cache).replicas("default", &owner("u1")),
            Some(4)
        );
        assert_eq!(CachedScales(&cache).replicas("default", &owner("u2")), None);
        cache.put(
            "PetSet",
            json!({"metadata": {"name": "db", "namespace": "default", "uid": "p1", "resourceVersion": "2"},
                   "spec": {"replicas": 2}}),
        );
        let pet_set =
            json!({"apiVersion": "apps/v1alpha1", "kind": "PetSet", "name": "db", "uid": "p1"});
        assert_eq!(CachedScales(&cache).replicas("default", &pet_set), Some(2));
    }
}
