//! An object read through the merge schema (structured-merge-diff's
//! `typed` package): its set of fields (`ToFieldSet`), the value at a path,
//! removing a path (`RemoveItems`) and comparing two objects (`Compare`).

use serde_json::{Map, Value};

pub use super::compare::Comparison;
use super::fieldset::{self, Element, FieldSet, Path};
use crate::registry::patch::schema::{self, ApplyListType};

/// Field names from the root, list items left out: the schema's key.
fn names(path: &[Element]) -> Vec<String> {
    path.iter()
        .filter_map(|e| e.strip_prefix("f:"))
        .map(str::to_string)
        .collect()
}

/// An element the schema cannot place, as upstream rejects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError(pub String);

/// The key element of a list-map item, key defaults filled in.
fn item_key(list: &[Element], keys: &[&str], item: &Value) -> Result<Element, SchemaError> {
    let mut fields = Vec::new();
    for key in keys {
        match item.get(*key) {
            Some(value) => fields.push((*key, value.clone())),
            None => match schema::list_key_default(key) {
                Some(default) => fields.push((*key, Value::from(default))),
                None => {
                    return Err(SchemaError(format!(
                        "{}: associative list with keys has an element that omits key field {key:?} (and doesn't have default value)",
                        fieldset::display(list)
                    )))
                }
            },
        }
    }
    Ok(fieldset::key(&fields))
}

pub struct Typed {
    kind: &'static str,
}

impl Typed {
    pub fn new(kind: &'static str) -> Self {
        Typed { kind }
    }

    pub fn list_type(&self, path: &[Element]) -> ApplyListType {
        schema::apply_list_type(self.kind, &names(path))
    }

    pub fn is_atomic_map(&self, path: &[Element]) -> bool {
        schema::is_atomic_map(self.kind, &names(path))
    }

    /// The element of a list's item at `list`.
    pub fn element(
        &self,
        list: &[Element],
        index: usize,
        item: &Value,
    ) -> Result<Element, SchemaError> {
        match self.list_type(list) {
            ApplyListType::Map(keys) => item_key(list, keys, item),
            ApplyListType::Set => Ok(fieldset::value(item)),
            ApplyListType::Atomic => Ok(format!("i:{index}")),
        }
    }

    /// The fields an object sets: its leaves, atomic lists and maps, and
    /// the items of associative lists (`ToFieldSet`). An empty map is kept
    /// as a leaf so that whoever set it owns it.
    pub fn field_set(&self, object: &Value) -> Result<FieldSet, SchemaError> {
        let mut set = FieldSet::default();
        let Value::Object(map) = object else {
            return Ok(set);
        };
        self.walk_map(&mut Vec::new(), map, &mut set)?;
        Ok(set)
    }

    pub(super) fn walk_map(
        &self,
        path: &mut Path,
        map: &Map<String, Value>,
        set: &mut FieldSet,
    ) -> Result<(), SchemaError> {
        for (name, child) in map {
            path.push(fieldset::field(name));
            self.walk(path, child, set)?;
            path.pop();
        }
        Ok(())
    }

    pub(super) fn walk(
        &self,
        path: &mut Path,
        value: &Value,
        set: &mut FieldSet,
    ) -> Result<(), SchemaError> {
        match value {
            Value::Object(map) if !map.is_empty() && !self.is_atomic_map(path) => {
                self.walk_map(path, map, set)
            }
            Value::Array(items) if self.list_type(path) != ApplyListType::Atomic => {
                let is_map = matches!(self.list_type(path), ApplyListType::Map(_));
                for (index, item) in items.iter().enumerate() {
                    path.push(self.element(path, index, item)?);
                    set.insert(path);
                    if let (true, Value::Object(fields), false) =
                        (is_map, item, self.is_atomic_map(path))
                    {
                        self.walk_map(path, fields, set)?;
                    }
                    path.pop();
                }
                Ok(())
            }
            _ => {
                set.insert(path);
                Ok(())
            }
        }
    }

    /// The index of the item `element` names in the list at `list`.
    fn find(&self, list: &[Element], items: &[Value], element: &str) -> Option<usize> {
        if let Some(index) = element.strip_prefix("i:") {
            return index.parse().ok().filter(|i| *i < items.len());
        }
        items
            .iter()
            .enumerate()
            .position(|(index, item)| self.element(list, index, item).is_ok_and(|e| e == element))
    }

