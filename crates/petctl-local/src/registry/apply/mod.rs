//! Server-side apply and field management, written after
//! sigs.k8s.io/structured-merge-diff and kube-apiserver's field manager
//! (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager/`,
//! `staging/src/k8s.io/apimachinery/pkg/util/managedfields/`):
//!
//! - [`fieldset`]: sets of field paths and their `FieldsV1` encoding;
//! - [`typed`]: an object read through the merge schema of
//!   `registry/patch/schema.rs` (list types, atomic maps);
//! - [`compare`]: what an update changed, walking old and new together;
//! - [`merge`]: an applied configuration merged into the live object;
//! - [`managed`]: `metadata.managedFields` entries;
//! - [`conflict`]: the 409 for fields another manager owns;
//! - [`updater`]: how apply and update change ownership;
//! - [`lastapplied`]: kubectl's client-side apply annotation, bridged;
//! - `verb`: the apply PATCH itself.
//!
//! The write pipeline calls [`track_create`] and [`track_update`] so that
//! every write by a named manager is recorded as an `Update`.

mod compare;
mod conflict;
pub mod fieldset;
mod lastapplied;
pub mod managed;
mod merge;
mod typed;
mod updater;
#[cfg(test)]
mod updater_tests;
mod verb;

use serde_json::{json, Value};

use self::managed::{Managed, Manager, Operation, MAX_UPDATE_MANAGERS};
use self::updater::Updater;
use super::error::ApiError;
use super::meta;
use super::strategy::{self, Part};
use super::PatchType;
use petctl_model::kinds::KindInfo;

/// Who a write request says it is: the `fieldManager` and `force` query
/// parameters and the User-Agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldManager {
    pub field_manager: Option<String>,
    pub user_agent: Option<String>,
    pub force: Option<bool>,
    /// Set by the apply verb, which records its own entry.
    pub(crate) applied: bool,
    /// Set for writes through `/scale`, recorded under that subresource.
    pub(crate) scale: bool,
}

impl FieldManager {
    /// The manager of an update: `fieldManager`, else the User-Agent up
    /// to its first `/` (`managerOrUserAgent` in handlers/rest.go). The
    /// in-process controllers write with their upstream agent
    /// (`controllers/runner.rs`); None only for a request with neither.
    pub fn name(&self) -> Option<String> {
        let explicit = self.field_manager.as_deref().filter(|m| !m.is_empty());
        let agent = self
            .user_agent
            .as_deref()
            .map(|ua| ua.split('/').next().unwrap_or(""));
        explicit
            .or(agent)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
    }
}

/// kube-apiserver's maximum length of a field manager.
const MAX_FIELD_MANAGER: usize = 128;

