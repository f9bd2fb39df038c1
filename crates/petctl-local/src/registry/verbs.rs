//! The write verbs as the API serves them: POST (create), PUT (update),
//! PATCH and the pods/binding subresource, each checked then written
//! through the write pipeline.

use std::sync::Arc;

use serde_json::{json, Value};

use super::error::ApiError;
use super::strategy::{self, Part};
use super::validate::{self, Origin};
use super::{admission, apply, meta, patch, scale};
use super::{
    parse_resource_version, store_error, Intent, PatchType, Registry, Target, WriteOptions, Written,
};
use petctl_model::kinds::KindInfo;

impl Registry {
    /// POST: creates an object from a client's body.
    pub fn create(
        &self,
        kind: &'static KindInfo,
        namespace: &str,
        body: Value,
        options: WriteOptions,
    ) -> Result<Written, ApiError> {
        let (target, mut object, warnings) = self.admit_new(kind, namespace, body, &options)?;
        // Only a Service's create allocates, and holds the store's lock until
        // its IP is stored; other creates run concurrently and share group
        // commits.
        let allocates = kind.kind == "Service";
        let _guard = allocates.then(|| self.store.allocation_lock());
        if allocates {
            self.allocate_cluster_ip(&mut object)?;
        }
        if options.dry_run {
            if self.read(&target)?.is_some() {
                return Err(ApiError::already_exists(kind, &target.name));
            }
            return Ok(Written { object, warnings });
        }
        let object = self
            .store
            .create(&target.key(), object)
            .map_err(|e| store_error(&target, e))?;
        Ok(Written { object, warnings })
    }

    /// Creates objects of a kind that allocates nothing (the Events a
    /// controller recorded in one reconcile), each checked as [`create`]
    /// checks it and all stored in one commit; each one's stored object (as
    /// its watch event shares it, not a copy), or why it failed, in order.
    /// The bodies' warnings are dropped: no client is there to read them.
    ///
    /// [`create`]: Registry::create
    pub fn create_together(
        &self,
        kind: &'static KindInfo,
        bodies: Vec<(String, Value, WriteOptions)>,
    ) -> Vec<Result<Arc<Value>, ApiError>> {
        let groups = bodies
            .into_iter()
            .map(|(namespace, body, options)| {
                vec![Intent::Create {
                    kind,
                    namespace,
                    body,
                    options,
                }]
            })
            .collect();
        self.write_together(groups).into_iter().flatten().collect()
    }

