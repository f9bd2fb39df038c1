//! The in-process controllers' writes in managedFields, as a real cluster
//! shows them with `kubectl get -o json --show-managed-fields`: what the
//! StatefulSet, volume, namespace and service-account controllers write is
//! `kube-controller-manager`'s, a pod's status is `kubelet`'s under the
//! `status` subresource, each an Update entry of the object's apiVersion.

use serde_json::Value;

use super::{entries, Kubectl};
use crate::support::{SetManifest, READY_AT_ONCE};

impl Kubectl {
    /// `kubectl get ARGS -o json --show-managed-fields`, parsed.
    fn get_managed(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json", "--show-managed-fields"]);
        let run = self.run(&all, None);
        run.expect_success();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    }
}

/// The fieldsV1 of `manager`'s entry (with `subresource`, "" for none).
#[track_caller]
fn fields_of<'a>(object: &'a Value, manager: &str, subresource: &str) -> &'a Value {
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["manager"] == manager && e["subresource"].as_str().unwrap_or("") == subresource)
        .map(|e| &e["fieldsV1"])
        .unwrap_or_else(|| panic!("no entry of {manager} {subresource:?} in {object:#}"))
}

#[test]
fn controller_writes_are_recorded_under_their_upstream_managers() {
    let Some(kubectl) = Kubectl::start(
        "controller_writes_are_recorded_under_their_upstream_managers",
        READY_AT_ONCE,
    ) else {
        return;
    };
    kubectl
        .run(&["create", "namespace", "team"], None)
        .expect_success();
    let set = SetManifest::statefulset("web")
        .namespace("team")
        .replicas(1)
        .container("nginx", "nginx:1.25")
        .mount("www", "/data")
        .claim("www")
        .yaml();
    kubectl
        .run(&["apply", "--server-side", "-f", "-"], Some(&set))
        .expect_success();
    kubectl
        .run(
            &[
                "wait",
                "-n",
                "team",
                "--for=condition=Ready",
                "pod/web-0",
                "--timeout=60s",
            ],
            None,
        )
        .expect_success();
    kubectl
        .run(
            &[
                "wait",
                "-n",
                "team",
                "--for=jsonpath={.status.phase}=Bound",
                "pvc/www-web-0",
                "--timeout=60s",
            ],
            None,
        )
        .expect_success();

    // The pod: created by the StatefulSet controller, its status the kubelet's.
    let pod = kubectl.get_managed(&["pod", "web-0", "-n", "team"]);
    assert_eq!(
        entries(&pod),
        ["kube-controller-manager Update", "kubelet Update status"],
        "{pod:#}"
    );
    for entry in pod["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert_eq!(entry["apiVersion"], "v1", "{entry}");
        assert_eq!(entry["fieldsType"], "FieldsV1", "{entry}");
        assert!(
            entry["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{entry}"
        );
    }
    let created = fields_of(&pod, "kube-controller-manager", "");
    assert!(
        created["f:metadata"]["f:ownerReferences"].is_object(),
        "{created:#}"
    );
    assert!(
        created["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"].is_object(),
        "{created:#}"
    );
    assert_eq!(created.get("f:status"), None, "{created:#}");
    let status = fields_of(&pod, "kubelet", "status");
    assert!(
        status["f:status"]["f:conditions"]["k:{\"type\":\"Ready\"}"].is_object(),
        "{status:#}"
    );
    assert_eq!(status.get("f:spec"), None, "{status:#}");

    // The set: the applier's, and the controller's status writes.
    let sts = kubectl.get_managed(&["statefulset", "web", "-n", "team"]);
    assert_eq!(
        entries(&sts),
        ["kube-controller-manager Update status", "kubectl Apply"],
        "{sts:#}"
    );
    assert_eq!(
        fields_of(&sts, "kube-controller-manager", "status")["f:status"]["f:replicas"],
        serde_json::json!({})
    );

    // Its revision, claim and events, and the namespace's account and CA.
    let revisions = kubectl.get_managed(&["controllerrevisions", "-n", "team"]);
    for revision in revisions["items"].as_array().into_iter().flatten() {
        assert_eq!(
            entries(revision),
            ["kube-controller-manager Update"],
            "{revision:#}"
        );
        assert_eq!(
            revision["metadata"]["managedFields"][0]["apiVersion"],
            "apps/v1"
        );
    }
    let claim = kubectl.get_managed(&["pvc", "www-web-0", "-n", "team"]);
    assert_eq!(
        entries(&claim),
        [
            "kube-controller-manager Update",
            "kube-controller-manager Update status"
        ],
        "{claim:#}"
    );
    let events = kubectl.get_managed(&["events", "-n", "team"]);
    let events = events["items"].as_array().cloned().unwrap_or_default();
    assert!(!events.is_empty());
    for event in &events {
        let expected = match event["source"]["component"].as_str().unwrap_or("") {
            "kubelet" => "kubelet Update",
            "default-scheduler" => "kube-scheduler Update",
            _ => "kube-controller-manager Update",
        };
        assert_eq!(entries(event), [expected], "{event:#}");
    }
    let account = kubectl.get_managed(&["serviceaccount", "default", "-n", "team"]);
    // The default account has nothing but its name, which nobody owns, so
    // its creator's entry owns nothing and is dropped, as upstream.
    assert_eq!(entries(&account), Vec::<String>::new(), "{account:#}");
    let ca = kubectl.get_managed(&["configmap", "kube-root-ca.crt", "-n", "team"]);
    assert_eq!(entries(&ca), ["kube-controller-manager Update"], "{ca:#}");
    let namespace = kubectl.get_managed(&["namespace", "team"]);
    assert_eq!(
        entries(&namespace),
        ["kubectl-create Update"],
        "{namespace:#}"
    );
}

#[test]
fn an_unschedulable_pods_status_is_the_schedulers() {
    let Some(kubectl) = Kubectl::start(
        "an_unschedulable_pods_status_is_the_schedulers",
        READY_AT_ONCE,
    ) else {
        return;
    };
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lonely\nspec:\n  nodeSelector:\n    disk: none\n  containers:\n  - name: app\n    image: nginx:1.25\n";
    kubectl
        .run(&["create", "-f", "-"], Some(pod))
        .expect_success();
    kubectl
        .run(
            &[
                "wait",
                "--for=condition=PodScheduled=False",
                "pod/lonely",
                "--timeout=60s",
            ],
            None,
        )
        .expect_success();
    let pod = kubectl.get_managed(&["pod", "lonely"]);
    assert_eq!(
        entries(&pod),
        ["kube-scheduler Update status", "kubectl-create Update"],
        "{pod:#}"
    );
    let status = fields_of(&pod, "kube-scheduler", "status");
    assert!(
        status["f:status"]["f:conditions"]["k:{\"type\":\"PodScheduled\"}"].is_object(),
        "{status:#}"
    );
    let events = kubectl.get_managed(&["events", "--field-selector", "reason=FailedScheduling"]);
    let events = events["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(entries(&events[0]), ["kube-scheduler Update"]);
}
