//! The apply PATCH (`application/apply-patch+yaml`): the body, YAML or
//! JSON, is the applier's whole intent for the object, its status or its
//! Scale. Applied to an object that does not exist it creates it
//! (`handlers/patch.go`, `applyPatcher` with `createFunc`); applied to a
//! subresource of a missing object it is a 404.

use serde_json::{json, Value};

use super::fieldset::FieldSet;
use super::lastapplied;
use super::managed::{Managed, Manager, Operation};
use crate::registry::error::ApiError;
use crate::registry::strategy::Part;
use crate::registry::{meta, scale, PatchType, Registry, Target, WriteOptions, Written};
use crate::registry::{validate, verbs};

/// Decodes an apply body (`yaml.Unmarshal` in handlers/patch.go).
fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("error decoding YAML: invalid UTF-8"))?;
    let config: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: the body of an apply patch must be an object",
        ));
    }
    if config
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    Ok(config)
}

impl Registry {
    /// Server-side apply of `body` to `target` (or its status): the written
    /// object and whether it was created, which the handler answers with a
    /// 201 (`wasCreated` in handlers/patch.go), dry run or not.
    pub fn apply(
        &self,
        target: &Target,
        subresource: Option<&str>,
        body: &[u8],
        options: WriteOptions,
    ) -> Result<(Written, bool), ApiError> {
        super::check_patch_options(PatchType::Apply, &options.manager)?;
        let (part, is_scale) = match subresource {
            None => (Part::Main, false),
            Some("status") => (Part::Status, false),
            Some("scale") => (Part::Main, true),
            Some(_) => return Err(ApiError::path_not_found()),
        };
        let kind = target.kind;
        let mut config = decode(body)?;
        let body_name = meta::name(&config).to_string();
        if !body_name.is_empty() && body_name != target.name {
            return Err(verbs::name_mismatch(&body_name, &target.name));
        }
        if is_scale {
            check_object_type(&config, "autoscaling/v1", "Scale")?;
            validate::check_scale(&config)?;
            config = parent_of_scale(target, &config);
        } else {
            check_object_type(&config, &kind.api_version(), kind.kind)?;
            validate::check_namespace(kind, &target.namespace, &config)?;
        }
        let warnings = verbs::decode_body(kind, &mut config, options.field_validation)?;
        let me = Manager {
            name: options.manager.field_manager.clone().unwrap_or_default(),
            operation: Operation::Apply,
            subresource: subresource.unwrap_or("").to_string(),
            api_version: kind.api_version(),
        };
        let force = options.manager.force == Some(true);
        let updater = super::updater_for(kind, part);
        let mut options = options;
        options.manager.applied = true;
        if self.read(target)?.is_none() {
            if part != Part::Main || is_scale {
                return Err(ApiError::not_found(kind, &target.name));
            }
            let mut managed = Managed::default();
            let mut object =
                updater.apply(&json!({}), &config, &mut managed, &me, force, &meta::now())?;
            managed.store_in(&mut object);
            if let Some(meta) = meta::metadata_mut(&mut object) {
                meta.insert("name".into(), json!(target.name));
            }
            // Created by someone else since the read: applied to theirs, as
            // GuaranteedUpdate retries with the object it finds.
            match self.create(kind, &target.namespace, object, options.clone()) {
                Err(err) if err.reason == "AlreadyExists" => {}
                created => {
                    let created = created?;
                    let written = Written {
                        object: created.object,
                        warnings: [warnings, created.warnings].concat(),
                    };
                    return Ok((written, true));
                }
            }
        }
        let requested_rv = meta::resource_version(&config).to_string();
        let kubectl = me.name == lastapplied::KUBECTL && !is_scale;
        let written = self.write(target, part, options, |current| {
            let mut managed = Managed::of(current).unwrap_or_default();
            let live = super::unmanaged(current);
            let allowed = match kubectl {
                true => lastapplied::allowed_conflicts(updater.typed(), &me.api_version, &live),
                false => FieldSet::default(),
            };
            let updater = super::updater_for(kind, part).allowing(allowed);
            let mut object =
                updater.apply(&live, &config, &mut managed, &me, force, &meta::now())?;
            if kubectl {
                lastapplied::refresh(&mut object, &config);
            }
            managed.store_in(&mut object);
            if let Some(meta) = meta::metadata_mut(&mut object) {
                meta.shift_remove("resourceVersion");
                if !requested_rv.is_empty() {
                    meta.insert("resourceVersion".into(), json!(requested_rv));
                }
            }
            Ok((object, warnings.clone()))
        })?;
        let written = match is_scale {
            true => Written {
                object: scale::to_scale(&written.object),
                warnings: written.warnings,
            },
            false => written,
        };
        Ok((written, false))
    }
}

