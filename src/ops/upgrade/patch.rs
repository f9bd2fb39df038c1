//! The JSON Patches an upgrade sends, each stating what it expects with
//! `test` operations so that a concurrent change fails the patch instead
//! of being overwritten. Pure: what to send follows from the set as read.

use serde_json::{json, Value};

use super::plan::Change;
use super::STRATEGY_ANNOTATION;

/// What to do about the template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateDecision {
    /// It already has the new images (and the strategy is switched).
    Done,
    Patch(Vec<Value>),
    /// Someone else changed a container we are changing.
    Changed(String),
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn image_path(c: &Change) -> String {
    format!("/spec/template/spec/containers/{}/image", c.index)
}

/// The patch that gives the template `changes` (from → to) and, when
/// `switch_from` is the set's current RollingUpdate strategy, switches it
/// to OnDelete and records it, in one atomic write.
pub fn template(set: &Value, changes: &[Change], switch_from: Option<&Value>) -> TemplateDecision {
    let mut ops = Vec::new();
    for c in changes {
        let base = format!("/spec/template/spec/containers/{}", c.index);
        let name = set.pointer(&format!("{base}/name")).and_then(Value::as_str);
        let image = set.pointer(&image_path(c)).and_then(Value::as_str);
        if name != Some(c.container.as_str()) {
            return TemplateDecision::Changed(format!(
                "container {} is no longer at index {} of the template",
                c.container, c.index
            ));
        }
        match image {
            Some(now) if now == c.to => {}
            Some(now) if now == c.from => {
                ops.push(
                    json!({"op": "test", "path": format!("{base}/name"), "value": c.container}),
                );
                ops.push(json!({"op": "test", "path": image_path(c), "value": c.from}));
                ops.push(json!({"op": "replace", "path": image_path(c), "value": c.to}));
            }
            now => {
                return TemplateDecision::Changed(format!(
                    "container {} now has image {:?}, not {:?} as planned",
                    c.container,
                    now.unwrap_or(""),
                    c.from
                ))
            }
        }
    }
    if let Some(original) = switch_from {
        let current = set.pointer("/spec/updateStrategy");
        let recorded = set
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(STRATEGY_ANNOTATION))
            .is_some();
        if !recorded {
            if current != Some(original) {
                return TemplateDecision::Changed(format!(
                    "its update strategy is now {}",
                    current.cloned().unwrap_or(Value::Null)
                ));
            }
            ops.push(json!({"op": "test", "path": "/spec/updateStrategy", "value": original}));
            ops.push(json!({"op": "replace", "path": "/spec/updateStrategy", "value": {"type": "OnDelete"}}));
            ops.extend(add_annotation(
                set,
                STRATEGY_ANNOTATION,
                &original.to_string(),
            ));
        }
    }
    if ops.is_empty() {
        TemplateDecision::Done
    } else {
        TemplateDecision::Patch(ops)
    }
}

/// Adding one annotation without replacing the others: into the map when
/// there is one; else the map, guarded by the resourceVersion, since JSON
/// Patch cannot test that a member is absent.
fn add_annotation(set: &Value, key: &str, value: &str) -> Vec<Value> {
    if set
        .pointer("/metadata/annotations")
        .is_some_and(Value::is_object)
    {
        vec![
            json!({"op": "add", "path": format!("/metadata/annotations/{}", escape(key)), "value": value}),
        ]
    } else {
        let rv = set
            .pointer("/metadata/resourceVersion")
            .cloned()
            .unwrap_or(Value::Null);
        vec![
            json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv}),
            json!({"op": "add", "path": "/metadata/annotations", "value": {key: value}}),
        ]
    }
}

