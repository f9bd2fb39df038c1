//! The walk together must give what the two field sets give, on random
//! edits of real-shaped objects.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::typed::Typed;

fn pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "web-0",
            "labels": {"app": "web", "apps.kubernetes.io/pod-index": "0"},
            "finalizers": ["a", "b"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                 "name": "web", "uid": "u1", "controller": true}]
        },
        "spec": {
            "containers": [
                {"name": "nginx", "image": "nginx:1", "args": ["-g", "x"],
                 "ports": [{"containerPort": 80, "name": "web"}],
                 "env": [{"name": "A", "value": "1"}],
                 "resources": {}},
                {"name": "side", "image": "busybox"}
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}}],
            "nodeSelector": {"zone": "a"},
            "tolerations": [{"key": "k", "operator": "Exists"}]
        },
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "Ready", "status": "False"},
                           {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "nginx", "ready": false,
                                   "state": {"waiting": {"reason": "ContainerCreating"}}}]
        }
    })
}

fn statefulset() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                      "spec": {"accessModes": ["ReadWriteOnce"]}}]
        },
        "status": {"replicas": 1, "conditions": []}
    })
}

/// Every JSON pointer in `value`, parents first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// One edit at the `pick`-th pointer (the root is never replaced).
fn edit(value: &mut Value, pick: usize, op: u8, n: u8) {
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    if all.len() < 2 {
        return;
    }
    let at = &all[1 + pick % (all.len() - 1)];
    let (parent, last) = at.rsplit_once('/').unwrap();
    let Some(target) = value.pointer_mut(at) else {
        return;
    };
    match op % 8 {
        0 => *target = json!(format!("v{n}")),
        1 => *target = json!({}),
        2 => *target = json!([]),
        3 => *target = json!({"name": format!("n{}", n % 3), "type": "Ready", "x": n}),
        4 => match target {
            Value::Array(items) if !items.is_empty() => {
                let copy = items[n as usize % items.len()].clone();
                items.push(copy);
            }
            Value::Array(items) => items.push(json!(n)),
            Value::Object(map) => {
                map.insert(format!("k{}", n % 4), json!(n));
            }
            other => *other = json!(n.is_multiple_of(2)),
        },
        _ => {
            let parent = value.pointer_mut(parent).unwrap();
            match parent {
                Value::Object(map) => {
                    map.shift_remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Value::Array(items) => {
                    items.remove(last.parse::<usize>().unwrap());
                }
                _ => {}
            }
        }
    }
}

fn same_comparison(kind: &'static str, old: &Value, new: &Value) -> Result<(), TestCaseError> {
    let typed = Typed::new(kind);
    // The stored side has a field set (see the module's one difference).
    if typed.field_set(old).is_err() {
        return Ok(());
    }
    let walked = typed.compare(old, new);
    let by_sets = typed.compare_by_sets(old, new);
    match (&walked, &by_sets) {
        // Both refuse: the first error found may differ.
        (Err(_), Err(_)) => Ok(()),
        _ => {
            prop_assert_eq!(walked, by_sets, "old {}\nnew {}", old, new);
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn walking_both_objects_gives_what_their_field_sets_give(
        edits in prop::collection::vec((0usize..400, 0u8..8, 0u8..12), 1..6),
        base in 0u8..2,
    ) {
        let (kind, old) = if base == 0 { ("Pod", pod()) } else { ("StatefulSet", statefulset()) };
        let mut new = old.clone();
        for (pick, op, n) in &edits {
            edit(&mut new, *pick, *op, *n);
        }
        same_comparison(kind, &old, &new)?;
        same_comparison(kind, &new, &old)?;
        // And from an edited object to a further edited one.
        let mut newer = new.clone();
        for (pick, op, n) in edits.iter().rev() {
            edit(&mut newer, pick.wrapping_mul(7), op.wrapping_add(3), n.wrapping_add(1));
        }
        same_comparison(kind, &new, &newer)?;
    }
}

#[test]
fn an_unchanged_object_changes_nothing_and_one_condition_is_one_path() {
    let typed = Typed::new("Pod");
    let old = pod();
    assert_eq!(typed.compare(&old, &old).unwrap(), Default::default());
    let mut new = old.clone();
    new["status"]["conditions"][0]["status"] = json!("True");
    let diff = typed.compare(&old, &new).unwrap();
    assert_eq!(
        diff.modified.paths(),
        vec![vec![
            "f:status".to_string(),
            "f:conditions".to_string(),
            "k:{\"type\":\"Ready\"}".to_string(),
            "f:status".to_string(),
        ]]
    );
    assert!(diff.added.is_empty() && diff.removed.is_empty());
}
