//! resize-claims under injected faults (a tenth of the requests fail: 500,
//! 429, a dropped connection before or after the server handled them; watches
//! cut within 2 s; the seed printed): it completes, no pet and no claim is
//! deleted on the timeline, every claim ends at the new capacity and the set
//! at the bigger template, and its saved copy is gone.

use super::{expect, Kind};
use crate::support::{petctl_at, Seed};
use crate::timeline::{claim_deletions, deletion_order, last_state, text, Resource, Timeline};

#[test]
fn completes_under_injected_faults() {
    let seed = Seed::new();
    let faults = [
        "--allow-volume-expansion",
        "--fault-rate",
        "0.1",
        "--watch-drop-after",
        "2s",
    ];
    let server = super::cluster(
        Kind::StatefulSet,
        None,
        &[&faults[..], &seed.fault_flags()[..]].concat(),
    );
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--yes"]);
    expect(&run, 0, &server);
    let entries = timeline.stop();
    assert_eq!(
        deletion_order("web", &entries),
        Vec::<String>::new(),
        "a pet was deleted: {run}"
    );
    assert_eq!(claim_deletions(&entries), Vec::new(), "no claim deleted");
    let claims = last_state(&entries, Resource::Claim);
    for o in 0..3 {
        let claim = &claims[&format!("www-web-{o}")];
        assert_eq!(text(claim, "/status/capacity/storage"), "2Gi", "{claim}");
    }
    let sets = last_state(&entries, Resource::StatefulSet);
    let set = sets.get("web").expect("the set exists at the end");
    assert_eq!(
        text(
            set,
            "/spec/volumeClaimTemplates/0/spec/resources/requests/storage"
        ),
        "2Gi",
        "{set}"
    );
    assert!(
        run.stdout
            .contains("set recreated with the new templates, its pets adopted"),
        "{run}"
    );
}
