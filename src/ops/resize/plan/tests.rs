use super::*;
use crate::kinds;
use serde_json::json;

fn set(replicas: i64) -> Set {
    Set {
        kind: kinds::by_name("statefulset").unwrap(),
        object: json!({"metadata": {"name": "web", "namespace": "default"},
                       "spec": {"replicas": replicas, "volumeClaimTemplates": [
                           {"metadata": {"name": "www"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]}}),
    }
}

fn claim(name: &str, request: &str, capacity: &str, class: &str) -> Value {
    json!({"metadata": {"name": name}, "spec": {"storageClassName": class, "resources": {"requests": {"storage": request}}},
           "status": {"phase": "Bound", "capacity": {"storage": capacity}}})
}

fn classes(expand: bool) -> BTreeMap<String, Value> {
    BTreeMap::from([(
        "standard".to_string(),
        json!({"metadata": {"name": "standard"}, "allowVolumeExpansion": expand}),
    )])
}

#[test]
fn sizes_parse_as_quantities() {
    let change = SizeChange::parse("www=1500Mi").unwrap();
    assert_eq!(change.template, "www");
    assert!(change.bytes > 1024f64.powi(3), "1500Mi is more than 1Gi");
    for bad in ["www", "=2Gi", "www=", "www=lots", "www=-1Gi", "www=0"] {
        assert!(SizeChange::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn each_claim_gets_an_action() {
    // NAME REQUEST CAPACITY: the claims of web and of others in the namespace.
    let claims: Vec<Value> = "www-web-0 2Gi 2Gi
        www-web-1 2Gi 1Gi
        www-web-2 1Gi 1Gi
        www-web-3 1Gi 1Gi
        www-other-0 1Gi 1Gi
        data-web-0 1Gi 1Gi"
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            claim(fields[0], fields[1], fields[2], "standard")
        })
        .collect();
    let sizes = [SizeChange::parse("www=2048Mi").unwrap()];
    let plan = plan(&set(3), &sizes, &claims, &classes(true), false).unwrap();
    let actions: Vec<(&str, Action)> = plan
        .claims
        .iter()
        .map(|c| (c.claim.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("www-web-0", Action::Done),
            ("www-web-1", Action::Await),
            ("www-web-2", Action::Resize),
            ("www-web-3", Action::Retained),
        ]
    );
    assert!(plan.swaps());
    let all = super::plan(&set(3), &sizes, &claims, &classes(true), true).unwrap();
    assert_eq!(all.claims[3].action, Action::Resize);
}

#[test]
fn refusals() {
    let claims = [claim("www-web-0", "1Gi", "1Gi", "standard")];
    let two = [SizeChange::parse("www=2Gi").unwrap()];
    let err = plan(&set(1), &two, &claims, &classes(false), false).unwrap_err();
    assert_eq!(err.to_string(), "cannot resize claim \"www-web-0\": its StorageClass \"standard\" does not allow volume expansion (allowVolumeExpansion is not true); nothing was changed");
    let err = plan(&set(1), &two, &claims, &BTreeMap::new(), false).unwrap_err();
    assert!(
        err.to_string().contains("\"standard\" does not exist"),
        "{err}"
    );
    let less = [SizeChange::parse("www=1000Mi").unwrap()];
    let err = plan(&set(1), &less, &claims, &classes(true), false).unwrap_err();
    assert_eq!(err.to_string(), "cannot shrink volumeClaimTemplate \"www\" of statefulset \"web\" from 1Gi to 1000Mi: volumes only grow");
    let unknown = [SizeChange::parse("wwv=2Gi").unwrap()];
    let err = plan(&set(1), &unknown, &claims, &classes(true), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "statefulset \"web\" has no volumeClaimTemplate \"wwv\"; did you mean \"www\"?"
    );
    // The same size again: a resume, the template kept, no swap.
    let same = [SizeChange::parse("www=1Gi").unwrap()];
    let done = plan(&set(1), &same, &claims, &classes(false), false).unwrap();
    assert!(!done.swaps());
    assert_eq!(done.claims[0].action, Action::Done);
}