/// `ValidatePatchOptions` (apimachinery's `validation.go`): apply needs a
/// fieldManager, `force` is for apply only.
pub fn check_patch_options(patch_type: PatchType, manager: &FieldManager) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    let apply = patch_type == PatchType::Apply;
    if !apply && manager.force.is_some() {
        causes.push((
            "FieldValueForbidden",
            "force",
            "Forbidden: may not be specified for non-apply patch".to_string(),
        ));
    }
    let name = manager.field_manager.as_deref().unwrap_or("");
    if apply && name.is_empty() {
        causes.push((
            "FieldValueRequired",
            "fieldManager",
            "Required value: is required for apply patch".to_string(),
        ));
    }
    if name.len() > MAX_FIELD_MANAGER {
        causes.push((
            "FieldValueTooLong",
            "fieldManager",
            format!("Too long: may not be more than {MAX_FIELD_MANAGER} bytes"),
        ));
    }
    if causes.is_empty() {
        return Ok(());
    }
    let message = causes
        .iter()
        .map(|(_, field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>();
    let message = match message.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let causes: Vec<Value> = causes
        .iter()
        .map(|(reason, field, message)| json!({"reason": reason, "message": message, "field": field}))
        .collect();
    Err(ApiError::new(
        422,
        "Invalid",
        format!("PatchOptions.meta.k8s.io \"\" is invalid: {message}"),
    )
    .with_details(json!({"group": "meta.k8s.io", "kind": "PatchOptions", "causes": causes})))
}

fn updater_for(kind: &'static KindInfo, part: Part) -> Updater {
    Updater::new(kind.kind, strategy::has_status_subresource(kind), part)
}

fn update_manager(kind: &KindInfo, name: String, part: Part, scale: bool) -> Manager {
    Manager {
        name,
        operation: Operation::Update,
        subresource: match part {
            Part::Main if scale => "scale".into(),
            Part::Main => String::new(),
            Part::Status => "status".into(),
            Part::Finalize => "finalize".into(),
        },
        api_version: kind.api_version(),
    }
}

/// The object without its managedFields, as the field manager compares it.
fn unmanaged(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
    object
}

/// Records a create by a named manager: it owns every field the created
/// object has, defaults included, as upstream (which defaults on decode).
pub fn track_create(kind: &'static KindInfo, manager: &FieldManager, object: &mut Value) {
    let Some(name) = manager.name().filter(|_| !manager.applied) else {
        return;
    };
    let managed = Managed::of(object).unwrap_or_default();
    record_update(kind, Part::Main, (name, false), &json!({}), managed, object);
}

/// Gives `manager` the fields that changed from `old` to `object` under
/// `managed`, and stores the result in `object`.
fn record_update(
    kind: &'static KindInfo,
    part: Part,
    (manager, scale): (String, bool),
    old: &Value,
    mut managed: Managed,
    object: &mut Value,
) {
    let me = update_manager(kind, manager, part, scale);
    if updater_for(kind, part)
        .update(old, &unmanaged(object), &mut managed, &me, &meta::now())
        .is_ok()
    {
        managed.cap_updates(MAX_UPDATE_MANAGERS);
        managed.store_in(object);
    }
}

/// Whether managedFields sent with an update ask for a reset
/// (`isResetManagedFields` in managedfields/internal/fieldmanager.go): an
/// empty list, or a list of one entry with nothing set.
fn is_reset(requested: &Value) -> bool {
    match requested.as_array().map(Vec::as_slice) {
        Some([]) => true,
        Some([Value::Object(entry)]) => entry
            .values()
            .all(|v| v.is_null() || v.as_str() == Some("")),
        _ => false,
    }
}

/// Records an update of `current` into `object` (the prepared result of a
/// request whose object carried `requested` as its managedFields). As
/// upstream, managedFields a client sends replace the stored ones, `[]` or
/// `[{}]` clears them, ones that do not decode are ignored for the stored
/// ones, and an object that has none is not tracked until applied
/// (`skipnonapplied.go`).
pub fn track_update(
    kind: &'static KindInfo,
    part: Part,
    manager: &FieldManager,
    current: &Value,
    requested: Option<Value>,
    object: &mut Value,
) {
    if manager.applied {
        if let (Some(requested), Some(meta)) = (requested, meta::metadata_mut(object)) {
            meta.insert("managedFields".into(), requested);
        }
        return;
    }
    let Some(name) = manager.name() else { return };
    let requested = requested.filter(|_| part == Part::Main);
    if requested.as_ref().is_some_and(is_reset) {
        Managed::default().store_in(object);
        return;
    }
    let from_request = requested
        .map(|r| Managed::of(&json!({"metadata": {"managedFields": r}})))
        .and_then(Result::ok)
        .filter(|m| !m.entries.is_empty());
    let Some(managed) = from_request.or_else(|| Managed::of(current).ok()) else {
        return;
    };
    if managed.entries.is_empty() {
        Managed::default().store_in(object);
        return;
    }
    let who = (name, manager.scale);
    record_update(kind, part, who, &unmanaged(current), managed, object);
}
