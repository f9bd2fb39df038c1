//! One set (a PetSet or a StatefulSet) brought to the target apiVersion: its
//! kind, selector, labels and the defaults that changed between versions;
//! the pod template and the claim templates are left to their own modules.

use serde_json::{json, Map, Value};

use super::object::{inline_map, insert_after, insert_before, object_at, Problem};
use super::{claims, pod_template, Changes, Converted, Source, Target};
use crate::Document;
use petctl_model::field_path::FieldPath;

/// Metadata the API server sets, found in sets saved with `kubectl get -o
/// yaml` (as the upgrade guide has users do); a create must not carry it.
const SERVER_METADATA: &[&str] = &[
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
];

pub(super) fn convert(
    doc: &Document,
    source: Source,
    target: Target,
) -> Result<Converted, Problem> {
    let root = FieldPath::root();
    if target == Target::AppsV1beta1 && matches!(source, Source::V1beta2 | Source::V1) {
        return Err(Problem::new(
            root.key("apiVersion"),
            format!(
                "cannot convert an {} StatefulSet down to apps/v1beta1",
                source.api_version()
            ),
        ));
    }
    let mut value = doc.value.clone();
    let set = value
        .as_object_mut()
        .ok_or_else(|| Problem::new(root.clone(), "must be an object"))?;
    let name = doc.name();
    let mut changes = Changes::new(if source.api_version() == target.api_version() {
        format!("statefulset {name:?} ({})", target.api_version())
    } else {
        format!(
            "{} {name:?} ({} -> {})",
            source.display_name(),
            source.api_version(),
            target.api_version()
        )
    });

    if source.api_version() != target.api_version() {
        set.insert("apiVersion".into(), json!(target.api_version()));
        set.insert("kind".into(), json!("StatefulSet"));
        changes.push(format!(
            "set apiVersion: {} and kind: StatefulSet",
            target.api_version()
        ));
    }
    strip_server_fields(set, &mut changes);
    let labels = template_labels(set)?;
    if matches!(source, Source::PetSet | Source::V1beta1) {
        default_set_labels(set, source, labels.as_ref(), &mut changes)?;
    }
    let spec = match set.get_mut("spec") {
        Some(Value::Object(spec)) => spec,
        _ => return Err(Problem::new(root.key("spec"), "must be an object")),
    };
    synthesize_selector(spec, labels.as_ref(), &mut changes)?;
    if target == Target::AppsV1 {
        write_out_defaults(spec, source, &mut changes)?;
    }
    pod_template::convert(spec, source, target, &mut changes)?;
    claims::convert(spec, target, &mut changes)?;
    Ok(Converted {
        value,
        changes: changes.lines,
    })
}

fn strip_server_fields(set: &mut Map<String, Value>, changes: &mut Changes) {
    let mut removed = Vec::new();
    if set.shift_remove("status").is_some() {
        removed.push("status".to_string());
    }
    if let Some(metadata) = set.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in SERVER_METADATA {
            if metadata.shift_remove(*key).is_some() {
                removed.push(format!("metadata.{key}"));
            }
        }
    }
    if !removed.is_empty() {
        changes.push(format!(
            "removed {}, set by the API server",
            removed.join(", ")
        ));
    }
}

/// The template's labels, when it has any.
fn template_labels(set: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Problem> {
    let path = FieldPath::parse("spec.template.metadata.labels");
    match set
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
    {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(labels)) if labels.is_empty() => Ok(None),
        Some(Value::Object(labels)) => Ok(Some(labels.clone())),
        Some(_) => Err(Problem::new(path, "must be an object")),
    }
}

/// apps/v1alpha1 and apps/v1beta1 gave a set without labels its template's
/// labels; apps/v1 does not, so they are written out.
fn default_set_labels(
    set: &mut Map<String, Value>,
    source: Source,
    labels: Option<&Map<String, Value>>,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let Some(labels) = labels else {
        return Ok(());
    };
    let metadata = object_at(set, "metadata", &FieldPath::root())?;
    let has_labels = match metadata.get("labels") {
        None | Some(Value::Null) => false,
        Some(Value::Object(own)) => !own.is_empty(),
        Some(_) => true,
    };
    if !has_labels {
        insert_after(
            metadata,
            "labels",
            Value::Object(labels.clone()),
            &["name", "generateName", "namespace"],
        );
        changes.push(format!(
            "set metadata.labels to the template labels {}, as {} defaulted them",
            inline_map(labels),
            source.api_version()
        ));
    }
    Ok(())
}

fn synthesize_selector(
    spec: &mut Map<String, Value>,
    labels: Option<&Map<String, Value>>,
    changes: &mut Changes,
) -> Result<(), Problem> {
    if !matches!(spec.get("selector"), None | Some(Value::Null)) {
        return Ok(());
    }
    let Some(labels) = labels else {
        return Err(Problem::new(
            FieldPath::parse("spec.template.metadata.labels"),
            "the set has no spec.selector and its template has no labels to make one from",
        ));
    };
    spec.shift_remove("selector");
    spec.shift_insert(0, "selector".into(), json!({"matchLabels": labels}));
    changes.push(format!(
        "set spec.selector.matchLabels from the template labels {}",
        inline_map(labels)
    ));
    Ok(())
}

/// Writes out the defaults apps/v1 would otherwise fill in differently.
fn write_out_defaults(
    spec: &mut Map<String, Value>,
    source: Source,
    changes: &mut Changes,
) -> Result<(), Problem> {
    if source == Source::V1 {
        return Ok(());
    }
    if matches!(spec.get("podManagementPolicy"), None | Some(Value::Null)) {
        insert_before(
            spec,
            "podManagementPolicy",
            json!("OrderedReady"),
            &["template"],
        );
        changes.push(match source {
            Source::PetSet => "set spec.podManagementPolicy: OrderedReady: a PetSet creates and deletes its pets one at a time, in order".to_string(),
            _ => format!(
                "set spec.podManagementPolicy: OrderedReady, the {} default, written out",
                source.api_version()
            ),
        });
    }
    let strategy = if source == Source::V1beta2 {
        "RollingUpdate"
    } else {
        "OnDelete"
    };
    let path = FieldPath::root().key("spec").key("updateStrategy");
    match spec.get_mut("updateStrategy") {
        None | Some(Value::Null) => {
            insert_before(
                spec,
                "updateStrategy",
                json!({"type": strategy}),
                &["template"],
            );
        }
        Some(Value::Object(existing)) => {
            if !matches!(existing.get("type"), None | Some(Value::Null)) {
                return Ok(());
            }
            existing.shift_remove("type");
            existing.shift_insert(0, "type".into(), json!(strategy));
        }
        Some(_) => return Err(Problem::new(path, "must be an object")),
    }
    changes.push(match source {
        Source::PetSet => "set spec.updateStrategy.type: OnDelete: a PetSet's pets take a new template only when they are deleted (apps/v1 defaults to RollingUpdate)".to_string(),
        Source::V1beta1 => "set spec.updateStrategy.type: OnDelete, the apps/v1beta1 default (apps/v1 defaults to RollingUpdate)".to_string(),
        _ => format!(
            "set spec.updateStrategy.type: {strategy}, the {} default, written out",
            source.api_version()
        ),
    });
    Ok(())
}
