//! The pod template of a set: the `initialized` debug annotation, handled as
//! the PetSet-to-StatefulSet upgrade guide says, and the alpha and beta
//! annotations that became pod spec fields (init containers, affinity).

use serde_json::{Map, Value};

use super::object::{
    annotation, beta_and_alpha, go_bool, insert_after, insert_before, object_at, remove_annotation,
    set_annotation, Problem,
};
use super::{Changes, Source, Target};
use petctl_model::field_path::FieldPath;
use petctl_model::types::petset::INITIALIZED_ANNOTATION;

const INIT_CONTAINERS_BETA: &str = "pod.beta.kubernetes.io/init-containers";
const INIT_CONTAINERS_ALPHA: &str = "pod.alpha.kubernetes.io/init-containers";
const AFFINITY: &str = "scheduler.alpha.kubernetes.io/affinity";

/// Kubernetes 1.8 stopped reading the `initialized` annotation (kubernetes
/// PR 49251), so in apps/v1 it pauses nothing.
const IGNORED_IN_APPS_V1: &str =
    "note: apps/v1 ignores it (since Kubernetes 1.8), so there the set will not stay paused";

pub(super) fn convert(
    spec: &mut Map<String, Value>,
    source: Source,
    target: Target,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let path = FieldPath::root().key("spec").key("template");
    let template = match spec.get_mut("template") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(template)) => template,
        Some(_) => return Err(Problem::new(path, "must be an object")),
    };
    initialized(template, &path, source, target, changes)?;
    if target == Target::AppsV1 {
        init_containers(template, &path, changes)?;
        affinity(template, &path, changes)?;
    }
    Ok(())
}

fn annotation_path(path: &FieldPath, key: &str) -> FieldPath {
    path.key("metadata").key("annotations").key(key)
}

/// PetSets without the annotation were paused, StatefulSets are not: the
/// upgrade guide says to drop a `"true"` and to add `"false"` where it was
/// missing.
fn initialized(
    template: &mut Map<String, Value>,
    path: &FieldPath,
    source: Source,
    target: Target,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let shown = annotation_path(path, INITIALIZED_ANNOTATION);
    let current = annotation(template, INITIALIZED_ANNOTATION, path)?.map(str::to_owned);
    let note = if target == Target::AppsV1 {
        format!("; {IGNORED_IN_APPS_V1}")
    } else {
        String::new()
    };
    match (source, current.as_deref().map(|v| (v, go_bool(v)))) {
        (Source::PetSet, None) => {
            set_annotation(template, INITIALIZED_ANNOTATION, "false", path)?;
            changes.push(format!(
                "added {shown}: \"false\": a PetSet without it is paused, and the upgrade guide keeps it paused; remove it to let the set proceed{note}"
            ));
        }
        (Source::PetSet, Some((text, None))) => {
            set_annotation(template, INITIALIZED_ANNOTATION, "false", path)?;
            changes.push(format!(
                "replaced {shown}: {text:?} with \"false\": a PetSet reads a value that is not a boolean as paused{note}"
            ));
        }
        (_, Some((text, Some(true)))) => {
            remove_annotation(template, INITIALIZED_ANNOTATION);
            let why = if target == Target::AppsV1 {
                "it is the default since apps/v1beta1, and apps/v1 ignores it"
            } else {
                "it is the default since apps/v1beta1"
            };
            changes.push(format!("removed {shown}: {text:?}: {why}"));
        }
        (_, Some((text, Some(false)))) => {
            if target == Target::AppsV1 {
                changes.push(format!("kept {shown}: {text:?}; {IGNORED_IN_APPS_V1}"));
            }
        }
        (_, Some((text, None))) => {
            remove_annotation(template, INITIALIZED_ANNOTATION);
            changes.push(format!(
                "removed {shown}: {text:?}: it is not a boolean, so StatefulSets ignored it"
            ));
        }
        (_, None) => {}
    }
    Ok(())
}

