use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::kinds;
use crate::ops::pets::assemble;
use crate::ops::upgrade::tests::options;
use crate::ops::upgrade::STRATEGY_ANNOTATION;

fn sts(strategy: Value, annotations: Value) -> Set {
    Set {
        kind: kinds::by_name("statefulset").unwrap(),
        object: json!({
            "metadata": {"name": "web", "namespace": "default", "annotations": annotations},
            "spec": {"replicas": 3, "updateStrategy": strategy,
                     "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1"}, {"name": "log", "image": "busybox"}]}}}
        }),
    }
}

/// A pod: `ready`, or waiting with `reason`, or terminating.
fn pod(name: &str, image: &str, status: &str) -> Value {
    let mut pod = json!({
        "metadata": {"name": name, "uid": format!("uid-{name}")},
        "spec": {"containers": [{"name": "nginx", "image": image}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    });
    match status {
        "ready" => pod["status"]["conditions"][0]["status"] = json!("True"),
        "terminating" => pod["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z"),
        "running" => {}
        reason => {
            pod["status"]["containerStatuses"] =
                json!([{"name": "nginx", "ready": false, "state": {"waiting": {"reason": reason}}}])
        }
    }
    pod
}

/// The pets of `set` with pods given as (name, image, status) for [`pod`].
fn pets(set: &Set, pods: &[(&str, &str, &str)]) -> Vec<Pet> {
    let pods: Vec<Value> = pods.iter().map(|(n, i, s)| pod(n, i, s)).collect();
    assemble(set, &pods, &[])
}

fn summary(plan: &Plan) -> Vec<(String, Action)> {
    plan.steps
        .iter()
        .map(|s| (s.pet.clone(), s.action))
        .collect()
}

fn steps(list: &[(&str, Action)]) -> Vec<(String, Action)> {
    list.iter().map(|(n, a)| (n.to_string(), *a)).collect()
}

/// Three pets, all Ready on the old image.
const OLD_READY: &[(&str, &str, &str)] = &[
    ("web-0", "nginx:1", "ready"),
    ("web-1", "nginx:1", "ready"),
    ("web-2", "nginx:1", "ready"),
];

/// The same, but for the last one, which crash-loops on a bad image.
const ONE_CRASH_LOOPING: &[(&str, &str, &str)] = &[
    ("web-0", "nginx:1", "ready"),
    ("web-1", "nginx:1", "ready"),
    ("web-2", "nginx:bad", "CrashLoopBackOff"),
];

#[test]
fn plans_by_pet_state_and_order() {
    use Action::*;
    let set = sts(json!({"type": "OnDelete"}), json!({}));
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str, &'static str)],
        fn(&mut UpgradeOptions),
        &'static [(&'static str, Action)],
    );
    let cases: &[Case] = &[
        (
            "all Ready on the old image: descending",
            OLD_READY,
            |_| {},
            &[("web-2", Replace), ("web-1", Replace), ("web-0", Replace)],
        ),
        (
            "ascending",
            OLD_READY,
            |o| o.order = Order::Ascending,
            &[("web-0", Replace), ("web-1", Replace), ("web-2", Replace)],
        ),
        (
            "a resumed run: one done, one coming up, one gone",
            &[
                ("web-0", "nginx:1", "ready"),
                ("web-2", "nginx:2", "ready"),
                ("web-1", "nginx:2", "running"),
            ],
            |_| {},
            &[("web-1", Await), ("web-2", Skip), ("web-0", Replace)],
        ),
        (
            "terminating and missing pets are waited for first",
            &[
                ("web-0", "nginx:1", "ready"),
                ("web-1", "nginx:1", "terminating"),
            ],
            |_| {},
            &[("web-2", Await), ("web-1", Await), ("web-0", Replace)],
        ),
        (
            "the broken-pod trap: the crash-looping pet goes first",
            ONE_CRASH_LOOPING,
            |o| o.order = Order::Ascending,
            &[
                ("web-2", ReplaceStuck),
                ("web-0", Replace),
                ("web-1", Replace),
            ],
        ),
        (
            "partition",
            OLD_READY,
            |o| o.partition = Some(2),
            &[("web-2", Replace), ("web-1", Keep), ("web-0", Keep)],
        ),
        (
            "--force replaces a busy pet",
            &[
                ("web-0", "nginx:1", "ready"),
                ("web-1", "nginx:1", "running"),
                ("web-2", "nginx:1", "ready"),
            ],
            |o| o.force = true,
            &[
                ("web-1", ReplaceStuck),
                ("web-2", Replace),
                ("web-0", Replace),
            ],
        ),
    ];
    for (name, pods, tweak, want) in cases {
        let mut options = options(&["nginx=nginx:2"]);
        tweak(&mut options);
        let plan =
            plan(&set, &pets(&set, pods), &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(summary(&plan), steps(want), "{name}");
    }
}

