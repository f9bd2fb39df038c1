//! The `--wait` contract (docs/wait.md) for the blockers the simulated
//! world makes with `local up --unpullable-images` and a node selector no
//! node matches: each is said on stderr at once, once, and named when the
//! wait times out; the real kubectl shows the same pods' STATUS.

use std::time::Duration;

use crate::support::{
    kubectl_or_skip, kubectl_with, petctl_at, scale_wait, stream, LocalServer, FAST_SIM,
};
use crate::wait_contract::statefulset;

const UNPULLABLE: &str = "registry.k8s.io/missing:nope";

/// `kubectl get pods` of `server`, without the header, as (name, status).
fn kubectl_statuses(test: &str, server: &LocalServer) -> Option<Vec<(String, String)>> {
    let kubectl = kubectl_or_skip(test)?;
    let run = kubectl_with(&kubectl, server, &["get", "pods", "--no-headers"], None);
    run.expect_success();
    Some(
        run.stdout
            .lines()
            .map(|line| {
                let columns: Vec<&str> = line.split_whitespace().collect();
                (columns[0].to_string(), columns[2].to_string())
            })
            .collect(),
    )
}

/// `kubectl get events` of `server` selected by `fields`, in `columns`.
fn kubectl_events(
    kubectl: &std::path::Path,
    server: &LocalServer,
    fields: &str,
    columns: &str,
) -> crate::support::Run {
    let args = [
        "get",
        "events",
        "--field-selector",
        fields,
        "-o",
        columns,
        "--no-headers",
    ];
    kubectl_with(kubectl, server, &args, None)
}

/// `text` with each run of spaces made one, line by line: kubectl's
/// columns are as wide as their widest cell.
fn single_spaced(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
        .collect()
}

#[test]
fn create_wait_of_an_unpullable_image_says_so_at_once_and_times_out_naming_it() {
    let server =
        LocalServer::start_with(&[FAST_SIM, &["--unpullable-images", "*missing*"]].concat());
    let file = statefulset(&server, 2, UNPULLABLE);
    let run = stream(
        &server,
        &["create", "-f", &file, "--wait", "--timeout", "15s"],
    );
    run.expect_code(1);
    let notice = "warning: statefulset \"web\" is blocked: pet web-0 is in ErrImagePull: container main: rpc error: code = NotFound desc = failed to pull and unpack image \"registry.k8s.io/missing:nope\"";
    // ErrImagePull and ImagePullBackOff are one blocker.
    run.expect_said_at_once_once(notice, "is blocked")
        .expect_waited(Duration::from_secs(15));
    let error = run.error();
    let backing_off = "  web-0: ImagePullBackOff (container main: ImagePullBackOff: Back-off pulling image \"registry.k8s.io/missing:nope\")\n";
    let pulling = "  web-0: ErrImagePull (container main: ErrImagePull: rpc error: code = NotFound";
    assert!(
        error.starts_with(&format!("error: timed out after 15s waiting for statefulset \"web\": 2 of 2 pets not Ready:\n{backing_off}"))
            || error.starts_with(&format!("error: timed out after 15s waiting for statefulset \"web\": 2 of 2 pets not Ready:\n{pulling}")),
        "{run}"
    );
    assert!(
        error.contains("    Warning Failed: Error: ErrImagePull\n"),
        "{run}"
    );
    assert!(error.ends_with("\n  web-1: Missing\n"), "{run}");
    let Some(kubectl) = kubectl_or_skip("unpullable image") else {
        return;
    };
    let columns =
        "custom-columns=TYPE:.type,REASON:.reason,FROM:.source.component,MESSAGE:.message";
    let events = kubectl_events(&kubectl, &server, "involvedObject.name=web-0", columns);
    events.expect_success();
    let table = single_spaced(&events.stdout);
    for event in [
        "Normal Pulling kubelet Pulling image \"registry.k8s.io/missing:nope\"",
        "Warning Failed kubelet Failed to pull image \"registry.k8s.io/missing:nope\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.k8s.io/missing:nope\"",
        "Warning Failed kubelet Error: ErrImagePull",
        "Normal BackOff kubelet Back-off pulling image \"registry.k8s.io/missing:nope\"",
        "Warning Failed kubelet Error: ImagePullBackOff",
    ] {
        assert!(table.contains(event), "{event}\n{events}");
    }
    let statuses = kubectl_statuses("unpullable image", &server).unwrap_or_default();
    assert_eq!(
        statuses.len(),
        1,
        "OrderedReady stops at web-0: {statuses:?}"
    );
    assert!(
        ["ImagePullBackOff", "ErrImagePull"].contains(&statuses[0].1.as_str()),
        "{statuses:?}"
    );
}

#[test]
fn scale_wait_to_a_pet_no_node_fits_says_so_at_once_and_times_out_naming_it() {
    let server = LocalServer::start_with(FAST_SIM);
    let file = statefulset(&server, 0, "nginx:1.25");
    let manifest = std::fs::read_to_string(&file).unwrap().replace(
        "    spec:\n      containers:",
        "    spec:\n      nodeSelector:\n        disktype: ssd\n      containers:",
    );
    std::fs::write(&file, manifest).unwrap();
    petctl_at(&server, &["create", "-f", &file]).expect_success();
    let run = stream(&server, &scale_wait("sts/web", "3", "10s"));
    run.expect_code(1);
    let message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    let notice = format!(
        "warning: statefulset \"web\" is blocked: pet web-0 cannot be scheduled (Unschedulable): {message}"
    );
    run.expect_said_at_once_once(&notice, "is blocked")
        .expect_waited(Duration::from_secs(10));
    assert_eq!(
        run.error(),
        format!("error: failed to scale statefulset \"web\": timed out after 10s waiting for statefulset \"web\" to reach 3 replicas:\n  web-0: Pending (Unschedulable: {message})\n    Warning FailedScheduling: {message}\n  web-1: Missing\n  web-2: Missing\n"),
        "{run}"
    );
    let Some(kubectl) = kubectl_or_skip("unschedulable pet") else {
        return;
    };
    let events = kubectl_events(
        &kubectl,
        &server,
        "involvedObject.name=web-0,reason=FailedScheduling",
        "custom-columns=TYPE:.type,FROM:.source.component,MESSAGE:.message",
    );
    events.expect_success();
    assert!(
        events
            .stdout
            .contains(&format!("Warning   default-scheduler   {message}")),
        "{events}"
    );
    let statuses = kubectl_statuses("unschedulable pet", &server).unwrap_or_default();
    let web0 = statuses.iter().find(|(name, _)| name == "web-0");
    assert_eq!(
        web0.map(|(_, s)| s.as_str()),
        Some("Pending"),
        "{statuses:?}"
    );
    // A node relabelled to fit is tried again for the unbound pet.
    kubectl_with(
        &kubectl,
        &server,
        &["label", "node", "local-node-0", "disktype=ssd"],
        None,
    )
    .expect_success();
    // kubectl's wait is a watch with a condition and a timeout.
    let bound = [
        "wait",
        "pod/web-0",
        "--for=jsonpath={.spec.nodeName}=local-node-0",
        "--timeout=10s",
    ];
    let bound = kubectl_with(&kubectl, &server, &bound, None);
    assert_eq!(
        bound.stdout, "pod/web-0 condition met\n",
        "web-0 was not bound after the node was labelled\n{bound}"
    );
}
