//! `metadata.managedFields`: one entry per manager, operation (`Apply` or
//! `Update`), subresource and, for `Update`, apiVersion — the identity of
//! upstream's `BuildManagerIdentifier`
//! (`apimachinery/pkg/util/managedfields/internal/managedfields.go`) — each
//! with a time and the fields it owns as `FieldsV1`.

use serde_json::{json, Map, Value};

use super::fieldset::FieldSet;

/// The manager the oldest Update entries are merged into.
pub const ANCIENT_CHANGES: &str = "ancient-changes";

/// How many Update entries an object keeps (`DefaultMaxUpdateManagers` in
/// managedfields/internal/fieldmanager.go).
pub const MAX_UPDATE_MANAGERS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Who wrote: the identity of a managedFields entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    pub name: String,
    pub operation: Operation,
    pub subresource: String,
    pub api_version: String,
}

impl Manager {
    /// Whether both name the same entry.
    pub fn same(&self, other: &Manager) -> bool {
        self.name == other.name
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }

    /// As a conflict names it (`printManager` in
    /// `handlers/fieldmanager/internal/conflict.go`, without the time).
    pub fn describe(&self, time: Option<&str>) -> String {
        let mut out = format!("{:?}", self.name);
        if !self.subresource.is_empty() {
            out.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == Operation::Update {
            out.push_str(&format!(" using {}", self.api_version));
            if let Some(time) = time {
                out.push_str(&format!(" at {time}"));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub manager: Manager,
    pub time: Option<String>,
    pub fields: FieldSet,
}

/// All entries of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managed {
    pub entries: Vec<Entry>,
}

impl Managed {
    /// Reads `metadata.managedFields` of `object`; entries that do not
    /// decode are an error, as upstream's `DecodeManagedFields`.
    pub fn of(object: &Value) -> Result<Managed, String> {
        let Some(list) = object.pointer("/metadata/managedFields") else {
            return Ok(Managed::default());
        };
        let Some(list) = list.as_array() else {
            return Err("metadata.managedFields: expected a list".into());
        };
        let mut entries = Vec::new();
        for entry in list {
            let text = |key: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let operation = match text("operation").as_str() {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                other => return Err(format!("managedFields: unknown operation {other:?}")),
            };
            let fields = match entry.get("fieldsV1") {
                Some(fields) => FieldSet::from_fields_v1(fields)?,
                None => FieldSet::default(),
            };
            entries.push(Entry {
                manager: Manager {
                    name: text("manager"),
                    operation,
                    subresource: text("subresource"),
                    api_version: text("apiVersion"),
                },
                time: entry
                    .get("time")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                fields,
            });
        }
        Ok(Managed { entries })
    }

    pub fn get(&self, manager: &Manager) -> Option<&Entry> {
        self.entries.iter().find(|e| e.manager.same(manager))
    }

    /// Sets the fields of `manager` (and its apiVersion), keeping its time;
    /// an empty set drops the entry.
    pub fn set(&mut self, manager: &Manager, fields: FieldSet) {
        match self.entries.iter_mut().find(|e| e.manager.same(manager)) {
            Some(entry) => {
                entry.fields = fields;
                entry.manager.api_version = manager.api_version.clone();
            }
            None => self.entries.push(Entry {
                manager: manager.clone(),
                time: None,
                fields,
            }),
        }
        self.entries.retain(|e| !e.fields.is_empty());
    }

    /// Merges the oldest Update entries into one `ancient-changes` entry
    /// per apiVersion until at most `max` Update entries are left
    /// (`capUpdateManagers` in managedfields/internal/capmanagers.go): the
    /// oldest entry of a version becomes the bucket when a second one of
    /// that version is merged, and the bucket takes the time of the last
    /// entry merged into it. Apply entries are never merged.
    pub fn cap_updates(&mut self, max: usize) {
        let mut updaters: Vec<Manager> = self
            .entries
            .iter()
            .filter(|e| e.manager.operation == Operation::Update)
            .map(|e| e.manager.clone())
            .collect();
        if updaters.len() <= max {
            return;
        }
        // Oldest first; a missing time counts as the epoch, ties go by the
        // manager's identity (name first, as its encoded identifier).
        let seconds = |m: &Manager| {
            self.get(m)
                .and_then(|e| e.time.clone())
                .map(|t| t.chars().take(19).collect::<String>())
        };
        updaters.sort_by(|a, b| {
            (seconds(a), &a.name, &a.api_version, &a.subresource).cmp(&(
                seconds(b),
                &b.name,
                &b.api_version,
                &b.subresource,
            ))
        });
        let mut first_of_version: Vec<(String, Manager)> = Vec::new();
        let mut length = updaters.len();
        for manager in updaters {
            if length <= max {
                break;
            }
            let version = manager.api_version.clone();
            let Some(first) = first_of_version
                .iter()
                .find(|(v, _)| *v == version)
                .map(|(_, m)| m.clone())
            else {
                first_of_version.push((version, manager));
                continue;
            };
            let bucket = Manager {
                name: ANCIENT_CHANGES.into(),
                operation: Operation::Update,
                subresource: String::new(),
                api_version: version,
            };
            if self.get(&bucket).is_none() {
                if let Some(entry) = self.entries.iter_mut().find(|e| e.manager.same(&first)) {
                    entry.manager = bucket.clone();
                }
            }
            let Some(index) = self.entries.iter().position(|e| e.manager.same(&manager)) else {
                continue;
            };
            let merged = self.entries.remove(index);
            if let Some(entry) = self.entries.iter_mut().find(|e| e.manager.same(&bucket)) {
                entry.fields = entry.fields.union(&merged.fields);
                entry.time = merged.time;
            }
            length -= 1;
        }
    }

    pub fn touch(&mut self, manager: &Manager, now: &str) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.manager.same(manager)) {
            entry.time = Some(now.to_string());
        }
    }

    /// The entries in upstream's order (`sortEncodedManagedFields`):
    /// operation, time, manager, apiVersion, subresource.
    pub fn to_json(&self) -> Value {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by(|a, b| {
            (
                a.manager.operation,
                &a.time,
                &a.manager.name,
                &a.manager.api_version,
                &a.manager.subresource,
            )
                .cmp(&(
                    b.manager.operation,
                    &b.time,
                    &b.manager.name,
                    &b.manager.api_version,
                    &b.manager.subresource,
                ))
        });
        Value::Array(
            entries
                .into_iter()
                .map(|entry| {
                    let mut map = Map::new();
                    map.insert("manager".into(), json!(entry.manager.name));
                    map.insert("operation".into(), json!(entry.manager.operation.as_str()));
                    map.insert("apiVersion".into(), json!(entry.manager.api_version));
                    if let Some(time) = &entry.time {
                        map.insert("time".into(), json!(time));
                    }
                    map.insert("fieldsType".into(), json!("FieldsV1"));
                    map.insert("fieldsV1".into(), entry.fields.to_fields_v1());
                    if !entry.manager.subresource.is_empty() {
                        map.insert("subresource".into(), json!(entry.manager.subresource));
                    }
                    Value::Object(map)
                })
                .collect(),
        )
    }

    /// Writes the entries into `object`'s metadata (none: no field).
    pub fn store_in(&self, object: &mut Value) {
        if let Some(meta) = crate::registry::meta::metadata_mut(object) {
            if self.entries.is_empty() {
                meta.shift_remove("managedFields");
            } else {
                meta.insert("managedFields".into(), self.to_json());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_sorted_apply_first() {
        let object = json!({"metadata": {"managedFields": [
            {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
             "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1",
             "time": "2026-01-02T00:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:template": {}}}, "subresource": "status"}
        ]}});
        let managed = Managed::of(&object).unwrap();
        let json = managed.to_json();
        assert_eq!(json[0]["manager"], "kubectl");
        assert_eq!(json[0]["subresource"], "status");
        assert_eq!(json[1], object["metadata"]["managedFields"][0]);
        let edit = &managed.entries[0].manager;
        assert_eq!(
            edit.describe(Some("2026-01-01T00:00:00Z")),
            "\"kubectl-edit\" using apps/v1 at 2026-01-01T00:00:00Z"
        );
        assert_eq!(
            managed.entries[1].manager.describe(None),
            "\"kubectl\" with subresource \"status\""
        );
        assert!(
            Managed::of(&json!({"metadata": {"managedFields": [{"operation": "Patch"}]}})).is_err()
        );
    }

    fn update_entry(name: &str, version: &str, second: u32, field: &str) -> Entry {
        let mut fields = FieldSet::default();
        fields.insert(&["f:data".to_string(), format!("f:{field}")]);
        Entry {
            manager: Manager {
                name: name.into(),
                operation: Operation::Update,
                subresource: String::new(),
                api_version: version.into(),
            },
            time: Some(format!("2026-01-01T00:00:{second:02}Z")),
            fields,
        }
    }

    #[test]
    fn the_oldest_updates_beyond_the_cap_merge_into_ancient_changes_per_version() {
        // 12 Update entries, one of them v2, and an Apply entry, which
        // never counts: the oldest are merged until 10 Updates are left.
        let mut managed = Managed::default();
        for i in 0..12u32 {
            let version = if i == 1 { "v2" } else { "v1" };
            managed.entries.push(update_entry(
                &format!("m{i:02}"),
                version,
                i,
                &format!("k{i}"),
            ));
        }
        let mut applied = update_entry("kubectl", "v1", 0, "applied");
        applied.manager.operation = Operation::Apply;
        managed.entries.push(applied);
        managed.cap_updates(MAX_UPDATE_MANAGERS);
        let names: Vec<&str> = managed
            .entries
            .iter()
            .map(|e| e.manager.name.as_str())
            .collect();
        // m00 (v1) became the bucket; m01 (v2) stays alone; m02 and m03
        // (v1) were merged into it, which brought the count to 10.
        assert_eq!(
            names,
            [
                "ancient-changes",
                "m01",
                "m04",
                "m05",
                "m06",
                "m07",
                "m08",
                "m09",
                "m10",
                "m11",
                "kubectl"
            ]
        );
        let bucket = &managed.entries[0];
        assert_eq!(bucket.manager.api_version, "v1");
        assert_eq!(bucket.time.as_deref(), Some("2026-01-01T00:00:03Z"));
        assert_eq!(
            bucket.fields.to_fields_v1(),
            json!({"f:data": {"f:k0": {}, "f:k2": {}, "f:k3": {}}})
        );
        // At the cap nothing changes; the next update merges into the bucket.
        let before = managed.clone();
        managed.cap_updates(MAX_UPDATE_MANAGERS);
        assert_eq!(managed, before);
        managed.entries.push(update_entry("m12", "v1", 12, "k12"));
        managed.cap_updates(MAX_UPDATE_MANAGERS);
        assert_eq!(managed.entries.len(), 11);
        assert_eq!(
            managed.entries[0].fields.to_fields_v1(),
            json!({"f:data": {"f:k0": {}, "f:k2": {}, "f:k3": {}, "f:k4": {}}})
        );
    }

    #[test]
    fn an_apply_entry_is_found_whatever_its_api_version() {
        let mut managed = Managed::default();
        let mut fields = FieldSet::default();
        fields.insert(&["f:spec".to_string()]);
        let apply = |v: &str| Manager {
            name: "kubectl".into(),
            operation: Operation::Apply,
            subresource: String::new(),
            api_version: v.into(),
        };
        managed.set(&apply("apps/v1"), fields.clone());
        assert!(managed.get(&apply("apps/v2")).is_some());
        managed.set(&apply("apps/v1"), FieldSet::default());
        assert!(managed.entries.is_empty());
    }
}