/// The patch that gives the strategy an earlier switch recorded back, and
/// drops the record; None when there is nothing to restore. When someone
/// changed the strategy meanwhile, theirs stays: only the record goes.
pub fn restore(set: &Value) -> Option<Vec<Value>> {
    let annotation_path = format!("/metadata/annotations/{}", escape(STRATEGY_ANNOTATION));
    let text = set.pointer(&annotation_path)?.as_str()?;
    let mut ops = vec![json!({"op": "test", "path": annotation_path, "value": text})];
    let on_delete = json!({"type": "OnDelete"});
    match serde_json::from_str::<Value>(text) {
        Ok(original) if set.pointer("/spec/updateStrategy") == Some(&on_delete) => {
            ops.push(json!({"op": "test", "path": "/spec/updateStrategy", "value": on_delete}));
            ops.push(json!({"op": "replace", "path": "/spec/updateStrategy", "value": original}));
        }
        _ => {}
    }
    ops.push(json!({"op": "remove", "path": annotation_path}));
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(from: &str, to: &str) -> Change {
        Change {
            container: "nginx".into(),
            index: 1,
            from: from.into(),
            to: to.into(),
        }
    }

    fn set(image: &str, annotations: Option<Value>) -> Value {
        let mut set = json!({
            "metadata": {"name": "web", "resourceVersion": "7"},
            "spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
                     "template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}, {"name": "nginx", "image": image}]}}}
        });
        if let Some(a) = annotations {
            set["metadata"]["annotations"] = a;
        }
        set
    }

    #[test]
    fn template_patches() {
        let rolling = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
        let image_ops = vec![
            json!({"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "nginx"}),
            json!({"op": "test", "path": "/spec/template/spec/containers/1/image", "value": "a"}),
            json!({"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "b"}),
        ];
        let mut switched = image_ops.clone();
        switched.extend([
            json!({"op": "test", "path": "/spec/updateStrategy", "value": rolling}),
            json!({"op": "replace", "path": "/spec/updateStrategy", "value": {"type": "OnDelete"}}),
            json!({"op": "add", "path": "/metadata/annotations/petctl.io~1upgrade-update-strategy", "value": rolling.to_string()}),
        ]);
        let mut no_annotations = image_ops.clone();
        no_annotations.extend([
            json!({"op": "test", "path": "/spec/updateStrategy", "value": rolling}),
            json!({"op": "replace", "path": "/spec/updateStrategy", "value": {"type": "OnDelete"}}),
            json!({"op": "test", "path": "/metadata/resourceVersion", "value": "7"}),
            json!({"op": "add", "path": "/metadata/annotations", "value": {STRATEGY_ANNOTATION: rolling.to_string()}}),
        ]);
        let recorded = json!({STRATEGY_ANNOTATION: rolling.to_string()});
        let cases: Vec<(&str, Value, Option<&Value>, TemplateDecision)> = vec![
            (
                "image only",
                set("a", None),
                None,
                TemplateDecision::Patch(image_ops),
            ),
            (
                "already there",
                set("b", None),
                None,
                TemplateDecision::Done,
            ),
            (
                "changed by someone else",
                set("c", None),
                None,
                TemplateDecision::Changed(
                    "container nginx now has image \"c\", not \"a\" as planned".into(),
                ),
            ),
            (
                "switch",
                set("a", Some(json!({}))),
                Some(&rolling),
                TemplateDecision::Patch(switched),
            ),
            (
                "switch, no annotations",
                set("a", None),
                Some(&rolling),
                TemplateDecision::Patch(no_annotations),
            ),
            (
                "switched before",
                set("b", Some(recorded)),
                Some(&rolling),
                TemplateDecision::Done,
            ),
        ];
        for (name, set, switch, want) in cases {
            assert_eq!(template(&set, &[change("a", "b")], switch), want, "{name}");
        }
    }

    #[test]
    fn restores_the_recorded_strategy() {
        let rolling = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
        let path = "/metadata/annotations/petctl.io~1upgrade-update-strategy";
        let mut s = set("b", Some(json!({STRATEGY_ANNOTATION: rolling.to_string()})));
        s["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        assert_eq!(
            restore(&s),
            Some(vec![
                json!({"op": "test", "path": path, "value": rolling.to_string()}),
                json!({"op": "test", "path": "/spec/updateStrategy", "value": {"type": "OnDelete"}}),
                json!({"op": "replace", "path": "/spec/updateStrategy", "value": rolling}),
                json!({"op": "remove", "path": path}),
            ])
        );
        // Someone chose another strategy meanwhile: keep it, drop the record.
        s["spec"]["updateStrategy"] = json!({"type": "RollingUpdate"});
        assert_eq!(
            restore(&s),
            Some(vec![
                json!({"op": "test", "path": path, "value": rolling.to_string()}),
                json!({"op": "remove", "path": path}),
            ])
        );
        assert_eq!(restore(&set("b", None)), None);
    }
}
