//! Merging an applied configuration into the live object, as
//! structured-merge-diff's `TypedValue.Merge` (`typed/merge.go`): granular
//! maps merge field by field, associative lists (map and set) item by item
//! keeping the order both sides agree on, and everything atomic (scalars,
//! atomic lists and maps) is replaced by the configuration's value.

use serde_json::{Map, Value};

use super::fieldset::{self, Element, Path};
use super::typed::{SchemaError, Typed};
use crate::registry::patch::schema::ApplyListType;

/// `live` with `config` merged in.
pub fn merge(typed: &Typed, live: &Value, config: &Value) -> Result<Value, SchemaError> {
    merge_at(typed, &mut Vec::new(), live, config)
}

fn merge_at(
    typed: &Typed,
    path: &mut Path,
    live: &Value,
    config: &Value,
) -> Result<Value, SchemaError> {
    match (live, config) {
        (Value::Object(live), Value::Object(config)) if !typed.is_atomic_map(path) => {
            let mut out = live.clone();
            for (name, value) in config {
                path.push(fieldset::field(name));
                let merged = match live.get(name) {
                    Some(old) => merge_at(typed, path, old, value)?,
                    None => merge_at(typed, path, &Value::Null, value)?,
                };
                path.pop();
                out.insert(name.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        (_, Value::Object(config)) if !typed.is_atomic_map(path) => merge_at(
            typed,
            path,
            &Value::Object(Map::new()),
            &Value::Object(config.clone()),
        ),
        (live, Value::Array(config)) if typed.list_type(path) != ApplyListType::Atomic => {
            let empty = Vec::new();
            let live = live.as_array().unwrap_or(&empty);
            merge_list(typed, path, live, config).map(Value::Array)
        }
        (_, config) => Ok(config.clone()),
    }
}

/// Items of both sides in one list (`visitListItems` in typed/merge.go):
/// an item only `live` has stays where it was, before the configuration's
/// item at the same place; the configuration's items keep its order.
fn merge_list(
    typed: &Typed,
    path: &mut Path,
    live: &[Value],
    config: &[Value],
) -> Result<Vec<Value>, SchemaError> {
    let elements = |items: &[Value]| -> Result<Vec<Element>, SchemaError> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| typed.element(path, i, item))
            .collect()
    };
    let live_elements = elements(live)?;
    let config_elements = elements(config)?;
    let in_config = |e: &Element| config_elements.contains(e);
    let in_live = |e: &Element| live_elements.iter().position(|l| l == e);
    // The items both sides have, in the configuration's order.
    let mut shared = config_elements.iter().filter(|e| in_live(e).is_some());
    let mut next_shared = shared.next();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let (mut l, mut r) = (0, 0);
    while l < live.len() || r < config.len() {
        if l < live.len() {
            let element = &live_elements[l];
            let matches_next = r < config.len() && *element == config_elements[r];
            let shared_later = in_config(element)
                && (r >= config.len() || next_shared.is_some_and(|n| n != element));
            if !matches_next && shared_later {
                l += 1;
                continue;
            }
            if !in_config(element) {
                out.push(live[l].clone());
                l += 1;
                continue;
            }
        }
        let element = config_elements[r].clone();
        let old = in_live(&element).map_or(&Value::Null, |i| &live[i]);
        if l < live.len() && live_elements[l] == element {
            l += 1;
        }
        if next_shared == Some(&element) {
            next_shared = shared.next();
        }
        path.push(element);
        out.push(merge_at(typed, path, old, &config[r])?);
        path.pop();
        r += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(live: Value, config: Value) -> Value {
        merge(&Typed::new("StatefulSet"), &live, &config).unwrap()
    }

    #[test]
    fn containers_merge_by_name_and_keep_the_live_order() {
        let live = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "a:1", "tty": true},
            {"name": "sidecar", "image": "s:1"},
            {"name": "b", "image": "b:1"}
        ]}}}});
        let config = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "a:2"},
            {"name": "b", "image": "b:2"},
            {"name": "c", "image": "c:1"}
        ]}}}});
        let out = merged(live, config);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([
                {"name": "a", "image": "a:2", "tty": true},
                {"name": "sidecar", "image": "s:1"},
                {"name": "b", "image": "b:2"},
                {"name": "c", "image": "c:1"}
            ])
        );
    }

    #[test]
    fn atomic_lists_and_maps_are_replaced_sets_are_merged() {
        let live = json!({
            "metadata": {"finalizers": ["x"], "labels": {"a": "1"}},
            "spec": {"selector": {"matchLabels": {"a": "1", "b": "2"}},
                     "template": {"spec": {"containers": [{"name": "c", "args": ["1", "2"]}]}}}
        });
        let config = json!({
            "metadata": {"finalizers": ["y"], "labels": {"b": "2"}},
            "spec": {"selector": {"matchLabels": {"a": "1"}},
                     "template": {"spec": {"containers": [{"name": "c", "args": ["3"]}]}}}
        });
        let out = merged(live, config);
        assert_eq!(out["metadata"]["finalizers"], json!(["x", "y"]));
        assert_eq!(out["metadata"]["labels"], json!({"a": "1", "b": "2"}));
        assert_eq!(out["spec"]["selector"], json!({"matchLabels": {"a": "1"}}));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["args"],
            json!(["3"])
        );
    }

    #[test]
    fn ports_merge_by_port_and_defaulted_protocol() {
        let live = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "ports": [
            {"containerPort": 80, "protocol": "TCP", "name": "web"},
            {"containerPort": 80, "protocol": "UDP"}
        ]}]}}}});
        let config = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "ports": [
            {"containerPort": 80, "name": "http"}
        ]}]}}}});
        let out = merged(live, config);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["ports"],
            json!([
                {"containerPort": 80, "protocol": "TCP", "name": "http"},
                {"containerPort": 80, "protocol": "UDP"}
            ])
        );
    }
}
