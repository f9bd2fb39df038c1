//! ControllerRevisions of a StatefulSet, as `pkg/controller/history` makes
//! them: the data is a patch that re-applies the pod template, the name is
//! `<set>-<hash>` with the FNV-32 hash of that patch and the collision
//! count, safe-encoded like `rand.SafeEncodeString`.

use serde_json::{json, Map, Value};

use crate::registry::meta;

/// The label a ControllerRevision carries with its hash.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// `getPatch`: `{"spec":{"template":{…,"$patch":"replace"}}}`.
pub fn patch(set: &Value) -> Value {
    let mut template = template_at(set, "/spec/template");
    template.insert("$patch".into(), json!("replace"));
    meta::canonical(&json!({"spec": {"template": template}}))
}

/// The template a revision's patch re-applies.
pub fn template_of(revision: &Value) -> Value {
    let mut template = template_at(revision, "/data/spec/template");
    template.remove("$patch");
    Value::Object(template)
}

fn template_at(object: &Value, pointer: &str) -> Map<String, Value> {
    object
        .pointer(pointer)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// FNV-1 (not 1a), 32 bits, as Go's `fnv.New32`.
fn fnv32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, b| {
        hash.wrapping_mul(0x0100_0193) ^ u32::from(*b)
    })
}

/// `rand.SafeEncodeString`: each byte mapped onto an alphabet without vowels.
fn safe_encode(text: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    text.bytes()
        .map(|b| char::from(ALPHANUMS[usize::from(b) % ALPHANUMS.len()]))
        .collect()
}

/// `HashControllerRevision(revision, &collisionCount)`.
pub fn hash(patch: &Value, collision_count: i64) -> String {
    let mut bytes = serde_json::to_vec(patch).unwrap_or_default();
    bytes.extend_from_slice(collision_count.to_string().as_bytes());
    safe_encode(&fnv32(&bytes).to_string())
}

/// `ControllerRevisionName`: `<set>-<hash>`, the prefix cut so the name is a
/// valid label value (63 characters).
pub fn revision_name(set: &str, hash: &str) -> String {
    let keep = 63usize.saturating_sub(hash.len() + 1).min(set.len());
    let prefix = set.get(..keep).unwrap_or(set).trim_end_matches('-');
    format!("{prefix}-{hash}")
}

/// A new ControllerRevision of `set` with number `number`. It carries the
/// set's annotations, as `newRevision` copies them
/// (pkg/controller/statefulset/stateful_set_utils.go): that is where
/// `kubectl rollout history` reads `kubernetes.io/change-cause`.
pub fn new_revision(set: &Value, number: i64, collision_count: i64) -> Value {
    let data = patch(set);
    let hash = hash(&data, collision_count);
    let mut labels = set
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(HASH_LABEL.into(), json!(hash));
    let mut revision = json!({
        "metadata": {
            "name": revision_name(meta::name(set), &hash),
            "namespace": meta::namespace(set),
            "labels": labels,
            "ownerReferences": [super::controller_ref(set)],
        },
        "data": data,
        "revision": number,
    });
    // An empty map is omitted, as Go's omitempty does.
    if let Some(annotations) = set
        .pointer("/metadata/annotations")
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        revision["metadata"]["annotations"] = annotations.clone();
    }
    revision
}

/// The revision a set wants, kept from one sync to the next: rebuilt (patch,
/// canonical form, hash) only when what it is made of changed — the set's
/// identity, template, annotations or collisionCount — not on the status
/// writes and pod events that make up most syncs.
#[derive(Debug, Clone)]
pub struct Wanted {
    made_of: Value,
    /// `new_revision(set, 0, collisions)`: the number is set on create.
    pub revision: Value,
}

impl Wanted {
    /// What the wanted revision of `set` is made of.
    /// (`collision_count` is read from the last of them.)
    fn made_of(set: &Value) -> [&Value; 6] {
        let at = |pointer| meta::at(set, pointer).unwrap_or(&Value::Null);
        [
            at("/metadata/name"),
            at("/metadata/namespace"),
            at("/metadata/uid"),
            at("/metadata/annotations"),
            at("/spec/template"),
            at("/status/collisionCount"),
        ]
    }

    /// The wanted revision of `set`, from `memo` when still good.
    pub fn of<'m>(memo: &'m mut Option<Wanted>, set: &Value, collision_count: i64) -> &'m Value {
        let parts = Self::made_of(set);
        let fresh = memo.as_ref().is_some_and(|w| {
            w.made_of
                .as_array()
                .is_some_and(|held| held.iter().eq(parts.iter().copied()))
        });
        if !fresh {
            *memo = Some(Wanted {
                made_of: Value::Array(parts.iter().map(|v| (*v).clone()).collect()),
                revision: new_revision(set, 0, collision_count),
            });
        }
        &memo.as_ref().expect("just filled").revision
    }
}

pub fn number(revision: &Value) -> i64 {
    revision
        .get("revision")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_go() {
        // Go: fnv.New32() over "" and "a".
        assert_eq!(fnv32(b""), 0x811c_9dc5);
        assert_eq!(fnv32(b"a"), 0x050c_5d7e);
    }

    #[test]
    fn safe_encoding_avoids_vowels() {
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn revisions_change_with_the_template_only() {
        let set = json!({"metadata": {"name": "web", "namespace": "default", "uid": "u"},
            "spec": {"replicas": 3, "template": {"metadata": {"labels": {"app": "web"}},
                                                  "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}});
        let first = new_revision(&set, 1, 0);
        let mut scaled = set.clone();
        scaled["spec"]["replicas"] = json!(5);
        assert_eq!(
            new_revision(&scaled, 1, 0)["metadata"]["name"],
            first["metadata"]["name"]
        );
        let mut updated = set.clone();
        updated["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert_ne!(
            new_revision(&updated, 2, 0)["metadata"]["name"],
            first["metadata"]["name"]
        );
        assert_ne!(
            new_revision(&set, 1, 1)["metadata"]["name"],
            first["metadata"]["name"],
            "collisions move the hash"
        );
        let name = first["metadata"]["name"].as_str().unwrap();
        assert!(name.starts_with("web-"), "{name}");
        assert_eq!(first["data"]["spec"]["template"]["$patch"], "replace");
        assert_eq!(template_of(&first), set["spec"]["template"]);
        assert_eq!(first["metadata"]["labels"]["app"], "web");
        assert!(first["metadata"].get("annotations").is_none());
        let mut annotated = set.clone();
        annotated["metadata"]["annotations"] = json!({"kubernetes.io/change-cause": "v1"});
        let with_cause = new_revision(&annotated, 1, 0);
        assert_eq!(
            with_cause["metadata"]["annotations"],
            json!({"kubernetes.io/change-cause": "v1"})
        );
        assert_eq!(with_cause["metadata"]["name"], first["metadata"]["name"]);
        assert_eq!(
            first["metadata"]["ownerReferences"][0]["kind"],
            "StatefulSet"
        );
    }

    #[test]
    fn long_names_are_cut_to_a_label() {
        let name = revision_name(&"x".repeat(80), "abcdefghij");
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("-abcdefghij"));
    }
}
