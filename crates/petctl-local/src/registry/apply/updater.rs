//! The two ways ownership changes, after structured-merge-diff's
//! `merge.Updater` (`merge/update.go`): an apply makes the applier own
//! exactly what it applied (conflicts unless forced, then pruning what it
//! stopped applying and nobody else owns), an update makes the writer own
//! what it changed. Both take changed fields from other managers and drop
//! removed fields from everyone.

use serde_json::{json, Value};

use super::conflict::{conflict_error, Conflict};
use super::fieldset::{FieldSet, Path};
use super::managed::{Managed, Manager, Operation};
use super::merge::merge;
use super::typed::{Comparison, SchemaError, Typed};
use crate::registry::error::ApiError;
use crate::registry::strategy::Part;

/// The fields nobody owns (`stripmeta.go`): each path alone, not its
/// subtree — `metadata` itself is stripped, its labels are not.
const STRIPPED: &[&[&str]] = &[
    &["f:apiVersion"],
    &["f:kind"],
    &["f:metadata"],
    &["f:metadata", "f:name"],
    &["f:metadata", "f:namespace"],
    &["f:metadata", "f:creationTimestamp"],
    &["f:metadata", "f:selfLink"],
    &["f:metadata", "f:uid"],
    &["f:metadata", "f:clusterName"],
    &["f:metadata", "f:generation"],
    &["f:metadata", "f:managedFields"],
    &["f:metadata", "f:resourceVersion"],
];

/// The manager upstream records for the fields an object had before its
/// first apply (`skipnonapplied.go`).
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

pub struct Updater {
    typed: Typed,
    /// Whether the kind splits status from the rest (its reset fields).
    split_status: bool,
    part: Part,
    /// Fields an apply may take from others without a conflict (kubectl's
    /// last-applied configuration, `lastapplied.rs`).
    allowed: FieldSet,
}

fn schema_error(err: SchemaError) -> ApiError {
    ApiError::new(500, "", err.0)
}

impl Updater {
    pub fn new(kind: &'static str, split_status: bool, part: Part) -> Self {
        Updater {
            typed: Typed::new(kind),
            split_status,
            part,
            allowed: FieldSet::default(),
        }
    }

    pub fn typed(&self) -> &Typed {
        &self.typed
    }

    /// Conflicts on `allowed` alone do not stop an apply; it takes them
    /// as if forced (`lastAppliedManager.Apply`). A conflict elsewhere is
    /// reported without them.
    pub fn allowing(mut self, allowed: FieldSet) -> Self {
        self.allowed = allowed;
        self
    }

    /// `set` without what nobody owns and without what this part of the
    /// object does not write (the strategy's reset fields).
    fn owned(&self, set: FieldSet) -> FieldSet {
        let mut stripped = FieldSet::default();
        for path in STRIPPED {
            let path: Path = path.iter().map(|s| s.to_string()).collect();
            stripped.insert(&path);
        }
        let set = set.difference(&stripped);
        let status = ["f:status".to_string()];
        match (self.split_status, self.part) {
            (false, _) => set,
            (true, Part::Main | Part::Finalize) => set.without_subtree(&status),
            (true, Part::Status) => set.subtree(&status),
        }
    }

