//! Claims are protected as in Kubernetes: a deleted claim stays Terminating
//! while a pet mounts it and `kubectl get pvc` says so; a pet whose claim is
//! being deleted is not started but waits, with an event, and comes back on a
//! fresh claim; deleting a pet and its claim within milliseconds of each
//! other (the D3 race, seeded) always ends with a fresh claim and the pet
//! Ready on it, and no pod ever starts on a Terminating claim.

use std::time::Duration;

use serde_json::{json, Value};

use crate::local_guide::Cluster;
use crate::local_patch::watch_until;
use crate::support::{normalize, LocalServer, Rng, SetManifest, SHORT_GRACE};
use crate::timeline::{
    by_revision, last_state, ready, started_on_bad_claims, terminating, text, Entry, Resource,
    Timeline,
};

const WAIT: Duration = Duration::from_secs(60);
const PODS: &str = "/api/v1/namespaces/default/pods";
const CLAIMS: &str = "/api/v1/namespaces/default/persistentvolumeclaims";
const EVENTS: &str = "/api/v1/namespaces/default/events";

/// A set `web` of `kind` (StatefulSet or PetSet) with one pet and its claim
/// `www-web-0`; the pet's 30 s grace period is cut by `--max-grace`. JSON,
/// which kubectl takes as well as YAML.
fn web(kind: &str) -> Value {
    let set = if kind == "PetSet" {
        SetManifest::petset("web")
    } else {
        SetManifest::statefulset("web")
    };
    set.replicas(1)
        .grace_period(30)
        .container("main", "nginx:1.25")
        .mount("www", "/data")
        .claim("www")
        .json()
}

/// Whether the pet runs Ready on a claim `www-web-0` other than `old_claim`,
/// and is not the pod `old_pod`.
fn back_on_a_fresh_claim(entries: &[Entry], old_pod: &str, old_claim: &str) -> bool {
    let pods = last_state(entries, Resource::Pod);
    let claims = last_state(entries, Resource::Claim);
    let pod_ok = pods
        .get("web-0")
        .is_some_and(|p| ready(p) && text(p, "/metadata/uid") != old_pod);
    let claim_ok = claims.get("www-web-0").is_some_and(|c| {
        text(c, "/metadata/uid") != old_claim
            && !terminating(c)
            && text(c, "/status/phase") == "Bound"
    });
    pod_ok && claim_ok
}

fn uid_of(server: &LocalServer, path: &str) -> String {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.body);
    text(&response.json(), "/metadata/uid").to_string()
}

fn delete(server: &LocalServer, path: &str) {
    let response = server.request("DELETE", path, None, b"");
    assert!(
        matches!(response.status, 200 | 202),
        "DELETE {path}: {} {}",
        response.status,
        response.body
    );
}

#[test]
fn a_claim_a_running_pet_mounts_stays_terminating_until_the_pet_is_gone() {
    let Some(k) = Cluster::start(SHORT_GRACE) else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &web("StatefulSet").to_string());
    k.wait_ready(&["web-0"]);
    let timeline = Timeline::start(&k.server, "default");
    k.ok(&["delete", "pvc", "www-web-0", "--wait=false"]);
    let claim = k.json(&["pvc", "www-web-0"]);
    assert!(terminating(&claim), "{claim}");
    assert_eq!(
        claim["metadata"]["finalizers"],
        json!(["kubernetes.io/pvc-protection"])
    );
    assert_eq!(
        normalize(&k.ok(&["get", "pvc"])),
        "NAME        STATUS        VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE\n\
         www-web-0   Terminating   pvc-<uid>   1Gi        RWO            standard       <unset>                 <age>\n"
    );
    // The pet goes only when the set lets it: scaled to zero, it is deleted
    // and the claim follows it.
    k.ok(&["scale", "statefulset", "web", "--replicas=0"]);
    timeline.wait_for("the claim to go", WAIT, |entries| {
        !last_state(entries, Resource::Claim).contains_key("www-web-0")
    });
    let entries = timeline.stop();
    let (_, changes) = by_revision(&entries);
    let pod_gone = changes
        .iter()
        .find(|c| c.resource == Resource::Pod && c.deleted)
        .map(|c| c.revision)
        .expect("the pet went");
    let claim_gone = changes
        .iter()
        .find(|c| c.resource == Resource::Claim && c.deleted)
        .map(|c| c.revision)
        .expect("the claim went");
    assert!(
        pod_gone < claim_gone,
        "the claim went (rev {claim_gone}) before its pet (rev {pod_gone})"
    );
    let terminating: Vec<u64> = changes
        .iter()
        .filter(|c| c.resource == Resource::Claim && !c.deleted && terminating(c.object))
        .map(|c| c.revision)
        .collect();
    assert!(
        terminating.iter().all(|r| *r < claim_gone),
        "{terminating:?}"
    );
}

