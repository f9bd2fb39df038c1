//! Sets of field paths, as structured-merge-diff's `fieldpath.Set`, and
//! their `FieldsV1` JSON encoding (`fieldpath/serialize.go`): a path element
//! is `f:<field>`, `k:{<list-map keys>}`, `v:<set value>` or `i:<index>`,
//! and `.` marks a node that is itself in the set and has children.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One step of a path, kept in its encoded form (`f:spec`,
/// `k:{"name":"nginx"}`), which is also its identity in a set.
pub type Element = String;

/// A path from the object's root.
pub type Path = Vec<Element>;

pub fn field(name: &str) -> Element {
    format!("f:{name}")
}

/// The element of a list-map item: its key fields, sorted by name, as JSON.
pub fn key(keys: &[(&str, Value)]) -> Element {
    let mut sorted: Vec<&(&str, Value)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let map: Map<String, Value> = sorted
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    format!("k:{}", Value::Object(map))
}

pub fn value(value: &Value) -> Element {
    format!("v:{value}")
}

/// A path as structured-merge-diff prints it in conflicts:
/// `.spec.template.spec.containers[name="nginx"].image`.
pub fn display(path: &[Element]) -> String {
    let mut out = String::new();
    for element in path {
        match element.split_at(2) {
            ("f:", name) => {
                out.push('.');
                out.push_str(name);
            }
            ("k:", keys) => {
                let keys: Map<String, Value> = serde_json::from_str(keys).unwrap_or_default();
                let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
            ("v:", value) => out.push_str(&format!("[={value}]")),
            (_, index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// A set of paths as a tree: a node is in the set when `member` is true.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    member: bool,
    children: BTreeMap<Element, FieldSet>,
}

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    pub fn insert(&mut self, path: &[Element]) {
        match path.split_first() {
            None => self.member = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    fn node(&self, path: &[Element]) -> Option<&FieldSet> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(first)?.node(rest),
        }
    }

    pub fn has(&self, path: &[Element]) -> bool {
        self.node(path).is_some_and(|node| node.member)
    }

    /// Whether `path` or any path below it is in the set.
    pub fn touches(&self, path: &[Element]) -> bool {
        self.node(path).is_some_and(|node| !node.is_empty())
    }

    /// Whether `path` is in the set with nothing below it.
    pub fn is_leaf(&self, path: &[Element]) -> bool {
        self.node(path)
            .is_some_and(|node| node.member && node.children.is_empty())
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.member |= other.member;
        for (element, child) in &other.children {
            let merged = match out.children.get(element) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(element.clone(), merged);
        }
        out
    }

    /// The paths of `self` not in `other` (each path on its own, as
    /// `Set.Difference`).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (element, child) in &self.children {
            let rest = match other.children.get(element) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !rest.is_empty() {
                out.children.insert(element.clone(), rest);
            }
        }
        out
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (element, child) in &self.children {
            if let Some(theirs) = other.children.get(element) {
                let both = child.intersection(theirs);
                if !both.is_empty() {
                    out.children.insert(element.clone(), both);
                }
            }
        }
        out
    }

    /// The set without `path` and everything below it
    /// (`Set.RecursiveDifference` with one path).
    pub fn without_subtree(&self, path: &[Element]) -> FieldSet {
        let mut out = self.clone();
        out.remove_subtree(path);
        out
    }

    fn remove_subtree(&mut self, path: &[Element]) {
        match path.split_first() {
            None => *self = FieldSet::default(),
            Some((first, rest)) => {
                if let Some(child) = self.children.get_mut(first) {
                    child.remove_subtree(rest);
                    if child.is_empty() {
                        self.children.remove(first);
                    }
                }
            }
        }
    }

    /// Only `path` and what is below it.
    pub fn subtree(&self, path: &[Element]) -> FieldSet {
        let mut out = FieldSet::default();
        if let Some(node) = self.node(path) {
            let mut slot = &mut out;
            for element in path {
                slot = slot.children.entry(element.clone()).or_default();
            }
            *slot = node.clone();
        }
        out
    }

    /// Every path in the set, parents before children, in encoded order.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        if self.member {
            out.push(prefix.clone());
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// The `fieldsV1` JSON of the set.
    pub fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        if self.member && !self.children.is_empty() {
            map.insert(".".into(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            map.insert(element.clone(), child.to_fields_v1());
        }
        Value::Object(map)
    }

    /// Reads `fieldsV1` JSON; the root is never a member itself.
    pub fn from_fields_v1(json: &Value) -> Result<FieldSet, String> {
        let mut set = Self::decode(json)?;
        set.member = false;
        Ok(set)
    }

    fn decode(json: &Value) -> Result<FieldSet, String> {
        let map = json
            .as_object()
            .ok_or_else(|| format!("fieldsV1: expected an object, got {json}"))?;
        let mut set = FieldSet {
            member: map.is_empty() || map.contains_key("."),
            children: BTreeMap::new(),
        };
        for (element, child) in map {
            if element == "." {
                continue;
            }
            if !["f:", "k:", "v:", "i:"]
                .iter()
                .any(|p| element.starts_with(p))
            {
                return Err(format!("fieldsV1: unexpected path element {element:?}"));
            }
            set.children.insert(element.clone(), Self::decode(child)?);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(elements: &[&str]) -> Path {
        elements.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn fields_v1_round_trips_with_members_keys_and_values() {
        let json = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}
                }}}
            },
            "f:finalizers": {"v:\"a\"": {}},
        });
        let set = FieldSet::from_fields_v1(&json).unwrap();
        assert!(set.has(&path(&["f:spec", "f:replicas"])));
        assert!(!set.has(&path(&["f:spec"])));
        assert!(set.has(&path(&[
            "f:spec",
            "f:template",
            "f:spec",
            "f:containers",
            "k:{\"name\":\"nginx\"}"
        ])));
        assert_eq!(set.to_fields_v1(), json);
        assert!(FieldSet::from_fields_v1(&json!({"x:y": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!([])).is_err());
    }

    #[test]
    fn set_operations_work_path_by_path() {
        let mut a = FieldSet::default();
        a.insert(&path(&["f:spec", "f:replicas"]));
        a.insert(&path(&["f:spec", "f:paused"]));
        let mut b = FieldSet::default();
        b.insert(&path(&["f:spec", "f:replicas"]));
        b.insert(&path(&["f:status", "f:ready"]));
        assert_eq!(
            a.intersection(&b).paths(),
            vec![path(&["f:spec", "f:replicas"])]
        );
        assert_eq!(
            a.difference(&b).paths(),
            vec![path(&["f:spec", "f:paused"])]
        );
        assert_eq!(a.union(&b).paths().len(), 3);
        assert_eq!(b.without_subtree(&path(&["f:status"])).paths().len(), 1);
        assert_eq!(b.subtree(&path(&["f:status"])).paths().len(), 1);
        assert!(a.touches(&path(&["f:spec"])));
        assert!(!a.touches(&path(&["f:status"])));
    }

    #[test]
    fn paths_print_as_structured_merge_diff_prints_them() {
        let nginx = key(&[("name", json!("nginx"))]);
        let port = key(&[("protocol", json!("TCP")), ("containerPort", json!(80))]);
        assert_eq!(port, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}");
        assert_eq!(
            display(&[field("spec"), field("containers"), nginx, field("image")]),
            ".spec.containers[name=\"nginx\"].image"
        );
        assert_eq!(
            display(&[field("ports"), port]),
            ".ports[containerPort=80,protocol=\"TCP\"]"
        );
        assert_eq!(
            display(&[field("finalizers"), value(&json!("a"))]),
            ".finalizers[=\"a\"]"
        );
    }
}
