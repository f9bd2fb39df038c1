//! Strategic merge patch, after apimachinery's `strategicpatch` (`mergeMap`,
//! `mergeSlice`, `mergePatchIntoOriginal`, `normalizeElementOrder`), with
//! the options kube-apiserver applies patches with: parallel lists merged
//! and unmatched nulls ignored.

use serde_json::{Map, Value};

use super::schema::{list_strategy, ListStrategy};
use super::PatchError;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";

pub struct Merger<'a> {
    kind: &'a str,
    /// Field names from the root to the map being merged; list elements add
    /// nothing, so a container's fields sit under `…containers`.
    path: Vec<String>,
}

fn bad_request(message: &str) -> PatchError {
    PatchError::BadRequest(message.to_string())
}

fn no_merge_key(map: &Map<String, Value>, key: &str) -> PatchError {
    PatchError::Internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_fmt(&Value::Object(map.clone()))
    ))
}

fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> PatchError {
    PatchError::Internal(format!(
        "unknown patch type: {} in map: {}",
        go_fmt(directive),
        go_fmt(&Value::Object(map.clone()))
    ))
}

/// How Go's `%v` prints decoded JSON, for messages that quote a patch.
pub(super) fn go_fmt(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_fmt).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let entries: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}:{}", go_fmt(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElementKind {
    Null,
    Bool,
    Number,
    String,
    Object,
    List,
}

/// The one kind of element of both lists (apimachinery `sliceElementType`).
fn element_kind(original: &[Value], patch: &[Value]) -> Result<Option<ElementKind>, PatchError> {
    let mut found: Option<ElementKind> = None;
    for value in original.iter().chain(patch) {
        let kind = match value {
            // Only a list as the first element is a list of lists to Go; a
            // later one is a type mismatch.
            Value::Array(_) if found.is_none() => {
                return Err(PatchError::Unprocessable(
                    "lists of lists are not supported".to_string(),
                ))
            }
            Value::Array(_) => ElementKind::List,
            Value::Null => ElementKind::Null,
            Value::Bool(_) => ElementKind::Bool,
            Value::Number(_) => ElementKind::Number,
            Value::String(_) => ElementKind::String,
            Value::Object(_) => ElementKind::Object,
        };
        match found {
            Some(previous) if previous != kind => {
                return Err(PatchError::Internal(format!(
                    "list element types are not identical: [{} {}]",
                    go_fmt(&Value::Array(original.to_vec())),
                    go_fmt(&Value::Array(patch.to_vec()))
                )))
            }
            _ => found = Some(kind),
        }
    }
    Ok(found)
}

/// The position of `item` in `order`: by merge key for objects, by value
/// otherwise.
fn index_in(order: &[Value], item: &Value, merge_key: Option<&str>) -> Option<usize> {
    match merge_key {
        Some(key) => {
            let wanted = item.get(key)?;
            order.iter().position(|o| o.get(key) == Some(wanted))
        }
        None => order.iter().position(|o| o == item),
    }
}

/// Splits `merged` into the items present in `list` and the rest.
fn partition(
    merged: Vec<Value>,
    list: &[Value],
    merge_key: Option<&str>,
) -> (Vec<Value>, Vec<Value>) {
    merged
        .into_iter()
        .partition(|item| index_in(list, item, merge_key).is_some())
}

fn sort_by_order(mut items: Vec<Value>, order: &[Value], merge_key: Option<&str>) -> Vec<Value> {
    items.sort_by_key(|item| index_in(order, item, merge_key).unwrap_or(usize::MAX));
    items
}

/// apimachinery `normalizeElementOrder`: patch items in the patch's order,
/// server-only items in the server's order, interleaved by the server's
/// order where both are known.
fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: Option<&str>,
) -> Vec<Value> {
    let right = sort_by_order(patch_items, patch_order, merge_key);
    let left = sort_by_order(server_only, server_order, merge_key);
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    let mut out = Vec::new();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => return out,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (
                    index_in(server_order, l, merge_key),
                    index_in(server_order, r, merge_key),
                ) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
}