/// A claim held by a finalizer of the test's own stays Terminating after
/// its pet is gone: the controller must wait, say so once, and start the
/// pet on a fresh claim once the claim is gone.
fn a_pet_waits_for_its_terminating_claim(kind: &str, wait_message: &str) {
    let Some(k) = Cluster::start(SHORT_GRACE) else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &web(kind).to_string());
    k.wait_ready(&["web-0"]);
    let (old_pod, old_claim) = (
        uid_of(&k.server, &format!("{PODS}/web-0")),
        uid_of(&k.server, &format!("{CLAIMS}/www-web-0")),
    );
    let patch_claim =
        |patch: &str| k.ok(&["patch", "pvc", "www-web-0", "--type=json", "-p", patch]);
    patch_claim(r#"[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/hold"}]"#);
    let timeline = Timeline::start(&k.server, "default");
    k.ok(&["delete", "pvc", "www-web-0", "--wait=false"]);
    k.ok(&["delete", "pod", "web-0", "--wait=false"]);
    let event = watch_until(
        &k.server,
        EVENTS,
        "the wait on the terminating claim",
        WAIT,
        |e| e["reason"] == "FailedCreate" && e["message"] == wait_message,
    );
    assert_eq!(event["type"], "Warning");
    assert_eq!(event["involvedObject"]["kind"], kind);
    let claim = k.json(&["pvc", "www-web-0"]);
    assert_eq!(
        claim["metadata"]["finalizers"],
        json!(["example.com/hold"]),
        "{claim}"
    );
    assert!(
        !last_state(&timeline.entries(), Resource::Pod).contains_key("web-0"),
        "a pet was created on a terminating claim"
    );
    patch_claim(
        r#"[{"op":"test","path":"/metadata/finalizers","value":["example.com/hold"]},{"op":"remove","path":"/metadata/finalizers"}]"#,
    );
    timeline.wait_for("the pet on a fresh claim", WAIT, |entries| {
        back_on_a_fresh_claim(entries, &old_pod, &old_claim)
    });
    let entries = timeline.stop();
    assert_eq!(started_on_bad_claims(&entries), Vec::<String>::new());
    let waits = k.json(&["events", "--field-selector", "reason=FailedCreate"]);
    let waits: Vec<&Value> = waits["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["message"] == wait_message)
        .collect();
    assert_eq!(waits.len(), 1, "one event per wait: {waits:?}");
}

#[test]
fn a_statefulset_pet_waits_for_its_terminating_claim() {
    a_pet_waits_for_its_terminating_claim(
        "StatefulSet",
        "create Pod web-0 in StatefulSet web failed error: pvc www-web-0 is being deleted",
    );
}

#[test]
fn a_petset_pet_waits_for_its_terminating_claim() {
    a_pet_waits_for_its_terminating_claim(
        "PetSet",
        "pet: web-0, error: pvc www-web-0 is being deleted",
    );
}

/// The D3 race: the pet and its claim deleted in either order, a few
/// milliseconds apart, round after round. Every round ends with the pet
/// Ready on a fresh claim, and no pod ever starts on a missing or
/// Terminating claim.
#[test]
fn deleting_a_pet_and_its_claim_together_ends_on_a_fresh_claim() {
    const ROUNDS: usize = 6;
    let mut rng = Rng::seeded();
    let server = LocalServer::start_with(SHORT_GRACE);
    let created = server.post_json(
        "/apis/apps/v1/namespaces/default/statefulsets",
        &web("StatefulSet"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let timeline = Timeline::start(&server, "default");
    timeline.wait_for("web-0 Ready", WAIT, |entries| {
        last_state(entries, Resource::Pod)
            .get("web-0")
            .is_some_and(ready)
    });
    for round in 0..ROUNDS {
        let old_pod = uid_of(&server, &format!("{PODS}/web-0"));
        let old_claim = uid_of(&server, &format!("{CLAIMS}/www-web-0"));
        // Claim first, the pet may go at once (grace 0): the claim is
        // already Terminating. Pet first, it keeps its grace period, so the
        // claim's deletion lands while the pet still mounts it; otherwise a
        // new pet could take the claim before its deletion, and a claim
        // deleted under a running pod stays Terminating, as in Kubernetes.
        let claim_first = rng.below(2) == 0;
        let at_once = claim_first && rng.below(2) == 0;
        let gap = Duration::from_millis(rng.below(15));
        let what = format!(
            "round {round}: {}, {gap:?} apart",
            match (claim_first, at_once) {
                (true, true) => "claim first, then the pet at once",
                (true, false) => "claim first",
                _ => "pet first",
            }
        );
        let claim = format!("{CLAIMS}/www-web-0");
        let grace = if at_once { "?gracePeriodSeconds=0" } else { "" };
        let pet = format!("{PODS}/web-0{grace}");
        let (first, second) = if claim_first {
            (claim, pet)
        } else {
            (pet, claim)
        };
        delete(&server, &first);
        std::thread::sleep(gap);
        delete(&server, &second);
        timeline.wait_for(
            &format!("the pet on a fresh claim ({what})"),
            WAIT,
            |entries| back_on_a_fresh_claim(entries, &old_pod, &old_claim),
        );
        let bad = started_on_bad_claims(&timeline.entries());
        assert!(
            bad.is_empty(),
            "{what}: pods started on bad claims: {bad:?}"
        );
    }
    let entries = timeline.stop();
    assert_eq!(started_on_bad_claims(&entries), Vec::<String>::new());
}
