//! The `x-kubernetes-*` extensions of the served schemas: the group/version/
//! kind of each kind's schema, and the list, map and patch extensions from
//! the one merge table ([`schema::FIELDS`]) that strategic merge patch and
//! server-side apply read too.

use serde_json::{json, Map, Value};

use super::schemas;
use crate::registry::patch::schema::{self, definition_name, ApplyListType, ListStrategy, Merge};
use petctl_model::kinds::KindInfo;

/// Adds the extensions to `definitions` (the schemas of `kinds`).
pub fn apply(definitions: &mut Map<String, Value>, kinds: &[&KindInfo]) {
    for kind in kinds {
        if let Some(Value::Object(schema)) = definitions.get_mut(&definition_name(kind)) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": kind.group, "kind": kind.kind, "version": kind.version}]),
            );
        }
    }
    for row in schema::FIELDS {
        for owner in row.place.definitions(kinds) {
            let Some(property) = definitions
                .get(&owner)
                .and_then(|schema| schema.pointer(&format!("/properties/{}", row.field)))
                .cloned()
            else {
                continue;
            };
            let mut referred = Vec::new();
            schemas::references(&property, &mut referred);
            // A struct owned as one carries the extension on its type
            // (`+structType=atomic` on LabelSelector, ObjectReference …);
            // a map, on the field (`+mapType=atomic`).
            let target = match (row.merge, referred.as_slice()) {
                (Merge::Atomic, [type_name]) => definitions.get_mut(type_name),
                _ => definitions
                    .get_mut(&owner)
                    .and_then(|schema| schema.pointer_mut(&format!("/properties/{}", row.field))),
            };
            if let Some(Value::Object(target)) = target {
                target.extend(extensions(row.merge));
            }
        }
    }
    for (place, field) in schema::ATOMIC_ITEMS {
        for owner in place.definitions(kinds) {
            let mut referred = Vec::new();
            if let Some(items) = definitions
                .get(&owner)
                .and_then(|schema| schema.pointer(&format!("/properties/{field}/items")))
            {
                schemas::references(items, &mut referred);
            }
            if let [type_name] = referred.as_slice() {
                if let Some(Value::Object(item)) = definitions.get_mut(type_name) {
                    item.insert("x-kubernetes-map-type".into(), json!("atomic"));
                }
            }
        }
    }
    mark_atomic_lists(definitions);
}

/// Every other list says `x-kubernetes-list-type: atomic` explicitly, as
/// upstream's do since k8s.io/api tagged every list `+listType` (the
/// `list_type_missing` API rule of kube-openapi): the same merge as no list
/// type, but kubectl and the golden documents see the tag.
fn mark_atomic_lists(definitions: &mut Map<String, Value>) {
    for schema in definitions.values_mut() {
        let Some(Value::Object(properties)) = schema.get_mut("properties") else {
            continue;
        };
        for property in properties.values_mut() {
            if let Value::Object(property) = property {
                if property.get("type") == Some(&json!("array")) {
                    property
                        .entry("x-kubernetes-list-type")
                        .or_insert_with(|| json!("atomic"));
                }
            }
        }
    }
}

/// The extensions one way of merging shows as.
fn extensions(merge: Merge) -> Map<String, Value> {
    let mut out = Map::new();
    let merge_strategy = if matches!(merge, Merge::ListRetainingKeys(..)) {
        "merge,retainKeys"
    } else {
        "merge"
    };
    match merge {
        Merge::Atomic => {
            out.insert("x-kubernetes-map-type".into(), json!("atomic"));
        }
        Merge::Granular => {
            out.insert("x-kubernetes-map-type".into(), json!("granular"));
        }
        Merge::List(strategy, list_type) | Merge::ListRetainingKeys(strategy, list_type) => {
            match list_type {
                ApplyListType::Atomic => {}
                ApplyListType::Set => {
                    out.insert("x-kubernetes-list-type".into(), json!("set"));
                }
                ApplyListType::Map(keys) => {
                    out.insert("x-kubernetes-list-type".into(), json!("map"));
                    out.insert("x-kubernetes-list-map-keys".into(), json!(keys));
                }
            }
            match strategy {
                ListStrategy::Replace => {}
                ListStrategy::MergeScalars => {
                    out.insert("x-kubernetes-patch-strategy".into(), json!(merge_strategy));
                }
                ListStrategy::MergeByKey(key) => {
                    out.insert("x-kubernetes-patch-strategy".into(), json!(merge_strategy));
                    out.insert("x-kubernetes-patch-merge-key".into(), json!(key));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds;

    /// A row of the merge table that names no property of any served
    /// schema is a typo: SMP and SSA would follow it, OpenAPI would not.
    #[test]
    fn every_merge_row_names_a_served_property() {
        let served: Vec<&KindInfo> = kinds::KINDS.iter().collect();
        let definitions = schemas::definitions(&served);
        for row in schema::FIELDS {
            let found = row.place.definitions(&served).iter().any(|owner| {
                definitions
                    .get(owner)
                    .and_then(|schema| schema.pointer(&format!("/properties/{}", row.field)))
                    .is_some()
            });
            assert!(
                found,
                "{:?}.{} is in no served schema",
                row.place, row.field
            );
        }
    }
}
