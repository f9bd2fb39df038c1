use super::*;
use crate::ops::resize::plan::TemplatePlan;

fn statefulset() -> Set {
    Set {
        kind: kinds::by_name("statefulset").unwrap(),
        object: json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "db", "uid": "u1", "resourceVersion": "9",
                         "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
                         "managedFields": [{}], "labels": {"tier": "db"},
                         "annotations": {"petctl.io/operation-lease": "L"}},
            "spec": {"replicas": 3,
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
                     "volumeClaimTemplates": [
                         {"metadata": {"name": "www"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}},
                          "status": {"phase": "Pending"}},
                         {"metadata": {"name": "logs"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]},
            "status": {"replicas": 3}
        }),
    }
}

#[test]
fn the_set_to_create_keeps_the_spec_and_grows_the_templates() {
    let plan = Plan {
        set: "statefulset.apps/web".into(),
        namespace: "db".into(),
        templates: vec![TemplatePlan {
            template: "www".into(),
            current: "1Gi".into(),
            new: "2Gi".into(),
        }],
        claims: vec![],
    };
    let object = desired(&statefulset(), &plan);
    assert_eq!(
        object["metadata"],
        json!({"name": "web", "namespace": "db", "labels": {"tier": "db"},
               "annotations": {"petctl.io/operation-lease": "L"}})
    );
    assert!(object.get("status").is_none());
    assert_eq!(
        object["spec"]["updateStrategy"]["rollingUpdate"]["partition"],
        1
    );
    let templates = &object["spec"]["volumeClaimTemplates"];
    assert_eq!(
        templates[0]["spec"]["resources"]["requests"]["storage"],
        "2Gi"
    );
    assert!(templates[0].get("status").is_none());
    assert_eq!(
        templates[1]["spec"]["resources"]["requests"]["storage"],
        "1Gi"
    );
    assert_eq!(
        (object["apiVersion"].clone(), object["kind"].clone()),
        (json!("apps/v1"), json!("StatefulSet"))
    );
}

#[test]
fn adoption_needs_every_pet_controlled_and_none_replaced() {
    let set = Set {
        kind: kinds::by_name("statefulset").unwrap(),
        object: json!({"metadata": {"name": "web", "uid": "new"}}),
    };
    let pet = |ordinal: i64, uid: &str, owner: Option<&str>| {
        let pod = json!({"metadata": {"uid": uid, "ownerReferences":
            owner.map(|o| vec![json!({"uid": o, "controller": true})]).unwrap_or_default()}});
        Pet::new(ordinal, format!("web-{ordinal}"), Some(pod), vec![])
    };
    let before = BTreeMap::from([
        ("web-0".to_string(), "p0".to_string()),
        ("web-1".to_string(), "p1".to_string()),
    ]);
    let orphaned = [pet(0, "p0", Some("new")), pet(1, "p1", None)];
    assert_eq!(
        adoption(&set, &orphaned, &before),
        None,
        "web-1 not adopted yet"
    );
    let adopted = [pet(0, "p0", Some("new")), pet(1, "p1", Some("new"))];
    assert_eq!(adoption(&set, &adopted, &before), Some(Ok(())));
    let replaced = [pet(0, "p0", Some("new")), pet(1, "p9", Some("new"))];
    let gone = [pet(0, "p0", Some("new"))];
    assert_eq!(
        adoption(&set, &gone, &before),
        Some(Err("web-1 was deleted or replaced (its pod p1)".into()))
    );
    assert_eq!(
        adoption(&set, &replaced, &before),
        Some(Err("web-1 was deleted or replaced (its pod p1)".into()))
    );
}