/// An applied configuration must be of the kind and version the URL serves
/// (`versioncheck.go`), worded as Go prints its GroupVersionKind: one whose
/// apiVersion does not parse is all empty (`Unstructured.GroupVersionKind`).
fn check_object_type(config: &Value, api_version: &str, kind: &str) -> Result<(), ApiError> {
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or("");
    let (body_version, body_kind) = (text("apiVersion"), text("kind"));
    if body_version == api_version && body_kind == kind {
        return Ok(());
    }
    let shown = match body_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] => format!("/{version}, Kind={body_kind}"),
        [group, version] => format!("{group}/{version}, Kind={body_kind}"),
        _ => "/, Kind=".to_string(),
    };
    Err(ApiError::bad_request(format!(
        "invalid object type: {shown}"
    )))
}

/// What an apply of a Scale applies to its object: `spec.replicas`, the
/// one field a Scale writes, owned under the `scale` subresource
/// (`handlers/fieldmanager/scalehandler.go` maps the same path).
fn parent_of_scale(target: &Target, scale: &Value) -> Value {
    let mut metadata = json!({"name": target.name});
    if let Some(rv) = scale.pointer("/metadata/resourceVersion") {
        metadata["resourceVersion"] = rv.clone();
    }
    let mut parent = json!({
        "apiVersion": target.kind.api_version(),
        "kind": target.kind.kind,
        "metadata": metadata,
    });
    if let Some(replicas) = scale.pointer("/spec/replicas") {
        parent["spec"] = json!({ "replicas": replicas });
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applied_object_of_another_type_is_named_as_go_prints_it() {
        let config = |v: &str, k: &str| json!({"apiVersion": v, "kind": k});
        assert!(
            check_object_type(&config("apps/v1", "StatefulSet"), "apps/v1", "StatefulSet").is_ok()
        );
        let message = |c: Value| {
            check_object_type(&c, "apps/v1", "StatefulSet")
                .unwrap_err()
                .message
        };
        assert_eq!(
            message(config("apps/v1", "Deployment")),
            "invalid object type: apps/v1, Kind=Deployment"
        );
        assert_eq!(
            message(config("v1", "Pod")),
            "invalid object type: /v1, Kind=Pod"
        );
        assert_eq!(message(json!({})), "invalid object type: /, Kind=");
        assert_eq!(
            message(config("a/b/c", "X")),
            "invalid object type: /, Kind="
        );
    }

    #[test]
    fn apply_bodies_are_yaml_or_json_objects_without_managed_fields() {
        assert_eq!(decode(b"kind: Pod\n").unwrap()["kind"], "Pod");
        assert_eq!(decode(br#"{"kind":"Pod"}"#).unwrap()["kind"], "Pod");
        assert_eq!(decode(b"- 1\n").unwrap_err().code, 400);
        assert_eq!(decode(b"a: [1").unwrap_err().code, 400);
        assert_eq!(
            decode(b"metadata: {managedFields: []}\n")
                .unwrap_err()
                .message,
            "metadata.managedFields must be nil"
        );
    }
}
