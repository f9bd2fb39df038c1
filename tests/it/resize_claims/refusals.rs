//! What resize-claims refuses before any change — a class without
//! expansion, a shrink, an unknown template — with nothing written (the
//! resourceVersions of the set and its claims unchanged); the dry-run plan
//! with the retained claims of scaled-away ordinals; `--include-retained`;
//! and the result as the real kubectl shows it.

use std::collections::BTreeMap;

use super::{claim, cluster, expect, get, set_path, Kind};
use crate::support::{kubectl_or_skip, kubectl_with, petctl_at, scale_wait, LocalServer};
use crate::timeline::text;

/// The resourceVersions of the set and of its claims.
fn versions(server: &LocalServer) -> BTreeMap<String, String> {
    let mut rvs = BTreeMap::new();
    let set = get(server, set_path(Kind::StatefulSet));
    rvs.insert(
        "web".to_string(),
        text(&set, "/metadata/resourceVersion").to_string(),
    );
    for o in 0..3 {
        let name = format!("www-web-{o}");
        let c = claim(server, &name);
        rvs.insert(name, text(&c, "/metadata/resourceVersion").to_string());
    }
    rvs
}

#[test]
fn refusals_come_before_any_change() {
    // The default class `standard` does not allow expansion.
    let server = cluster(Kind::StatefulSet, None, &[]);
    let before = versions(&server);
    let run = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--yes"]);
    expect(&run, 1, &server);
    assert_eq!(
        run.stderr,
        "error: cannot resize the claims of statefulset \"web\": cannot resize claim \"www-web-0\": its StorageClass \"standard\" does not allow volume expansion (allowVolumeExpansion is not true); nothing was changed\n"
    );
    let refused = [
        ("www=500Mi", "error: cannot resize the claims of statefulset \"web\": cannot shrink volumeClaimTemplate \"www\" of statefulset \"web\" from 1Gi to 500Mi: volumes only grow\n"),
        ("wwx=2Gi", "error: cannot resize the claims of statefulset \"web\": statefulset \"web\" has no volumeClaimTemplate \"wwx\"; did you mean \"www\"?\n"),
        ("www=lots", "error: invalid size \"lots\" for template \"www\": expected a positive quantity such as 1500Mi or 2Gi\n"),
    ];
    for (size, message) in refused {
        let run = petctl_at(&server, &["resize-claims", "web", size, "--yes"]);
        expect(&run, 2, &server);
        assert_eq!(run.stderr, message, "{size}");
    }
    let unconfirmed = petctl_at(&server, &["resize-claims", "web", "www=1Gi"]);
    expect(&unconfirmed, 2, &server);
    assert!(
        unconfirmed.stderr.ends_with("error: Resize these claims?: standard input is not a terminal, so pass --yes to confirm\n"),
        "{unconfirmed}"
    );
    assert_eq!(versions(&server), before, "nothing was written");
}

#[test]
fn the_dry_run_plan_lists_retained_claims_and_kubectl_sees_the_new_capacity() {
    let server = cluster(Kind::StatefulSet, None, &["--allow-volume-expansion"]);
    expect(
        &petctl_at(&server, &scale_wait("web", "1", "60s")),
        0,
        &server,
    );
    let before = versions(&server);
    let run = petctl_at(
        &server,
        &["resize-claims", "web", "www=1536Mi", "--dry-run"],
    );
    expect(&run, 0, &server);
    assert_eq!(
        run.stdout,
        "resize the claims of statefulset.apps/web in namespace default:
  CLAIM       ORDINAL           CURRENT   NEW      CLASS      ACTION
  www-web-0   0                 1Gi       1536Mi   standard   resize
  www-web-1   1 (scaled away)   1Gi       1536Mi   standard   retained: kept (--include-retained resizes it)
  www-web-2   2 (scaled away)   1Gi       1536Mi   standard   retained: kept (--include-retained resizes it)
template www: 1Gi -> 1536Mi (the set is recreated with it, its pets kept)
"
    );
    let json = petctl_at(
        &server,
        &[
            "resize-claims",
            "web",
            "www=1536Mi",
            "--dry-run",
            "--include-retained",
            "-o",
            "json",
        ],
    );
    expect(&json, 0, &server);
    let planned: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(planned["status"], "planned");
    let claims = planned["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 3, "{planned}");
    for c in claims {
        assert_eq!(c["result"], "planned", "retained ones too: {c}");
    }
    assert_eq!(versions(&server), before, "a dry run writes nothing");

    let all = ["resize-claims", "web", "www=1536Mi", "--include-retained"];
    let resized = petctl_at(&server, &[&all[..], &["--yes"]].concat());
    expect(&resized, 0, &server);
    for o in 0..3 {
        let c = claim(&server, &format!("www-web-{o}"));
        assert_eq!(text(&c, "/spec/resources/requests/storage"), "1536Mi");
    }
    assert!(
        resized
            .stdout
            .contains("filesystem grows at the next mount www-web-1, www-web-2"),
        "{resized}"
    );
    let Some(kubectl) =
        kubectl_or_skip("the_dry_run_plan_lists_retained_claims_and_kubectl_sees_the_new_capacity")
    else {
        return;
    };
    let columns = "custom-columns=NAME:.metadata.name,CAPACITY:.status.capacity.storage";
    let pvc = kubectl_with(&kubectl, &server, &["get", "pvc", "-o", columns], None);
    assert_eq!(pvc.code, 0, "{pvc}");
    // The retained claims grow once a pod mounts them again.
    assert_eq!(
        pvc.stdout,
        "NAME        CAPACITY\nwww-web-0   1536Mi\nwww-web-1   1Gi\nwww-web-2   1Gi\n"
    );
}
