//! The runtime faults a pod's annotations ask the simulated kubelet for,
//! read afresh on every change of the pod: probe outcomes, exits, a
//! termination that hangs; the per-pod delay overrides; the images
//! --fail-images matches; and the grace period the kubelet honours.

use std::time::Duration;

use serde_json::Value;

/// Per-pod override of --ready-delay, e.g. "5s": how long the simulated
/// application takes to answer its probes (or to be Ready, without one).
pub const READY_DELAY_ANNOTATION: &str = "petctl.local/ready-delay";
/// Per-pod override of --max-grace, e.g. "0s".
pub const MAX_GRACE_ANNOTATION: &str = "petctl.local/max-grace";
/// `fail`: readiness probes time out from now on; `pass` (or no value):
/// they succeed.
pub const READINESS_ANNOTATION: &str = "petctl.local/readiness";
/// `fail`: liveness probes time out from now on.
pub const LIVENESS_ANNOTATION: &str = "petctl.local/liveness";
/// A duration: each run of the containers exits after it.
pub const EXIT_AFTER_ANNOTATION: &str = "petctl.local/exit-after";
/// The exit code of those exits (1 unless given).
pub const EXIT_CODE_ANNOTATION: &str = "petctl.local/exit-code";
/// `hang`: a deleted pod ignores its grace period and stays Terminating
/// until it is force-deleted or its node is removed.
pub const TERMINATE_ANNOTATION: &str = "petctl.local/terminate";

/// What the annotations of one pod ask for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faults {
    pub readiness_fails: bool,
    pub liveness_fails: bool,
    pub exit_after: Option<Duration>,
    pub exit_code: i32,
    pub hangs: bool,
}

fn annotation<'a>(pod: &'a Value, name: &str) -> Option<&'a str> {
    crate::registry::meta::at(pod, "/metadata/annotations")?
        .get(name)?
        .as_str()
}

pub fn annotation_duration(pod: &Value, name: &str) -> Option<Duration> {
    petctl_model::duration::parse_duration(annotation(pod, name)?).ok()
}

impl Faults {
    /// Values other than the documented ones are ignored.
    pub fn of(pod: &Value) -> Faults {
        Faults {
            readiness_fails: annotation(pod, READINESS_ANNOTATION) == Some("fail"),
            liveness_fails: annotation(pod, LIVENESS_ANNOTATION) == Some("fail"),
            exit_after: annotation_duration(pod, EXIT_AFTER_ANNOTATION),
            exit_code: annotation(pod, EXIT_CODE_ANNOTATION)
                .and_then(|code| code.trim().parse().ok())
                .unwrap_or(1),
            hangs: annotation(pod, TERMINATE_ANNOTATION) == Some("hang"),
        }
    }
}

/// `*` matches any run of characters, `?` any one.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A pod's grace period as the kubelet honours it: the deletion's grace,
/// capped by --max-grace or the pod's annotation.
pub fn effective_grace(pod: &Value, max_grace: Option<Duration>) -> Duration {
    let grace = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let grace = Duration::from_secs(grace.unsigned_abs());
    let cap = annotation_duration(pod, MAX_GRACE_ANNOTATION).or(max_grace);
    cap.map_or(grace, |cap| grace.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        for (pattern, text, want) in [
            ("*", "anything", true),
            ("nginx:*", "nginx:1.25", true),
            ("nginx:*", "redis:7", false),
            ("*broken*", "gcr.io/x/broken-image:1", true),
            ("nginx:1.?", "nginx:1.2", true),
            ("nginx:1.?", "nginx:1.25", false),
            ("", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ] {
            assert_eq!(glob_matches(pattern, text), want, "{pattern} {text}");
        }
    }

    #[test]
    fn grace_is_capped_by_the_flag_or_the_annotation() {
        let pod = |grace: i64, annotation: Option<&str>| {
            let mut p = json!({"metadata": {"deletionGracePeriodSeconds": grace}});
            if let Some(a) = annotation {
                p["metadata"]["annotations"] = json!({MAX_GRACE_ANNOTATION: a});
            }
            p
        };
        let s = Duration::from_secs;
        for (p, cap, want) in [
            (pod(30, None), None, s(30)),
            (pod(30, None), Some(s(2)), s(2)),
            (pod(1, None), Some(s(2)), s(1)),
            (pod(30, Some("0s")), Some(s(2)), s(0)),
            (pod(30, Some("5s")), None, s(5)),
            (pod(-1, None), None, s(0)),
        ] {
            assert_eq!(effective_grace(&p, cap), want, "{p}");
        }
    }

    #[test]
    fn annotations_ask_for_faults() {
        let pod = |annotations: Value| json!({"metadata": {"annotations": annotations}});
        let none = Faults::of(&json!({}));
        assert_eq!(
            none,
            Faults {
                readiness_fails: false,
                liveness_fails: false,
                exit_after: None,
                exit_code: 1,
                hangs: false
            }
        );
        let all = Faults::of(&pod(json!({
            READINESS_ANNOTATION: "fail", LIVENESS_ANNOTATION: "fail",
            EXIT_AFTER_ANNOTATION: "2s", EXIT_CODE_ANNOTATION: "3", TERMINATE_ANNOTATION: "hang"
        })));
        assert!(all.readiness_fails && all.liveness_fails && all.hangs);
        assert_eq!(
            (all.exit_after, all.exit_code),
            (Some(Duration::from_secs(2)), 3)
        );
        let odd = Faults::of(&pod(json!({
            READINESS_ANNOTATION: "pass", LIVENESS_ANNOTATION: "maybe",
            EXIT_AFTER_ANNOTATION: "soon", EXIT_CODE_ANNOTATION: "x", TERMINATE_ANNOTATION: "yes"
        })));
        assert_eq!(odd, none);
    }
}