    /// Everything a create checks and fills in before the store: the target
    /// and the object to store, with the body's warnings.
    pub(super) fn admit_new(
        &self,
        kind: &'static KindInfo,
        namespace: &str,
        body: Value,
        options: &WriteOptions,
    ) -> Result<(Target, Value, Vec<String>), ApiError> {
        let mut object = body;
        default_type(kind, &mut object);
        validate::check_type(kind, &object)?;
        let namespace = validate::check_namespace(kind, namespace, &object)?;
        let warnings = decode_body(kind, &mut object, options.field_validation)?;
        let meta = meta::metadata_mut(&mut object)
            .ok_or_else(|| ApiError::bad_request("the body of the request is not a JSON object"))?;
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let prefix = meta
            .get("generateName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = if name.is_empty() && !prefix.is_empty() {
            meta::generate_name(&prefix)
        } else {
            name
        };
        if !name.is_empty() {
            meta.insert("name".into(), json!(name));
        }
        if kind.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        for server_owned in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            meta.remove(server_owned);
        }
        meta.insert("uid".into(), json!(meta::new_uid()));
        meta.insert("creationTimestamp".into(), json!(meta::now()));
        if strategy::tracks_generation(kind) {
            meta.insert("generation".into(), json!(1));
        } else {
            meta.remove("generation");
        }
        strategy::apply_defaults(kind, &mut object);
        // Before PrepareForCreate and admission: what they add (a
        // namespace's spec.finalizers, a protection finalizer) is nobody's,
        // as in create.go, which runs the field manager before both.
        apply::track_create(kind, &options.manager, &mut object);
        strategy::prepare_for_create(kind, &mut object);
        admission::admit_create(kind, &mut object);
        self.admit_storage_create(kind, &mut object)?;
        if let Some(map) = object.as_object_mut() {
            match strategy::initial_status(kind, &object_clone_for_status(map)) {
                Some(status) => map.insert("status".into(), status),
                None if strategy::has_status_subresource(kind) => map.remove("status"),
                None => None,
            };
        }
        let target = Target {
            kind,
            namespace: namespace.clone(),
            name: name.clone(),
        };
        let causes = validate::validate(kind, &object, &strategy::validate_create(kind, &object));
        if !causes.is_empty() {
            return Err(ApiError::invalid(kind, &name, &causes));
        }
        self.admit_in_namespace(kind, &namespace, &name)?;
        Ok((target, object, warnings))
    }

    /// PUT: replaces an object (or its status, or its scale) with a client's body.
    pub fn update(
        &self,
        target: &Target,
        subresource: Option<&str>,
        body: Value,
        options: WriteOptions,
    ) -> Result<Written, ApiError> {
        match subresource {
            Some("scale") => {
                validate::check_scale(&body)?;
                let body_name = meta::name(&body);
                if !body_name.is_empty() && body_name != target.name {
                    return Err(name_mismatch(body_name, &target.name));
                }
                let mut body = body;
                let warnings = validate::apply_findings(
                    scale::findings(&body),
                    &mut body,
                    options.field_validation,
                    Origin::Body(target.kind),
                )?;
                let mut options = options;
                options.manager.scale = true;
                let written = self.write(target, Part::Main, options, |current| {
                    Ok((scale::apply_scale(current, &body)?, Vec::new()))
                })?;
                Ok(Written {
                    object: scale::to_scale(&written.object),
                    warnings,
                })
            }
            Some("status" | "finalize") | None => {
                let (part, body, warnings) =
                    admit_replacement(target, subresource, body, &options)?;
                // A body with a resourceVersion is written at most once: after
                // a conflict its precondition fails. Only one without is
                // written again, so only that one is kept for a retry.
                let spare = meta::resource_version(&body)
                    .is_empty()
                    .then(|| body.clone());
                let mut first = Some(body);
                self.write(target, part, options, |_| {
                    let body = match first.take().or_else(|| spare.clone()) {
                        Some(body) => body,
                        None => return Err(ApiError::modified(target.kind, &target.name)),
                    };
                    Ok((body, warnings.clone()))
                })
            }
            Some(_) => Err(ApiError::path_not_found()),
        }
    }

    /// PATCH: applies `patch` to the current object (or its scale) and
    /// stores the result as an update.
    pub fn patch(
        &self,
        target: &Target,
        subresource: Option<&str>,
        patch_type: PatchType,
        patch: &[u8],
        options: WriteOptions,
    ) -> Result<Written, ApiError> {
        apply::check_patch_options(patch_type, &options.manager)?;
        if patch_type == PatchType::Apply {
            return Ok(self.apply(target, subresource, patch, options)?.0);
        }
        let apply = |view: &Value| -> Result<Value, ApiError> {
            let result = match patch_type {
                PatchType::Json => patch::apply_json_patch(view, patch),
                PatchType::Merge => patch::apply_merge_patch(view, patch),
                PatchType::StrategicMerge => {
                    patch::apply_strategic_merge_patch(view, patch, target.kind.kind)
                }
                PatchType::Apply => Err(patch::PatchError::Internal(
                    "an apply patch is not a merge of the object".into(),
                )),
            };
            result.map_err(|e| patch_error(target, e))
        };
        let part = match subresource {
            Some("status") => Part::Status,
            None | Some("scale") => Part::Main,
            Some("finalize") => return Err(ApiError::method_not_allowed()),
            Some(_) => return Err(ApiError::path_not_found()),
        };
        let is_scale = subresource == Some("scale");
        let mut options = options;
        options.manager.scale = is_scale;
        let mode = options.field_validation;
        // Everything a PUT checks is checked on the patched object inside
        // the read-modify-write, so a rejected patch is never committed.
        let shown = |patched: &Value| patch::shown_value(patch_type, patched, patch);
        let written = self.write(target, part, options, |current| {
            if is_scale {
                let mut patched = apply(&scale::to_scale(current))?;
                validate::check_scale(&patched)?;
                // `checkName` in handlers/patch.go holds for the Scale too.
                if meta::name(&patched) != target.name {
                    return Err(name_mismatch(meta::name(&patched), &target.name));
                }
                let findings = scale::findings(&patched);
                let warnings =
                    validate::apply_findings(findings, &mut patched, mode, Origin::Patch(&shown))?;
                return Ok((scale::apply_scale(current, &patched)?, warnings));
            }
            let mut patched = apply(current)?;
            validate::check_type(target.kind, &patched)?;
            if meta::name(&patched) != target.name {
                return Err(name_mismatch(meta::name(&patched), &target.name));
            }
            let warnings =
                validate::decode(target.kind, &mut patched, mode, Origin::Patch(&shown))?;
            Ok((patched, warnings))
        })?;
        if is_scale {
            return Ok(Written {
                object: scale::to_scale(&written.object),
                warnings: written.warnings,
            });
        }
        Ok(written)
    }

    /// What POST pods/NAME/binding does for the scheduler: sets
    /// `spec.nodeName` of a live pod that has none, which no update may do.
    pub fn bind_pod(&self, target: &Target, node: &str) -> Result<Written, ApiError> {
        let (bound, expected) = self.admit_binding(target, node)?;
        let object = self
            .store
            .update(&target.key(), bound, Some(expected))
            .map_err(|e| store_error(target, e))?;
        Ok(Written {
            object,
            warnings: Vec::new(),
        })
    }

    /// The pod bound to `node`, and the revision it replaces, if a binding
    /// may be made now.
    pub(super) fn admit_binding(
        &self,
        target: &Target,
        node: &str,
    ) -> Result<(Value, crate::store::Revision), ApiError> {
        let current = self.get(target)?;
        let assigned = meta::str_at(&current, "/spec/nodeName");
        if !assigned.is_empty() {
            let why = format!(
                "pod {} is already assigned to node \"{assigned}\"",
                target.name
            );
            return Err(ApiError::conflict(target.kind, &target.name, &why));
        }
        if meta::is_deleting(&current) {
            let why = format!(
                "pod {} is being deleted, cannot be assigned to a host",
                target.name
            );
            return Err(ApiError::conflict(target.kind, &target.name, &why));
        }
        let expected = parse_resource_version(meta::resource_version(&current))?;
        let mut bound = current;
        if let Some(spec) = bound.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(node));
        }
        Ok((bound, expected))
    }
}