fn merge_key_of(strategy: ListStrategy) -> Option<&'static str> {
    match strategy {
        ListStrategy::MergeByKey(key) => Some(key),
        _ => None,
    }
}

impl<'a> Merger<'a> {
    pub fn new(kind: &'a str) -> Self {
        Merger {
            kind,
            path: Vec::new(),
        }
    }

    /// Merges `patch` into the object `original` (apimachinery `mergeMap`).
    pub fn merge_object(
        &mut self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
    ) -> Result<Map<String, Value>, PatchError> {
        if let Some(directive) = patch.get(DIRECTIVE) {
            return match directive.as_str() {
                Some("replace") => {
                    patch.shift_remove(DIRECTIVE);
                    Ok(patch)
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(bad_patch_type(directive, &patch)),
            };
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.merge_element_orders(&mut original, &mut patch)?;
        for (key, value) in patch {
            let (field, delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                Some(field) => (field.to_string(), true),
                None => (key, false),
            };
            // Unknown directives would be dropped by the typed decode.
            if field.starts_with('$') {
                continue;
            }
            if value.is_null() {
                original.shift_remove(&field);
                continue;
            }
            self.path.push(field.clone());
            let result = self.merge_field(&mut original, &field, value, delete_list);
            self.path.pop();
            result?;
        }
        Ok(original)
    }

    fn merge_field(
        &mut self,
        original: &mut Map<String, Value>,
        field: &str,
        value: Value,
        delete_list: bool,
    ) -> Result<(), PatchError> {
        let Some(current) = original.get_mut(field) else {
            if !delete_list {
                let value = self.fresh(value)?;
                original.insert(field.to_string(), value);
            }
            return Ok(());
        };
        match (current, value) {
            (Value::Object(current), Value::Object(patch)) => {
                let merged = self.merge_object(std::mem::take(current), patch)?;
                *current = merged;
            }
            (Value::Array(current), Value::Array(patch)) => {
                let merged = self.merge_list_field(std::mem::take(current), patch, delete_list)?;
                *current = merged;
            }
            (current, value) => {
                let same_type = std::mem::discriminant(&*current) == std::mem::discriminant(&value);
                if !delete_list || same_type {
                    *current = self.fresh(value)?;
                }
            }
        }
        Ok(())
    }

    /// A patch value with no counterpart in the object: its directives are
    /// applied to nothing and its nulls dropped.
    fn fresh(&mut self, value: Value) -> Result<Value, PatchError> {
        Ok(match value {
            Value::Object(map) => Value::Object(self.merge_object(Map::new(), map)?),
            Value::Array(items) => Value::Array(self.merge_list_field(Vec::new(), items, false)?),
            scalar => scalar,
        })
    }

    /// apimachinery `mergeSliceHandler` for the list at the current path.
    fn merge_list_field(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        let strategy = list_strategy(self.kind, &self.path);
        if strategy == ListStrategy::Replace && !delete_list {
            return patch
                .into_iter()
                .map(|item| match item {
                    Value::Object(map) => Ok(Value::Object(self.merge_object(Map::new(), map)?)),
                    other => Ok(other),
                })
                .collect();
        }
        self.merge_list(original, patch, merge_key_of(strategy), delete_list)
    }

    /// apimachinery `mergeSlice`.
    fn merge_list(
        &mut self,
        original: Vec<Value>,
        patch: Vec<Value>,
        merge_key: Option<&'static str>,
        delete_list: bool,
    ) -> Result<Vec<Value>, PatchError> {
        let Some(kind) = element_kind(&original, &patch)? else {
            return Ok(original);
        };
        if kind != ElementKind::Object {
            if delete_list {
                return Ok(original
                    .into_iter()
                    .filter(|v| !patch.contains(v))
                    .collect());
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for item in original.iter().chain(&patch) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            let (patch_items, server_only) = partition(merged, &patch, None);
            return Ok(normalize_order(
                patch_items,
                server_only,
                &patch,
                &original,
                None,
            ));
        }
        let Some(key) = merge_key else {
            return Err(PatchError::Internal(format!(
                "cannot merge lists without merge key for {}",
                self.path.join(".")
            )));
        };
        let (original, patch) = apply_list_directives(original, patch, key)?;
        let mut merged = original.clone();
        for item in &patch {
            let Value::Object(patch_item) = item else {
                continue;
            };
            let wanted = patch_item
                .get(key)
                .ok_or_else(|| no_merge_key(patch_item, key))?;
            let found = merged.iter_mut().find(|o| o.get(key) == Some(wanted));
            match found {
                Some(Value::Object(current)) => {
                    let merged_item =
                        self.merge_object(std::mem::take(current), patch_item.clone())?;
                    *current = merged_item;
                }
                _ => merged.push(self.fresh(item.clone())?),
            }
        }
        let (patch_items, server_only) = partition(merged, &patch, Some(key));
        Ok(normalize_order(
            patch_items,
            server_only,
            &patch,
            &original,
            Some(key),
        ))
    }

    /// apimachinery `mergePatchIntoOriginal`: each `$setElementOrder/<list>`
    /// merges its list now and puts the result in the given order.
    fn merge_element_orders(
        &mut self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
    ) -> Result<(), PatchError> {
        let directives: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
            .cloned()
            .collect();
        for directive in directives {
            let order = patch.shift_remove(&directive).unwrap_or(Value::Null);
            let Value::Array(order) = order else {
                return Err(bad_request("invalid patch format of setElementOrder list"));
            };
            let field = directive
                .get(SET_ELEMENT_ORDER.len()..)
                .unwrap_or_default()
                .to_string();
            let current = list_at(original, &field)?;
            let patch_list = list_at(patch, &field)?;
            self.path.push(field.clone());
            let result = self.order_list(current, patch_list, &order);
            self.path.pop();
            if let Some(ordered) = result? {
                original.insert(field.clone(), Value::Array(ordered));
            }
            patch.shift_remove(&field);
        }
        Ok(())
    }

    fn order_list(
        &mut self,
        current: Option<Vec<Value>>,
        patch_list: Option<Vec<Value>>,
        order: &[Value],
    ) -> Result<Option<Vec<Value>>, PatchError> {
        let merge_key = merge_key_of(list_strategy(self.kind, &self.path));
        check_order(patch_list.as_deref().unwrap_or_default(), order, merge_key)?;
        let server_order = current.clone().unwrap_or_default();
        let merged = match (current, patch_list) {
            (Some(current), None) => current,
            (None, Some(patch)) => self.merge_list_field(Vec::new(), patch, false)?,
            (Some(current), Some(patch)) => self.merge_list_field(current, patch, false)?,
            (None, None) => return Ok(None),
        };
        let (patch_items, server_only) = partition(merged, order, merge_key);
        Ok(Some(normalize_order(
            patch_items,
            server_only,
            order,
            &server_order,
            merge_key,
        )))
    }
}

fn list_at(map: &Map<String, Value>, field: &str) -> Result<Option<Vec<Value>>, PatchError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(PatchError::Internal(format!(
            "expected []interface {{}}, but got {}",
            go_fmt(other)
        ))),
    }
}

/// apimachinery `mergeSliceWithSpecialElements`: `$patch: delete` elements
/// remove their match, `$patch: replace` makes the rest of the patch the
/// whole list.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let directive = item.get(DIRECTIVE).cloned();
        let Some(directive) = directive else {
            plain.push(item);
            continue;
        };
        let map = item.as_object().cloned().unwrap_or_default();
        match directive.as_str() {
            Some("delete") => {
                let wanted = map.get(key).ok_or_else(|| no_merge_key(&map, key))?;
                original.retain(|o| o.get(key) != Some(wanted));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(PatchError::Internal(
                    "merging lists cannot yet be specified in the patch".to_string(),
                ))
            }
            _ => return Err(bad_patch_type(&directive, &map)),
        }
    }
    if replace {
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

/// apimachinery `applyRetainKeysDirective`: only the listed fields of the
/// object survive, and the patch may set no others.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(bad_request("invalid patch format of retainKeys"));
    };
    let kept = |field: &str| retain.iter().any(|k| k.as_str() == Some(field));
    for (field, value) in patch.iter() {
        let exempt = value.is_null()
            || field.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || field.starts_with(SET_ELEMENT_ORDER);
        if !exempt && !kept(field) {
            return Err(bad_request("invalid patch format of retainKeys"));
        }
    }
    original.retain(|field, _| kept(field));
    Ok(())
}

