//! What an upgrade expects of its set while it runs — the same object,
//! the same replicas, only the templates it wrote itself, its own lease —
//! and what it says when a watch of the set shows otherwise. Pure.

use serde_json::Value;

use crate::json::text;
use crate::ops::lease;

/// The set as the upgrade expects to keep finding it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub uid: String,
    pub replicas: i64,
    /// The templates the upgrade read or wrote; the last is the current.
    pub templates: Vec<Value>,
    /// This run's lease id, once taken.
    pub lease: Option<String>,
    /// Whether the watch has shown our lease yet: events from before it
    /// was written do not carry it.
    pub lease_seen: bool,
}

/// What someone else changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    Deleted,
    /// Deleted and created again under the same name.
    Recreated,
    Scaled {
        from: i64,
        to: i64,
    },
    /// The first difference in the template, already worded.
    Template(String),
    /// The lease was taken over or removed, already worded.
    Lease(String),
}

/// The error that stops an upgrade when its set moved under it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?}")]
pub struct Stop(pub Moved);

fn template_of(set: &Value) -> Value {
    set.pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null)
}

fn replicas_of(set: &Value) -> i64 {
    set.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

impl Expected {
    pub fn of(set: &Value) -> Expected {
        Expected {
            uid: text(set, "/metadata/uid").to_string(),
            replicas: replicas_of(set),
            templates: vec![template_of(set)],
            lease: None,
            lease_seen: false,
        }
    }

    /// The upgrade wrote the set: its template now is ours too.
    pub fn wrote(&mut self, set: &Value) {
        let template = template_of(set);
        if !self.templates.contains(&template) {
            self.templates.push(template);
        }
    }

    /// Whether `set` (None: deleted) shows that someone else changed it;
    /// `label` names it in the message.
    pub fn moved(&mut self, set: Option<&Value>, label: &str) -> Option<Moved> {
        let Some(set) = set else {
            return Some(Moved::Deleted);
        };
        if text(set, "/metadata/uid") != self.uid {
            return Some(Moved::Recreated);
        }
        if set
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|t| !t.is_null())
        {
            return Some(Moved::Deleted);
        }
        let replicas = replicas_of(set);
        if replicas != self.replicas {
            return Some(Moved::Scaled {
                from: self.replicas,
                to: replicas,
            });
        }
        let template = template_of(set);
        if !self.templates.contains(&template) {
            let last = self.templates.last().cloned().unwrap_or(Value::Null);
            let what = difference(&last, &template, "spec.template".to_string())
                .unwrap_or_else(|| "spec.template".to_string());
            return Some(Moved::Template(what));
        }
        if let Some(id) = &self.lease {
            if lease::holds(set, id) {
                self.lease_seen = true;
            } else if self.lease_seen {
                return Some(Moved::Lease(lease::lost_message(set, label)));
            }
        }
        None
    }
}

/// `"nginx:3"`, cut short when long.
fn shown(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "absent".to_string();
    };
    let text = v.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// The first place where `now` differs from `was`, worded:
/// `spec.template.spec.containers[0].image is now "b" (was "a")`.
pub fn difference(was: &Value, now: &Value, at: String) -> Option<String> {
    if was == now {
        return None;
    }
    let worded = |at: &str, w: Option<&Value>, n: Option<&Value>| {
        Some(format!("{at} is now {} (was {})", shown(n), shown(w)))
    };
    match (was, now) {
        (Value::Object(w), Value::Object(n)) => {
            for key in w.keys().chain(n.keys().filter(|k| !w.contains_key(*k))) {
                let here = format!("{at}.{key}");
                match (w.get(key), n.get(key)) {
                    (Some(a), Some(b)) => {
                        if let Some(d) = difference(a, b, here) {
                            return Some(d);
                        }
                    }
                    (a, b) => return worded(&here, a, b),
                }
            }
            None
        }
        (Value::Array(w), Value::Array(n)) if w.len() == n.len() => w
            .iter()
            .zip(n)
            .enumerate()
            .find_map(|(i, (a, b))| difference(a, b, format!("{at}[{i}]"))),
        _ => worded(&at, Some(was), Some(now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(uid: &str, replicas: i64, image: &str) -> Value {
        json!({"metadata": {"uid": uid}, "spec": {"replicas": replicas,
            "template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}})
    }

    #[test]
    fn notices_what_others_change() {
        let label = "petset \"web\"";
        let mut expected = Expected::of(&set("u1", 3, "a"));
        assert_eq!(expected.moved(Some(&set("u1", 3, "a")), label), None);
        expected.wrote(&set("u1", 3, "b"));
        // Its own template patch, seen before and after on the watch.
        assert_eq!(expected.moved(Some(&set("u1", 3, "b")), label), None);
        assert_eq!(expected.moved(Some(&set("u1", 3, "a")), label), None);
        let cases = [
            (None, Moved::Deleted),
            (Some(set("u2", 3, "b")), Moved::Recreated),
            (Some(set("u1", 1, "b")), Moved::Scaled { from: 3, to: 1 }),
            (
                Some(set("u1", 3, "c")),
                Moved::Template(
                    "spec.template.spec.containers[0].image is now \"c\" (was \"b\")".into(),
                ),
            ),
        ];
        for (seen, want) in cases {
            assert_eq!(expected.moved(seen.as_ref(), label), Some(want));
        }
        let mut deleting = set("u1", 3, "b");
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(expected.moved(Some(&deleting), label), Some(Moved::Deleted));
    }

    #[test]
    fn notices_a_lost_lease_once_it_was_seen() {
        let label = "petset \"web\"";
        let record = |id: &str| {
            json!({"operation": "scale", "holder": "bob@h", "pid": 7, "command": "petctl scale web",
                   "id": id, "acquired": "2026-01-01T00:00:00Z", "renewed": "2026-01-01T00:00:00Z", "ttlSeconds": 60})
            .to_string()
        };
        let with = |id: Option<&str>| {
            let mut s = set("u1", 3, "a");
            if let Some(id) = id {
                s["metadata"]["annotations"] = json!({lease::LEASE_ANNOTATION: record(id)});
            }
            s
        };
        let mut expected = Expected::of(&with(None));
        expected.lease = Some("mine".into());
        assert_eq!(expected.moved(Some(&with(None)), label), None);
        assert_eq!(expected.moved(Some(&with(Some("mine"))), label), None);
        assert_eq!(
            expected.moved(Some(&with(Some("theirs"))), label),
            Some(Moved::Lease(
                "the operation lease on petset \"web\" was taken over by scale by bob@h (pid 7): petctl scale web".into()
            ))
        );
    }

    #[test]
    fn differences_are_named_by_path() {
        let a = json!({"spec": {"containers": [{"image": "a"}], "x": 1}});
        let b = json!({"spec": {"containers": [{"image": "a"}], "y": 1}});
        assert_eq!(
            difference(&a, &b, "t".into()).as_deref(),
            Some("t.spec.x is now absent (was 1)")
        );
        let c = json!({"spec": {"containers": [{"image": "a"}, {"image": "b"}]}});
        assert_eq!(
            difference(
                &a["spec"]["containers"],
                &c["spec"]["containers"],
                "t".into()
            )
            .as_deref(),
            Some("t is now [{\"image\":\"a\"},{\"image\":\"b\"}] (was [{\"image\":\"a\"}])")
        );
    }
}