/// The JSON list of init containers in an annotation becomes
/// `initContainers`. Kubernetes 1.5 to 1.7 copied the beta key over the
/// alpha one and let the annotation replace the field, so the same order
/// of precedence holds here.
fn init_containers(
    template: &mut Map<String, Value>,
    path: &FieldPath,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let (beta, alpha) =
        beta_and_alpha(template, INIT_CONTAINERS_BETA, INIT_CONTAINERS_ALPHA, path)?;
    let (key, text) = match (&beta, &alpha) {
        (Some(text), _) => (INIT_CONTAINERS_BETA, text),
        (None, Some(text)) => (INIT_CONTAINERS_ALPHA, text),
        (None, None) => return Ok(()),
    };
    let from = annotation_path(path, key);
    let containers: Value = serde_json::from_str(text)
        .map_err(|err| Problem::new(from.clone(), format!("is not valid JSON: {err}")))?;
    let Value::Array(list) = &containers else {
        return Err(Problem::new(from, "must be a JSON list of containers"));
    };
    let names: Vec<&str> = list
        .iter()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or("?"))
        .collect();
    let names = names.join(", ");
    let to = path.key("spec").key("initContainers");
    let pod_spec = object_at(template, "spec", path)?;
    let replaced = match pod_spec.get("initContainers") {
        None | Some(Value::Null) => false,
        Some(Value::Array(old)) if old.is_empty() => false,
        Some(old) => old != &containers,
    };
    insert_before(
        pod_spec,
        "initContainers",
        containers,
        &["affinity", "containers"],
    );
    remove_annotation(template, INIT_CONTAINERS_BETA);
    remove_annotation(template, INIT_CONTAINERS_ALPHA);
    changes.push(format!("moved {from} to {to} ({names})"));
    if replaced {
        changes.push(format!(
            "replaced the existing {to} with the annotation's: the annotation took precedence in Kubernetes 1.5 to 1.7"
        ));
    }
    if beta.is_some() && alpha.is_some() {
        changes.push(format!(
            "removed {}: the beta annotation took precedence over it",
            annotation_path(path, INIT_CONTAINERS_ALPHA)
        ));
    }
    Ok(())
}

/// The JSON affinity in the scheduler's alpha annotation becomes `affinity`.
/// As the 1.6 scheduler reconciled them, a part the field already sets
/// (node, pod or pod anti-affinity) wins over the annotation's.
fn affinity(
    template: &mut Map<String, Value>,
    path: &FieldPath,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let Some(text) = annotation(template, AFFINITY, path)?.map(str::to_owned) else {
        return Ok(());
    };
    let from = annotation_path(path, AFFINITY);
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|err| Problem::new(from.clone(), format!("is not valid JSON: {err}")))?;
    let Value::Object(parts) = parsed else {
        return Err(Problem::new(from, "must be a JSON object"));
    };
    let to = path.key("spec").key("affinity");
    let pod_spec = object_at(template, "spec", path)?;
    if matches!(pod_spec.get("affinity"), None | Some(Value::Null)) {
        insert_before(
            pod_spec,
            "affinity",
            Value::Object(Map::new()),
            &["containers"],
        );
    }
    let field = object_at(pod_spec, "affinity", &path.key("spec"))?;
    let mut kept = Vec::new();
    let mut repaired = Vec::new();
    for (part, mut value) in parts {
        if field.contains_key(&part) {
            kept.push(part);
        } else {
            repaired.extend(wrap_loose_terms(&mut value, &to.key(&part)));
            field.insert(part, value);
        }
    }
    remove_annotation(template, AFFINITY);
    changes.push(format!("moved {from} to {to}"));
    for (term, fields) in repaired {
        changes.push(format!(
            "moved {fields} of {term} into its podAffinityTerm: Kubernetes ignored them where they stood, so this preference takes effect only now"
        ));
    }
    for part in kept {
        changes.push(format!(
            "kept the existing {to}.{part}: the field took precedence over the annotation"
        ));
    }
    Ok(())
}

/// The fields of a `PodAffinityTerm`.
const POD_AFFINITY_TERM_FIELDS: &[&str] = &[
    "labelSelector",
    "namespaces",
    "namespaceSelector",
    "topologyKey",
];

/// Real manifests (the cockroachdb example of Kubernetes 1.5) wrote a
/// preferred pod (anti-)affinity term's selector and topology key beside its
/// weight instead of inside `podAffinityTerm`. Go's JSON decoding dropped
/// them, so the preference did nothing; apps/v1 rejects them. They are moved
/// where they belong, as the later StatefulSet examples have them. Returns
/// each repaired term's path with the fields moved.
fn wrap_loose_terms(part: &mut Value, path: &FieldPath) -> Vec<(FieldPath, String)> {
    const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";
    let mut repaired = Vec::new();
    let Some(terms) = part.get_mut(PREFERRED).and_then(Value::as_array_mut) else {
        return repaired;
    };
    for (i, term) in terms.iter_mut().enumerate() {
        let Some(term) = term.as_object_mut() else {
            continue;
        };
        if term.contains_key("podAffinityTerm") {
            continue;
        }
        let mut inner = Map::new();
        for key in POD_AFFINITY_TERM_FIELDS {
            if let Some(value) = term.shift_remove(*key) {
                inner.insert((*key).to_string(), value);
            }
        }
        if inner.is_empty() {
            continue;
        }
        let fields: Vec<&str> = inner.keys().map(String::as_str).collect();
        let fields = fields.join(", ");
        insert_after(term, "podAffinityTerm", Value::Object(inner), &["weight"]);
        repaired.push((path.key(PREFERRED).index(i), fields));
    }
    repaired
}