/// A PUT body checked as the object (or the status, or the finalizers) it
/// replaces: the part it writes, the body decoded, and its warnings.
pub(super) fn admit_replacement(
    target: &Target,
    subresource: Option<&str>,
    mut body: Value,
    options: &WriteOptions,
) -> Result<(Part, Value, Vec<String>), ApiError> {
    default_type(target.kind, &mut body);
    validate::check_type(target.kind, &body)?;
    validate::check_namespace(target.kind, &target.namespace, &body)?;
    let body_name = meta::name(&body);
    if body_name != target.name {
        return Err(name_mismatch(body_name, &target.name));
    }
    let part = match subresource {
        Some("status") => Part::Status,
        Some(_) => Part::Finalize,
        None => Part::Main,
    };
    let warnings = decode_body(target.kind, &mut body, options.field_validation)?;
    Ok((part, body, warnings))
}

fn object_clone_for_status(map: &serde_json::Map<String, Value>) -> Value {
    Value::Object(map.clone())
}

/// A request's body checked against its kind's schema, unknown fields
/// handled as `fieldValidation` asks; the warnings to answer with.
pub(super) fn decode_body(
    kind: &KindInfo,
    object: &mut Value,
    mode: super::FieldValidation,
) -> Result<Vec<String>, ApiError> {
    validate::decode(kind, object, mode, Origin::Body(kind))
}

pub(super) fn name_mismatch(body: &str, url: &str) -> ApiError {
    ApiError::bad_request(format!(
        "the name of the object ({body}) does not match the name on the URL ({url})"
    ))
}

/// PATCH failures with the status kube-apiserver gives them; a failed
/// operation (including a JSON Patch `test`) is a 422 without a reason.
fn patch_error(target: &Target, err: patch::PatchError) -> ApiError {
    let code = err.http_status();
    let message = err.to_string();
    match code {
        400 => ApiError::bad_request(message),
        413 => ApiError::new(413, "RequestEntityTooLarge", message),
        422 => ApiError::new(422, "", message).with_details(json!({
            "name": target.name, "group": target.kind.group, "kind": target.kind.plural
        })),
        _ => ApiError::internal(message),
    }
}

/// A body without `kind` or `apiVersion` takes them from the URL, as the
/// decoder's defaults do (`gvkWithDefaults` in
/// apimachinery/pkg/runtime/serializer/json/json.go, fed the scope's kind by
/// endpoints/handlers/create.go and update.go); a body that names another
/// kind or version still fails in `check_type`.
fn default_type(kind: &KindInfo, body: &mut Value) {
    let Some(map) = body.as_object_mut() else {
        return;
    };
    let missing = |map: &serde_json::Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    };
    if missing(map, "kind") {
        map.insert("kind".into(), json!(kind.kind));
    }
    if missing(map, "apiVersion") {
        map.insert("apiVersion".into(), json!(kind.api_version()));
    }
}