    pub fn get<'v>(&self, object: &'v Value, path: &[Element]) -> Option<&'v Value> {
        let mut value = object;
        for (depth, element) in path.iter().enumerate() {
            value = match (element.strip_prefix("f:"), value) {
                (Some(name), Value::Object(map)) => map.get(name)?,
                (None, Value::Array(items)) => &items[self.find(&path[..depth], items, element)?],
                _ => return None,
            };
        }
        Some(value)
    }

    /// Removes the value at `path`, and with it everything below it.
    pub fn remove(&self, object: &mut Value, path: &[Element]) {
        let Some((last, parent_path)) = path.split_last() else {
            return;
        };
        let mut value = object;
        for (depth, element) in parent_path.iter().enumerate() {
            let next = match (element.strip_prefix("f:"), value) {
                (Some(name), Value::Object(map)) => map.get_mut(name),
                (None, Value::Array(items)) => {
                    match self.find(&parent_path[..depth], items, element) {
                        Some(index) => items.get_mut(index),
                        None => None,
                    }
                }
                _ => None,
            };
            let Some(next) = next else { return };
            value = next;
        }
        match (last.strip_prefix("f:"), value) {
            (Some(name), Value::Object(map)) => {
                map.shift_remove(name);
            }
            (None, Value::Array(items)) => {
                if let Some(index) = self.find(parent_path, items, last) {
                    items.remove(index);
                }
            }
            _ => {}
        }
    }

    /// What changed from `old` to `new` (`TypedValue.Compare`), found by
    /// walking both together ([`compare`](super::compare)).
    pub fn compare(&self, old: &Value, new: &Value) -> Result<Comparison, SchemaError> {
        super::compare::compare(self, old, new)
    }

    /// The same from the two whole field sets, as upstream computes it.
    pub(super) fn compare_by_sets(
        &self,
        old: &Value,
        new: &Value,
    ) -> Result<Comparison, SchemaError> {
        let before = self.field_set(old)?;
        let after = self.field_set(new)?;
        let mut modified = FieldSet::default();
        for path in after.intersection(&before).paths() {
            if after.is_leaf(&path) && self.get(old, &path) != self.get(new, &path) {
                modified.insert(&path);
            }
        }
        Ok(Comparison {
            added: after.difference(&before),
            removed: before.difference(&after),
            modified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{
                    "name": "nginx",
                    "image": "nginx:1",
                    "args": ["-g"],
                    "ports": [{"containerPort": 80}],
                    "resources": {}
                }]}}
            }
        })
    }

    #[test]
    fn the_field_set_follows_list_types_and_atomic_maps() {
        let typed = Typed::new("StatefulSet");
        let fields = typed.field_set(&set()).unwrap();
        let json = fields.to_fields_v1();
        let container =
            &json["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"];
        assert_eq!(container["."], json!({}));
        assert_eq!(container["f:args"], json!({}));
        assert_eq!(container["f:resources"], json!({}));
        assert_eq!(
            container["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"],
            json!({".": {}, "f:containerPort": {}})
        );
        assert_eq!(json["f:spec"]["f:selector"], json!({}));
        assert_eq!(json["f:metadata"]["f:finalizers"], json!({"v:\"a\"": {}}));
    }

    #[test]
    fn a_list_map_item_without_its_key_is_refused() {
        let typed = Typed::new("Pod");
        let err = typed
            .field_set(&json!({"spec": {"containers": [{"image": "x"}]}}))
            .unwrap_err();
        assert_eq!(
            err.0,
            ".spec.containers: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"
        );
    }

    #[test]
    fn get_remove_and_compare_address_items_by_key() {
        let typed = Typed::new("StatefulSet");
        let image: Path = [
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"nginx\"}",
            "f:image",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let old = set();
        assert_eq!(typed.get(&old, &image), Some(&json!("nginx:1")));
        let mut new = old.clone();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        typed.remove(&mut new, &["f:spec".into(), "f:replicas".into()]);
        let diff = typed.compare(&old, &new).unwrap();
        assert_eq!(diff.modified.paths(), vec![image.clone()]);
        assert_eq!(
            diff.removed.paths(),
            vec![vec!["f:spec".to_string(), "f:replicas".to_string()]]
        );
        assert!(diff.added.is_empty());
        typed.remove(&mut new, &image[..5]);
        assert_eq!(new["spec"]["template"]["spec"]["containers"], json!([]));
    }
}
