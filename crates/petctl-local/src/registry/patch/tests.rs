use super::*;
use serde_json::json;

fn statefulset() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "resourceVersion": "7",
            "labels": {"app": "nginx", "tier": "web"},
            "finalizers": ["a.example.com/keep"]
        },
        "spec": {
            "replicas": 2,
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx-slim:0.8",
                            "ports": [{"containerPort": 80, "name": "web"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]
                        },
                        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "3600"]}
                    ],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "volumes": [{"name": "cache", "emptyDir": {}}]
                }
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
            ]
        }
    })
}

fn container<'a>(object: &'a Value, name: &str) -> &'a Value {
    object["spec"]["template"]["spec"]["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or(&Value::Null)
}

fn container_names(object: &Value) -> Vec<String> {
    object["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn smp(patch: Value) -> Result<Value, PatchError> {
    apply_strategic_merge_patch(&statefulset(), patch.to_string().as_bytes(), "StatefulSet")
}

#[test]
fn json_patches() {
    let image = "/spec/template/spec/containers/0/image";
    let ok = apply_json_patch(
        &statefulset(),
        json!([
            {"op": "test", "path": image, "value": "nginx-slim:0.8"},
            {"op": "replace", "path": image, "value": "nginx-slim:0.9"},
            {"op": "add", "path": "/metadata/labels/track", "value": "canary"},
            {"op": "remove", "path": "/spec/template/spec/tolerations"}
        ])
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(ok.pointer(image), Some(&json!("nginx-slim:0.9")));
    assert_eq!(ok["metadata"]["labels"]["track"], "canary");
    assert!(ok.pointer("/spec/template/spec/tolerations").is_none());

    let cases: &[(&str, PatchError)] = &[
        (
            r#"[{"op":"test","path":"/spec/template/spec/containers/0/image","value":"nginx-slim:0.7"},{"op":"replace","path":"/spec/replicas","value":5}]"#,
            PatchError::Unprocessable(
                "testing value /spec/template/spec/containers/0/image failed: test failed".into(),
            ),
        ),
        (
            r#"[{"op":"remove","path":"/spec/nothing"}]"#,
            PatchError::Unprocessable(
                "remove operation does not apply: doc is missing path: \"/spec/nothing\": missing value".into(),
            ),
        ),
        (
            r#"[{"op":"move","from":"/spec/nothing","path":"/spec/x"}]"#,
            PatchError::Unprocessable(
                "move operation does not apply: doc is missing from path: \"/spec/nothing\": missing value".into(),
            ),
        ),
    ];
    for (patch, want) in cases {
        let err = apply_json_patch(&statefulset(), patch.as_bytes()).unwrap_err();
        assert_eq!(&err, want, "{patch}");
        assert_eq!(err.http_status(), 422);
        assert_eq!(err.reason(), "Invalid");
        assert_eq!(err.status_message(), UNPROCESSABLE_MESSAGE);
    }
    for patch in [
        "{",
        r#"{"op":"add"}"#,
        r#"[{"op":"frobnicate","path":"/a"}]"#,
    ] {
        let err = apply_json_patch(&statefulset(), patch.as_bytes()).unwrap_err();
        assert_eq!(err.http_status(), 400, "{patch}: {err}");
    }
    let many: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
        .map(|_| json!({"op": "test", "path": "/kind", "value": "StatefulSet"}))
        .collect();
    let err =
        apply_json_patch(&statefulset(), Value::Array(many).to_string().as_bytes()).unwrap_err();
    assert_eq!(err.http_status(), 413);
    assert_eq!(
        err.status_message(),
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    );
}

#[test]
fn merge_patches_as_kubectl_sends_them() {
    let original = statefulset();
    // kubectl label sts web track=canary app-
    let labeled = apply_merge_patch(
        &original,
        br#"{"metadata":{"labels":{"app":null,"track":"canary"}}}"#,
    )
    .unwrap();
    let keys: Vec<&String> = labeled["metadata"]["labels"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["tier", "track"]);
    // kubectl annotate --resource-version=7 sts web note=x
    let annotated = apply_merge_patch(
        &original,
        br#"{"metadata":{"annotations":{"note":"x"},"resourceVersion":"7"}}"#,
    )
    .unwrap();
    assert_eq!(annotated["metadata"]["annotations"], json!({"note": "x"}));
    assert_eq!(annotated["metadata"]["resourceVersion"], "7");
    // Field order of the object is kept.
    let top: Vec<&String> = annotated["metadata"].as_object().unwrap().keys().collect();
    assert_eq!(
        top,
        [
            "name",
            "namespace",
            "resourceVersion",
            "labels",
            "finalizers",
            "annotations"
        ]
    );
    // kubectl scale sts web --replicas=5 patches the scale subresource.
    let scale = json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web"}, "spec": {"replicas": 2}, "status": {"replicas": 2}});
    let scaled = apply_merge_patch(&scale, br#"{"spec":{"replicas":5}}"#).unwrap();
    assert_eq!(scaled["spec"], json!({"replicas": 5}));
    // A list is replaced whole.
    let replaced = apply_merge_patch(
        &original,
        br#"{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x"}]}}}}"#,
    )
    .unwrap();
    assert_eq!(container_names(&replaced), ["only"]);

    for patch in [&b"{"[..], b"[]", b"\"x\"", b"null", b"3"] {
        let err = apply_merge_patch(&original, patch).unwrap_err();
        assert_eq!(err, PatchError::BadRequest("Invalid JSON Patch".into()));
        assert_eq!(err.http_status(), 400);
    }
}

#[test]
fn kubectl_set_image() {
    // What kubectl set image sts/web nginx=nginx-slim:0.9 sends.
    let patched = smp(json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
        "containers": [{"image": "nginx-slim:0.9", "name": "nginx"}]
    }}}}))
    .unwrap();
    assert_eq!(container_names(&patched), ["nginx", "sidecar"]);
    let nginx = container(&patched, "nginx");
    assert_eq!(nginx["image"], "nginx-slim:0.9");
    assert_eq!(
        nginx["ports"],
        json!([{"containerPort": 80, "name": "web"}])
    );
    assert_eq!(
        container(&patched, "sidecar"),
        container(&statefulset(), "sidecar")
    );

    // Older kubectl sends no order directive; the sidecar image alone.
    let patched = smp(json!({"spec": {"template": {"spec": {
        "containers": [{"image": "busybox:1.37", "name": "sidecar"}]
    }}}}))
    .unwrap();
    assert_eq!(container_names(&patched), ["nginx", "sidecar"]);
    assert_eq!(container(&patched, "sidecar")["image"], "busybox:1.37");
    assert_eq!(
        container(&patched, "sidecar")["args"],
        json!(["sleep", "3600"])
    );
}

