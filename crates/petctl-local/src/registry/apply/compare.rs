//! What an update changed (`TypedValue.Compare`): the fields added, removed
//! and modified from `old` to `new`.
//!
//! Upstream builds both objects' whole field sets and looks up every common
//! leaf in both. Here the two objects are walked together and a subtree
//! equal on both sides is skipped, since it adds, removes and modifies
//! nothing: a status write that changes one condition costs that
//! condition's paths, not the pod's. A list holding the same item twice
//! (only a set-list can; validation refuses duplicate keys) falls back to
//! the field sets, whose union semantics decide that case.
//!
//! One difference: a schema error (a list-map item without its key) inside
//! a subtree equal on both sides is not reported; the stored side went
//! through the same walk when it was written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fieldset::{self, Element, FieldSet, Path};
use super::typed::{SchemaError, Typed};
use crate::registry::patch::schema::ApplyListType;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub added: FieldSet,
    pub removed: FieldSet,
    pub modified: FieldSet,
}

impl Comparison {
    /// The fields whose value this change set: conflicts are looked for here.
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified)
    }
}

pub fn compare(typed: &Typed, old: &Value, new: &Value) -> Result<Comparison, SchemaError> {
    let (Value::Object(old_fields), Value::Object(new_fields)) = (old, new) else {
        return typed.compare_by_sets(old, new);
    };
    let mut walk = Walk {
        typed,
        out: Comparison::default(),
    };
    match walk.maps(&mut Vec::new(), old_fields, new_fields) {
        Ok(()) => Ok(walk.out),
        Err(Stop::Duplicates) => typed.compare_by_sets(old, new),
        Err(Stop::Schema(err)) => Err(err),
    }
}

/// Why the walk gave up.
enum Stop {
    Schema(SchemaError),
    Duplicates,
}

impl From<SchemaError> for Stop {
    fn from(err: SchemaError) -> Self {
        Stop::Schema(err)
    }
}

/// How a value at a path enters a field set (as `Typed::walk` sees it).
enum Shape<'v> {
    /// A map whose fields are paths of their own.
    Fields(&'v Map<String, Value>),
    /// A set or map list whose items are paths of their own.
    Items(&'v [Value]),
    /// One path: a scalar, an atomic list or map, an empty map.
    Leaf,
}

struct Walk<'t> {
    typed: &'t Typed,
    out: Comparison,
}

impl Walk<'_> {
    fn shape<'v>(&self, path: &[Element], value: &'v Value) -> Shape<'v> {
        match value {
            Value::Object(map) if !map.is_empty() && !self.typed.is_atomic_map(path) => {
                Shape::Fields(map)
            }
            Value::Array(items) if self.typed.list_type(path) != ApplyListType::Atomic => {
                Shape::Items(items)
            }
            _ => Shape::Leaf,
        }
    }

    fn values(&mut self, path: &mut Path, old: &Value, new: &Value) -> Result<(), Stop> {
        if old == new {
            return Ok(());
        }
        match (self.shape(path, old), self.shape(path, new)) {
            (Shape::Fields(old), Shape::Fields(new)) => self.maps(path, old, new),
            (Shape::Items(old), Shape::Items(new)) => self.lists(path, old, new),
            (Shape::Leaf, Shape::Leaf) => {
                self.out.modified.insert(path);
                Ok(())
            }
            // Different shapes share no path: all of old goes, all of new
            // comes.
            _ => {
                self.typed.walk(path, old, &mut self.out.removed)?;
                self.typed.walk(path, new, &mut self.out.added)?;
                Ok(())
            }
        }
    }

    fn maps(
        &mut self,
        path: &mut Path,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
    ) -> Result<(), Stop> {
        for (name, new_child) in new {
            path.push(fieldset::field(name));
            match old.get(name) {
                Some(old_child) => self.values(path, old_child, new_child)?,
                None => self.typed.walk(path, new_child, &mut self.out.added)?,
            }
            path.pop();
        }
        for (name, old_child) in old {
            if !new.contains_key(name) {
                path.push(fieldset::field(name));
                self.typed.walk(path, old_child, &mut self.out.removed)?;
                path.pop();
            }
        }
        Ok(())
    }

    /// The items of a list by their element; a repeated one stops the walk.
    fn elements<'v>(
        &self,
        path: &[Element],
        items: &'v [Value],
    ) -> Result<HashMap<Element, &'v Value>, Stop> {
        let mut by_element = HashMap::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let element = self.typed.element(path, index, item)?;
            if by_element.insert(element, item).is_some() {
                return Err(Stop::Duplicates);
            }
        }
        Ok(by_element)
    }

    fn lists(&mut self, path: &mut Path, old: &[Value], new: &[Value]) -> Result<(), Stop> {
        let is_map = matches!(self.typed.list_type(path), ApplyListType::Map(_));
        let old_items = self.elements(path, old)?;
        let new_items = self.elements(path, new)?;
        for (element, new_item) in &new_items {
            path.push(element.clone());
            match old_items.get(element) {
                Some(old_item) if is_map => self.items(path, old_item, new_item)?,
                // A set-list item is its value: the same element, the same item.
                Some(_) => {}
                None => self.item_set(path, new_item, is_map, Side::Added)?,
            }
            path.pop();
        }
        for (element, old_item) in &old_items {
            if !new_items.contains_key(element) {
                path.push(element.clone());
                self.item_set(path, old_item, is_map, Side::Removed)?;
                path.pop();
            }
        }
        Ok(())
    }

    /// The fields of a list-map item that are paths of their own.
    fn item_fields<'v>(&self, path: &[Element], item: &'v Value) -> Option<&'v Map<String, Value>> {
        match item {
            Value::Object(fields) if !fields.is_empty() && !self.typed.is_atomic_map(path) => {
                Some(fields)
            }
            _ => None,
        }
    }

    /// An item present on one side only: its own path and its fields.
    fn item_set(
        &mut self,
        path: &mut Path,
        item: &Value,
        is_map: bool,
        side: Side,
    ) -> Result<(), Stop> {
        let set = match side {
            Side::Added => &mut self.out.added,
            Side::Removed => &mut self.out.removed,
        };
        set.insert(path);
        if let (true, Value::Object(fields)) = (is_map, item) {
            if !self.typed.is_atomic_map(path) {
                self.typed.walk_map(path, fields, set)?;
            }
        }
        Ok(())
    }

    /// A list-map item on both sides: its own path is in both sets, and is
    /// modified only when it is a leaf of the new object.
    fn items(&mut self, path: &mut Path, old: &Value, new: &Value) -> Result<(), Stop> {
        if old == new {
            return Ok(());
        }
        match (self.item_fields(path, old), self.item_fields(path, new)) {
            (Some(old), Some(new)) => self.maps(path, old, new),
            (old, new) => {
                if let Some(old) = old {
                    self.typed.walk_map(path, old, &mut self.out.removed)?;
                }
                match new {
                    Some(new) => self.typed.walk_map(path, new, &mut self.out.added)?,
                    None => self.out.modified.insert(path),
                }
                Ok(())
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Added,
    Removed,
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
