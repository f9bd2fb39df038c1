//! `get pets` asks only for what it prints: the set's pods by its label
//! selector, in `--chunk-size` pages with `continue`, and no claim list for
//! the table; the table is the same at any page size, and `-o json` still
//! carries the whole pods and their claims.

use crate::support::{create_ready, normalize, petctl_at, LocalServer, READY_AT_ONCE};

const SET: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: big}
spec:
  serviceName: big
  replicas: 5
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: main, image: 'nginx:1.25'}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: other}
spec:
  serviceName: other
  replicas: 1
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: main, image: 'busybox:1.36'}]}
";

/// The GET lines petctl logged at -v=6, without host and timing.
fn requests(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("GET https://"))
        .filter_map(|l| l.split_once('/').map(|(_, rest)| rest))
        .filter_map(|l| l.split_once(' ').map(|(path, _)| format!("/{path}")))
        .collect()
}

#[test]
fn get_pets_lists_the_sets_pods_in_pages_and_no_claims() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    create_ready(&server, "big.yaml", SET);

    let whole = petctl_at(&server, &["get", "pets", "big", "-v=6"]);
    whole.expect_success();
    let pods = "/api/v1/namespaces/default/pods?labelSelector=app%3Dbig";
    let lists: Vec<String> = requests(&whole.stderr)
        .into_iter()
        .filter(|p| !p.contains("/statefulsets/") && !p.contains("/petsets/"))
        .filter(|p| !p.starts_with("/apis") || p.contains('?'))
        .collect();
    assert_eq!(lists, vec![format!("{pods}&limit=500")], "{}", whole.stderr);
    let table = normalize(&whole.stdout);
    assert_eq!(table.lines().count(), 6, "{table}");
    assert!(
        table.starts_with(
            "ORDINAL   POD     STATUS    READY   RESTARTS   IMAGE        NODE           AGE\n\
             0         big-0   Running   1/1     0          nginx:1.25   local-node-0   <age>\n"
        ),
        "{table}"
    );
    assert!(!table.contains("other"), "{table}");

    // Pages of two: three requests, each after the last one's continue.
    let paged = petctl_at(
        &server,
        &["get", "pets", "big", "--chunk-size", "2", "-v=6"],
    );
    paged.expect_success();
    let pages: Vec<String> = requests(&paged.stderr)
        .into_iter()
        .filter(|p| p.starts_with(pods))
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[0].ends_with("&limit=2"), "{pages:?}");
    assert!(
        pages[1..].iter().all(|p| p.contains("&limit=2&continue=")),
        "{pages:?}"
    );
    assert_eq!(normalize(&paged.stdout), table);

    // All at once: no limit at all.
    let at_once = petctl_at(
        &server,
        &["get", "pets", "big", "--chunk-size", "0", "-v=6"],
    );
    at_once.expect_success();
    assert!(
        requests(&at_once.stderr).contains(&pods.to_string()),
        "{}",
        at_once.stderr
    );
    assert_eq!(normalize(&at_once.stdout), table);

    // -o json prints whole pods and the claims, so it asks for them.
    let json = petctl_at(&server, &["get", "pets", "big", "-o", "json", "-v=6"]);
    json.expect_success();
    assert!(
        requests(&json.stderr)
            .iter()
            .any(|p| p.contains("/persistentvolumeclaims")),
        "{}",
        json.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let first = &list["items"][0];
    assert_eq!(first["pod"]["metadata"]["labels"]["app"], "big");
    assert_eq!(
        first["claims"][0]["claim"]["metadata"]["name"],
        "data-big-0"
    );
}

#[test]
fn get_pods_pages_with_chunk_size() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    create_ready(&server, "big.yaml", SET);
    let whole = petctl_at(&server, &["get", "pods"]);
    whole.expect_success();
    let paged = petctl_at(&server, &["get", "pods", "--chunk-size", "4", "-v=6"]);
    paged.expect_success();
    let pages = requests(&paged.stderr)
        .into_iter()
        .filter(|p| p.starts_with("/api/v1/namespaces/default/pods?"))
        .count();
    assert_eq!(pages, 2, "{}", paged.stderr);
    assert_eq!(normalize(&paged.stdout), normalize(&whole.stdout));
    assert_eq!(normalize(&whole.stdout).lines().count(), 7);
}
