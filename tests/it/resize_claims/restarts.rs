//! A class whose filesystem step waits for a restart (`resize: offline`):
//! resize-claims restarts the pets one at a time, highest ordinal first,
//! never more than one down on the timeline, each between its before- and
//! after-hook, and every claim ends at the new capacity.

use serde_json::json;

use super::{claim, cluster, expect, get, set_path, Kind};
use crate::support::petctl_at;
use crate::timeline::{claim_deletions, deletion_order, max_not_ready, text, Timeline};

fn offline_restarts_one_at_a_time(kind: Kind) {
    let class = json!({"allowVolumeExpansion": true, "parameters": {"resize": "offline"}});
    let server = cluster(kind, Some(("offline", class)), &[]);
    let timeline = Timeline::start(&server, "default");
    let log = server.dir.path().join("hooks.log");
    let before = format!(
        "echo \"before $PETCTL_PET $PETCTL_ORDINAL $PETCTL_OPERATION\" >> {}",
        log.display()
    );
    let after = format!("echo \"after $PETCTL_PET\" >> {}", log.display());
    let args = ["resize-claims", "web", "www=2Gi", "--yes"];
    let hooks = ["--before-pet", &before, "--after-pet", &after];
    let run = petctl_at(
        &server,
        &[&args[..], &["--filesystem-wait", "1s"], &hooks].concat(),
    );
    expect(&run, 0, &server);
    let entries = timeline.stop();
    assert_eq!(
        deletion_order("web", &entries),
        ["web-2", "web-1", "web-0"],
        "{kind:?}"
    );
    assert!(
        max_not_ready("web", 3, &entries) <= 1,
        "{kind:?}: more than one pet down at once"
    );
    assert_eq!(claim_deletions(&entries), Vec::new(), "no claim deleted");
    for o in 0..3 {
        let c = claim(&server, &format!("www-web-{o}"));
        assert_eq!(text(&c, "/status/capacity/storage"), "2Gi", "{c}");
    }
    let set = get(&server, set_path(kind));
    let template = &set["spec"]["volumeClaimTemplates"][0];
    assert_eq!(template["spec"]["resources"]["requests"]["storage"], "2Gi");
    assert!(
        run.stdout.contains("; restarted web-2, web-1, web-0;"),
        "{run}"
    );
    let said = "restarting web-2 so that its filesystem grows";
    assert!(run.stderr.contains(said), "{run}");
    // Around each restart, in its order.
    let hooked = std::fs::read_to_string(&log).expect("hook log");
    let want = "before web-2 2 resize-claims\nafter web-2\nbefore web-1 1 resize-claims\nafter web-1\nbefore web-0 0 resize-claims\nafter web-0\n";
    assert_eq!(hooked, want, "{kind:?}");
}

#[test]
fn an_offline_class_restarts_pets_one_at_a_time() {
    for kind in [Kind::StatefulSet, Kind::PetSet] {
        offline_restarts_one_at_a_time(kind);
    }
}