#[test]
fn refuses_busy_pets_without_force() {
    let set = sts(json!({"type": "OnDelete"}), json!({}));
    let pets = pets(
        &set,
        &[
            ("web-0", "nginx:1", "ContainerCreating"),
            ("web-1", "nginx:1", "running"),
            ("web-2", "nginx:1", "ready"),
        ],
    );
    let err = plan(&set, &pets, &options(&["nginx=nginx:2"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to upgrade statefulset default/web: web-0 (ContainerCreating), web-1 (Running) not Ready on an old image and not broken, so they may be busy (starting or recovering): wait for them or pass --force to replace them anyway"
    );
}

#[test]
fn unknown_containers_get_a_suggestion() {
    let set = sts(json!({"type": "OnDelete"}), json!({}));
    let err = plan(&set, &[], &options(&["ngnix=nginx:2"])).unwrap_err();
    assert!(err.is::<InvalidInput>());
    assert_eq!(
        err.to_string(),
        "statefulset default/web has no container \"ngnix\": did you mean \"nginx\"? (its containers: nginx, log)"
    );
    let err = plan(&set, &[], &options(&["db=postgres:16"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "statefulset default/web has no container \"db\" (its containers: nginx, log)"
    );
}

#[test]
fn strategies_and_partitions() {
    let rolling = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
    let recorded = json!({STRATEGY_ANNOTATION: rolling.to_string()});
    let cases = [
        (
            sts(json!({"type": "OnDelete"}), json!({})),
            Strategy::OnDelete,
            0,
        ),
        (
            sts(rolling.clone(), json!({})),
            Strategy::Switch {
                original: rolling.clone(),
            },
            1,
        ),
        (
            sts(json!({"type": "OnDelete"}), recorded),
            Strategy::Switched {
                original: rolling.clone(),
            },
            1,
        ),
    ];
    for (set, want, partition) in cases {
        let plan = plan(&set, &[], &options(&["nginx=nginx:2"])).unwrap();
        assert_eq!(plan.strategy, want);
        assert_eq!(plan.partition, partition);
    }
}

#[test]
fn previous_images_come_from_the_template_or_the_pets() {
    let set = sts(json!({"type": "OnDelete"}), json!({}));
    let p = plan(&set, &[], &options(&["nginx=nginx:2"])).unwrap();
    assert_eq!(
        (p.previous[0].from.as_str(), p.previous[0].to.as_str()),
        ("nginx:2", "nginx:1")
    );
    assert!(!p.template_done());
    // A resumed run: the template has the new image; a pet has the old.
    let pets = pets(
        &set,
        &[("web-0", "nginx:0", "ready"), ("web-2", "nginx:1", "ready")],
    );
    let p = plan(&set, &pets, &options(&["nginx=nginx:1"])).unwrap();
    assert!(p.template_done());
    assert_eq!(p.previous[0].to, "nginx:0");
}

#[test]
fn renders_the_plan() {
    let set = sts(json!({"type": "RollingUpdate"}), json!({}));
    let pets = pets(&set, ONE_CRASH_LOOPING);
    let options = UpgradeOptions {
        min_ready: Duration::from_millis(500),
        ..options(&["nginx=nginx:2"])
    };
    let plan = plan(&set, &pets, &options).unwrap();
    assert_eq!(
        render(&plan, &options),
        "upgrade statefulset/web in namespace default:
  container nginx: nginx:1 -> nginx:2
strategy: RollingUpdate: switched to OnDelete for the upgrade, restored after
order: descending, partition 0, max unavailable 1, min ready 500ms, pet timeout 5m
   1. web-2  replace first  CrashLoopBackOff on nginx:bad (stuck: it is down already)
   2. web-1  replace        Ready on nginx:1
   3. web-0  replace        Ready on nginx:1
"
    );
}

#[test]
fn renders_the_budget_of_each_pet() {
    let set = sts(json!({"type": "OnDelete"}), json!({}));
    let pets = pets(&set, ONE_CRASH_LOOPING);
    for (disruption, header, suffix) in [
        (
            Disruption::Auto,
            "disruption: auto: evict where a PodDisruptionBudget selects the pet, else delete\n",
            " [budget web-pdb]",
        ),
        (
            Disruption::Delete,
            "disruption: delete: delete every pet (budgets not honoured)\n",
            " [budget web-pdb: not honoured]",
        ),
    ] {
        let options = UpgradeOptions {
            disruption,
            ..options(&["nginx=nginx:2"])
        };
        let mut plan = plan(&set, &pets, &options).unwrap();
        plan.steps[1].budgets = vec!["web-pdb".into()];
        let text = render(&plan, &options);
        assert!(text.contains(header), "{text}");
        assert!(
            text.contains(&format!(
                "   2. web-1  replace        Ready on nginx:1{suffix}\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("   3. web-0  replace        Ready on nginx:1\n"),
            "{text}"
        );
    }
}