#[test]
fn kubectl_patch_and_scale_and_rollout_restart() {
    let patched = smp(json!({"spec": {"replicas": 3}})).unwrap();
    assert_eq!(patched["spec"]["replicas"], 3);
    let mut want = statefulset();
    want["spec"]["replicas"] = json!(3);
    assert_eq!(patched, want);

    // kubectl rollout restart
    let patched = smp(json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"
    }}}}}))
    .unwrap();
    assert_eq!(
        patched["spec"]["template"]["metadata"],
        json!({"labels": {"app": "nginx"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}})
    );
}

#[test]
fn kubectl_apply_three_way_patch() {
    // The live set has a sidecar that the last applied configuration had
    // and the new one drops; nginx gets a new image and env var C, B goes.
    let patched = smp(json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}],
            "containers": [
                {"$patch": "delete", "name": "sidecar"},
                {
                    "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                    "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                    "image": "nginx-slim:0.9",
                    "name": "nginx"
                }
            ]
        }}}
    }))
    .unwrap();
    assert_eq!(container_names(&patched), ["nginx"]);
    let nginx = container(&patched, "nginx");
    assert_eq!(nginx["image"], "nginx-slim:0.9");
    assert_eq!(
        nginx["env"],
        json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}])
    );
    assert!(
        patched["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
}

#[test]
fn list_strategies() {
    // env merges by name: A changes in place, D is appended after the others.
    let patched = smp(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "env": [{"name": "A", "value": "9"}, {"name": "D", "value": "4"}]}
    ]}}}}))
    .unwrap();
    assert_eq!(
        container(&patched, "nginx")["env"],
        json!([{"name": "A", "value": "9"}, {"name": "D", "value": "4"}, {"name": "B", "value": "2"}])
    );

    // Tolerations and volumeClaimTemplates have no merge strategy: replaced.
    let patched = smp(json!({"spec": {
        "template": {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "data"}}]
    }}))
    .unwrap();
    assert_eq!(
        patched["spec"]["template"]["spec"]["tolerations"],
        json!([{"key": "b", "operator": "Exists"}])
    );
    assert_eq!(
        patched["spec"]["volumeClaimTemplates"],
        json!([{"metadata": {"name": "data"}}])
    );

    // Finalizers are a set: union, and $deleteFromPrimitiveList removes.
    let patched =
        smp(json!({"metadata": {"finalizers": ["b.example.com/x", "a.example.com/keep"]}}))
            .unwrap();
    assert_eq!(
        patched["metadata"]["finalizers"],
        json!(["b.example.com/x", "a.example.com/keep"])
    );
    let patched =
        smp(json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.example.com/keep"]}}))
            .unwrap();
    assert_eq!(patched["metadata"]["finalizers"], json!([]));

    // $setElementOrder works on sets of scalars too.
    let patched = smp(json!({"metadata": {
        "$setElementOrder/finalizers": ["b.example.com/x", "a.example.com/keep"],
        "finalizers": ["b.example.com/x"]
    }}))
    .unwrap();
    assert_eq!(
        patched["metadata"]["finalizers"],
        json!(["b.example.com/x", "a.example.com/keep"])
    );

    // $patch: replace in a list makes the rest of the patch the list.
    let patched = smp(json!({"spec": {"template": {"spec": {"containers": [
        {"$patch": "replace"}, {"name": "solo", "image": "x"}
    ]}}}}))
    .unwrap();
    assert_eq!(container_names(&patched), ["solo"]);

    // $setElementOrder can reorder without changing anything else.
    let patched = smp(json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}]
    }}}}))
    .unwrap();
    assert_eq!(container_names(&patched), ["sidecar", "nginx"]);
}