    /// The applied configuration without the fields this part resets
    /// (`resetfieldsmanager.go`): a status in an apply of the main
    /// resource, anything but status in an apply of `/status`.
    fn applicable(&self, config: &Value) -> Value {
        let mut config = config.clone();
        if let (true, Some(map)) = (self.split_status, config.as_object_mut()) {
            match self.part {
                Part::Main | Part::Finalize => {
                    map.shift_remove("status");
                }
                Part::Status => {
                    map.retain(|k, _| {
                        ["apiVersion", "kind", "metadata", "status"].contains(&k.as_str())
                    });
                    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                        meta.retain(|k, _| k == "name" || k == "namespace");
                    }
                }
            }
        }
        config
    }

    /// Applies `config` for `me` to `live` (`{}` for a create): the merged
    /// object, and `managed` updated. A no-op keeps the entry's time.
    pub fn apply(
        &self,
        live: &Value,
        config: &Value,
        managed: &mut Managed,
        me: &Manager,
        force: bool,
        now: &str,
    ) -> Result<Value, ApiError> {
        if managed.entries.is_empty() && live.as_object().is_some_and(|m| !m.is_empty()) {
            let before = Manager {
                name: BEFORE_FIRST_APPLY.into(),
                operation: Operation::Update,
                ..me.clone()
            };
            self.update(&json!({}), live, managed, &before, now)?;
        }
        let config = self.applicable(config);
        let merged = merge(&self.typed, live, &config).map_err(schema_error)?;
        let previous = managed.clone();
        let last = managed.get(me).map(|e| e.fields.clone());
        let applied = self.owned(
            self.typed
                .field_set(&config)
                .map_err(|e| ApiError::bad_request(e.0))?,
        );
        managed.set(me, applied);
        let merged = self.prune(merged, managed, last.as_ref());
        let comparison = self.typed.compare(live, &merged).map_err(schema_error)?;
        take(managed, me, &comparison, force, &self.allowed).map_err(|c| conflict_error(&c))?;
        let noop = merged == *live && same_fields(managed, &previous);
        if !noop {
            managed.touch(me, now);
        }
        Ok(merged)
    }

    /// Removes from `merged` what the applier owned before and owns no
    /// more, unless another manager owns it or something below it.
    fn prune(&self, mut merged: Value, managed: &Managed, last: Option<&FieldSet>) -> Value {
        let Some(last) = last else { return merged };
        let owned = managed
            .entries
            .iter()
            .fold(FieldSet::default(), |all, e| all.union(&e.fields));
        for path in last.paths() {
            if !owned.touches(&path) {
                self.typed.remove(&mut merged, &path);
            }
        }
        merged
    }

    /// Records a write of `new` over `live` by `me` (an Update operation).
    pub fn update(
        &self,
        live: &Value,
        new: &Value,
        managed: &mut Managed,
        me: &Manager,
        now: &str,
    ) -> Result<(), ApiError> {
        let comparison = self.typed.compare(live, new).map_err(schema_error)?;
        let _ = take(managed, me, &comparison, true, &FieldSet::default());
        let gained = self.owned(comparison.changed());
        if !gained.is_empty() {
            let previous = managed
                .get(me)
                .map(|e| e.fields.clone())
                .unwrap_or_default();
            managed.set(me, previous.union(&gained));
            managed.touch(me, now);
        }
        Ok(())
    }
}

/// Whether two managedFields own the same fields, times aside.
fn same_fields(a: &Managed, b: &Managed) -> bool {
    a.entries.len() == b.entries.len()
        && a.entries
            .iter()
            .all(|e| b.get(&e.manager).is_some_and(|o| o.fields == e.fields))
}

/// Takes the fields `comparison` changed from every manager but `me` —
/// refused with the conflicts outside `allowed` unless `force` — and drops
/// removed fields from everyone.
fn take(
    managed: &mut Managed,
    me: &Manager,
    comparison: &Comparison,
    force: bool,
    allowed: &FieldSet,
) -> Result<(), Vec<Conflict>> {
    let changed = comparison.changed();
    let mut conflicts = Vec::new();
    for entry in &managed.entries {
        if entry.manager.same(me) {
            continue;
        }
        for path in entry.fields.intersection(&changed).paths() {
            conflicts.push(Conflict {
                manager: entry.manager.clone(),
                path,
            });
        }
    }
    conflicts.retain(|c| !allowed.has(&c.path));
    if !force && !conflicts.is_empty() {
        return Err(conflicts);
    }
    for entry in &mut managed.entries {
        if !entry.manager.same(me) {
            entry.fields = entry.fields.difference(&changed);
        }
        entry.fields = entry.fields.difference(&comparison.removed);
    }
    managed.entries.retain(|e| !e.fields.is_empty());
    Ok(())
}