/// apimachinery `validatePatchWithSetOrderList`: the patch's items must
/// appear in the order list, in the same relative order.
fn check_order(
    patch: &[Value],
    order: &[Value],
    merge_key: Option<&str>,
) -> Result<(), PatchError> {
    let items: Vec<&Value> = patch
        .iter()
        .filter(|v| v.get(DIRECTIVE).is_none())
        .collect();
    let same = |a: &Value, b: &Value| -> Result<bool, PatchError> {
        let Some(key) = merge_key else {
            return Ok(a == b);
        };
        let left = a
            .get(key)
            .ok_or_else(|| no_merge_key(&a.as_object().cloned().unwrap_or_default(), key))?;
        let right = b
            .get(key)
            .ok_or_else(|| no_merge_key(&b.as_object().cloned().unwrap_or_default(), key))?;
        Ok(left == right)
    };
    let mut items_iter = items.iter().peekable();
    for wanted in order {
        let Some(item) = items_iter.peek() else {
            return Ok(());
        };
        if same(item, wanted)? {
            items_iter.next();
        }
    }
    if items_iter.peek().is_some() {
        return Err(PatchError::Internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_fmt(&Value::Array(patch.to_vec())),
            go_fmt(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_formatting() {
        let value = json!({"b": [1, "x", null], "a": {"c": true}});
        assert_eq!(go_fmt(&value), "map[a:map[c:true] b:[1 x <nil>]]");
    }

    #[test]
    fn element_order_interleaves_by_server_order() {
        let s = |names: &[&str]| -> Vec<Value> { names.iter().map(|n| json!(n)).collect() };
        // (patch items, server-only items, patch order, server order) -> result
        type Lists<'a> = [&'a [&'a str]; 5];
        let cases: &[Lists] = &[
            [&["a"], &["b"], &["a"], &["a", "b"], &["a", "b"]],
            [&["b"], &["a"], &["b"], &["a", "b"], &["a", "b"]],
            // Go places b before c (b precedes c on the server) and keeps
            // the patch's c before a.
            [
                &["c", "a"],
                &["b"],
                &["c", "a"],
                &["a", "b", "c"],
                &["b", "c", "a"],
            ],
            [
                &["new"],
                &["a", "b"],
                &["new"],
                &["a", "b"],
                &["new", "a", "b"],
            ],
            [&[], &["b", "a"], &[], &["a", "b"], &["a", "b"]],
        ];
        for [patch, server, patch_order, server_order, want] in cases {
            let got = normalize_order(s(patch), s(server), &s(patch_order), &s(server_order), None);
            assert_eq!(got, s(want), "{patch:?} {server:?}");
        }
    }

    #[test]
    fn order_checks() {
        let order = vec![json!({"name": "a"}), json!({"name": "b"})];
        assert!(check_order(&[json!({"name": "b"})], &order, Some("name")).is_ok());
        assert!(check_order(
            &[json!({"name": "a"}), json!({"name": "b"})],
            &order,
            Some("name")
        )
        .is_ok());
        let err = check_order(
            &[json!({"name": "b"}), json!({"name": "a"})],
            &order,
            Some("name"),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "The order in patch list:\n[map[name:b] map[name:a]]\n doesn't match $setElementOrder/ list:\n[map[name:a] map[name:b]]\n");
    }
}