#[test]
fn map_directives_and_nulls() {
    let patched =
        smp(json!({"spec": {"selector": {"$patch": "replace", "matchLabels": {"app": "web"}}}}))
            .unwrap();
    assert_eq!(
        patched["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );

    let patched = smp(json!({"metadata": {"labels": {"$patch": "delete"}}})).unwrap();
    assert_eq!(patched["metadata"]["labels"], json!({}));

    let patched = smp(
        json!({"metadata": {"labels": {"tier": null, "new": "x"}}, "spec": {"serviceName": null}}),
    )
    .unwrap();
    assert_eq!(
        patched["metadata"]["labels"],
        json!({"app": "nginx", "new": "x"})
    );
    assert!(patched["spec"].get("serviceName").is_none());

    // New fields lose their nulls and directives.
    let patched = smp(json!({"metadata": {"annotations": {"a": "1", "b": null}}})).unwrap();
    assert_eq!(patched["metadata"]["annotations"], json!({"a": "1"}));

    // $retainKeys: the volume switches from emptyDir to hostPath.
    let patched = smp(json!({"spec": {"template": {"spec": {"volumes": [
        {"$retainKeys": ["hostPath", "name"], "hostPath": {"path": "/data"}, "name": "cache"}
    ]}}}}))
    .unwrap();
    assert_eq!(
        patched["spec"]["template"]["spec"]["volumes"],
        json!([{"name": "cache", "hostPath": {"path": "/data"}}])
    );

    // A null patch changes nothing.
    assert_eq!(
        apply_strategic_merge_patch(&statefulset(), b"null", "StatefulSet").unwrap(),
        statefulset()
    );
}

#[test]
fn strategic_errors() {
    let cases = [
        (
            json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
            PatchError::Internal(
                "map: map[image:x] does not contain declared merge key: name".into(),
            ),
        ),
        (
            json!({"spec": {"selector": {"$patch": "bogus"}}}),
            PatchError::Internal("unknown patch type: bogus in map: map[$patch:bogus]".into()),
        ),
        (
            json!({"spec": {"template": {"spec": {"containers": [{"$patch": "merge", "name": "x"}]}}}}),
            PatchError::Internal("merging lists cannot yet be specified in the patch".into()),
        ),
        (
            json!({"spec": {"template": {"spec": {"$setElementOrder/containers": "nginx"}}}}),
            PatchError::BadRequest("invalid patch format of setElementOrder list".into()),
        ),
        (
            json!({"spec": {"template": {"spec": {"volumes": [
                {"$retainKeys": ["name"], "hostPath": {"path": "/x"}, "name": "cache"}
            ]}}}}),
            PatchError::BadRequest("invalid patch format of retainKeys".into()),
        ),
        (
            json!({"metadata": {"ownerReferences": [["a"]]}}),
            PatchError::Unprocessable("lists of lists are not supported".into()),
        ),
        (
            json!({"metadata": {"finalizers": [["a"]]}}),
            PatchError::Internal(
                "list element types are not identical: [[a.example.com/keep] [[a]]]".into(),
            ),
        ),
    ];
    for (patch, want) in cases {
        let err = smp(patch.clone()).unwrap_err();
        assert_eq!(err, want, "{patch}");
        if err.http_status() != 422 {
            assert_eq!(err.status_message(), err.to_string(), "{patch}");
        }
    }
    let err = apply_strategic_merge_patch(&statefulset(), b"[1]", "StatefulSet").unwrap_err();
    assert_eq!(
        err,
        PatchError::BadRequest(
            "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
        )
    );
    let err = apply_strategic_merge_patch(&statefulset(), b"{", "StatefulSet").unwrap_err();
    assert_eq!(err.http_status(), 400);
}

#[test]
fn service_ports_merge_by_port() {
    let service = json!({"kind": "Service", "spec": {"ports": [
        {"port": 80, "name": "web"}, {"port": 443, "name": "tls"}
    ]}});
    let patched = apply_strategic_merge_patch(
        &service,
        br#"{"spec":{"ports":[{"port":443,"targetPort":8443}]}}"#,
        "Service",
    )
    .unwrap();
    assert_eq!(
        patched["spec"]["ports"],
        json!([{"port": 80, "name": "web"}, {"port": 443, "name": "tls", "targetPort": 8443}])
    );
}

#[test]
fn pods_merge_containers_and_status_conditions() {
    let pod = json!({"kind": "Pod", "metadata": {"name": "web-0"},
    "spec": {"containers": [{"name": "nginx", "image": "a"}]},
    "status": {"conditions": [
        {"type": "PodScheduled", "status": "True"},
        {"type": "Ready", "status": "False"}
    ]}});
    let patch = br#"{"spec":{"containers":[{"name":"nginx","image":"b"}]},
        "status":{"conditions":[{"type":"Ready","status":"True"}]}}"#;
    let patched = apply_strategic_merge_patch(&pod, patch, "Pod").unwrap();
    assert_eq!(
        patched["spec"]["containers"],
        json!([{"name": "nginx", "image": "b"}])
    );
    assert_eq!(
        patched["status"]["conditions"],
        json!([{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}])
    );
}
