//! The registry's writes: a PATCH is decoded and validated before it is
//! committed, a rejected write leaves the object and its resourceVersion as
//! they were, and a write that changes nothing stores nothing.

use super::*;
use petctl_model::kinds::by_name;

pub(super) fn registry() -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    let registry = Registry::new(store);
    registry.bootstrap().unwrap();
    (dir, registry)
}

fn web(registry: &Registry) -> Target {
    let sts = by_name("sts").unwrap();
    let body = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {"serviceName": "nginx", "replicas": 0,
                 "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}
    });
    registry
        .create(sts, "default", body, WriteOptions::default())
        .unwrap();
    Target {
        kind: sts,
        namespace: "default".into(),
        name: "web".into(),
    }
}

fn mode(field_validation: FieldValidation) -> WriteOptions {
    WriteOptions {
        field_validation,
        ..WriteOptions::default()
    }
}

#[test]
fn rejected_patches_change_nothing() {
    let (_dir, registry) = registry();
    let target = web(&registry);
    let before = registry.get(&target).unwrap();
    let cases: [(Option<&str>, PatchType, &str, u16); 6] = [
        (None, PatchType::Merge, r#"{"spec":{"foo":1}}"#, 422),
        (None, PatchType::Merge, r#"{"spec":{"replicas":"3"}}"#, 422),
        (
            None,
            PatchType::Json,
            r#"[{"op":"replace","path":"/spec/serviceName","value":"x"}]"#,
            422,
        ),
        (
            Some("status"),
            PatchType::StrategicMerge,
            r#"{"status":{"replicas":"x"}}"#,
            422,
        ),
        (
            Some("scale"),
            PatchType::Merge,
            r#"{"spec":{"replicas":"x"}}"#,
            422,
        ),
        (
            Some("scale"),
            PatchType::Merge,
            r#"{"metadata":{"name":"other"}}"#,
            400,
        ),
    ];
    for (sub, patch_type, body, code) in cases {
        let err = registry
            .patch(
                &target,
                sub,
                patch_type,
                body.as_bytes(),
                mode(FieldValidation::Strict),
            )
            .unwrap_err();
        assert_eq!(err.code, code, "{sub:?} {body}: {}", err.message);
        assert_eq!(registry.get(&target).unwrap(), before, "{sub:?} {body}");
    }
}

#[test]
fn strict_unknown_fields_name_the_field_and_warn_drops_them() {
    let (_dir, registry) = registry();
    let target = web(&registry);
    let before = registry.get(&target).unwrap();
    let patch = |patch_type, validation| {
        let body = br#"{"spec":{"foo":1}}"#;
        registry.patch(&target, None, patch_type, body, mode(validation))
    };
    let err = patch(PatchType::StrategicMerge, FieldValidation::Strict).unwrap_err();
    assert_eq!((err.code, err.reason), (422, "Invalid"));
    assert_eq!(
        err.message,
        " \"\" is invalid: patch: Invalid value: \"map[spec:map[foo:1]]\": strict decoding error: unknown field \"spec.foo\""
    );
    let warned = patch(PatchType::StrategicMerge, FieldValidation::Warn).unwrap();
    assert_eq!(warned.warnings, ["unknown field \"spec.foo\""]);
    assert_eq!(warned.object, before, "dropped, so nothing changed");
    let ignored = patch(PatchType::Merge, FieldValidation::Ignore).unwrap();
    assert!(ignored.warnings.is_empty());
    assert_eq!(registry.get(&target).unwrap(), before);
}

#[test]
fn a_write_that_changes_nothing_keeps_the_resource_version() {
    let (_dir, registry) = registry();
    let target = web(&registry);
    let before = registry.get(&target).unwrap();
    let merge = |body: &str| {
        let options = WriteOptions::default();
        registry.patch(&target, None, PatchType::Merge, body.as_bytes(), options)
    };
    let same = merge(r#"{"spec":{"replicas":0}}"#).unwrap();
    assert_eq!(same.object, before);
    let put = registry
        .update(&target, None, before.clone(), WriteOptions::default())
        .unwrap();
    assert_eq!(put.object, before);
    let changed = merge(r#"{"spec":{"replicas":2}}"#).unwrap();
    assert_ne!(
        meta::resource_version(&changed.object),
        meta::resource_version(&before)
    );
}

#[test]
fn claims_and_volumes_are_created_with_their_protection() {
    let (_dir, registry) = registry();
    let claim = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "www-web-0"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    let created = registry
        .create(
            by_name("pvc").unwrap(),
            "default",
            claim,
            WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        created.object["metadata"]["finalizers"],
        json!([admission::PVC_PROTECTION])
    );
    let target = Target {
        kind: by_name("pvc").unwrap(),
        namespace: "default".into(),
        name: "www-web-0".into(),
    };
    let pending = registry
        .delete(&target, &DeleteOptions::default(), WriteOptions::default())
        .unwrap();
    assert!(matches!(pending, Deleted::Pending(_)), "{pending:?}");
    assert!(meta::is_deleting(&registry.get(&target).unwrap()));
}
