//! The registry: the only writer to the store. Every create, update, patch
//! and delete goes through a per-kind strategy (defaults, server-owned
//! metadata, status/spec split, immutable fields, validation), so REST
//! writes and the controllers' writes get the same treatment.

pub mod admission;
pub mod error;
pub mod meta;
pub mod patch;
pub mod scale;
pub mod strategy;
mod validate;

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use self::error::{ApiError, Cause};
use self::strategy::Part;
use super::store::{ObjectKey, Revision, Store, StoreError};
use petctl_model::field_path::FieldPath;
use petctl_model::kinds::{self, KindInfo};

pub use self::validate::FieldValidation;
use self::validate::Origin;

/// What a write request asked for besides its body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// `dryRun=All`: everything but the write to the store.
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

/// The stored (or, for a dry run, would-be stored) object and the warnings
/// for the `Warning` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Propagation {
    Orphan,
    #[default]
    Background,
    Foreground,
}

/// DeleteOptions, from the body or the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation: Propagation,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Value),
    /// The object is marked for deletion and stays until its finalizers are
    /// removed or its grace period ends.
    Pending(Value),
}

/// One object addressed by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static KindInfo,
    /// "" for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
}

impl Target {
    fn key(&self) -> ObjectKey {
        key(self.kind, &self.namespace, &self.name)
    }
}

fn key(kind: &KindInfo, namespace: &str, name: &str) -> ObjectKey {
    ObjectKey {
        group: kind.group.to_string(),
        resource: kind.plural.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Value>,
    pub revision: Revision,
    /// The token for the next page, if there is one.
    pub next: Option<String>,
    pub remaining: usize,
}

/// How often a write without a resourceVersion is retried when a concurrent
/// write got in between its read and its write.
const UNCONDITIONAL_RETRIES: usize = 8;

pub struct Registry {
    store: Arc<Store>,
    /// Serializes cluster IP allocation.
    allocation: Mutex<()>,
}

fn store_error(target: &Target, err: StoreError) -> ApiError {
    match err {
        StoreError::NotFound => ApiError::not_found(target.kind, &target.name),
        StoreError::AlreadyExists => ApiError::already_exists(target.kind, &target.name),
        StoreError::Conflict { .. } => ApiError::modified(target.kind, &target.name),
        StoreError::Compacted { oldest } => ApiError::gone(format!(
            "too old resource version (oldest kept is {oldest})"
        )),
        StoreError::Backend(message) => ApiError::internal(message),
    }
}

/// Parses a resourceVersion as sent by a client.
pub fn parse_resource_version(rv: &str) -> Result<Revision, ApiError> {
    rv.parse::<Revision>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))
}

impl Registry {
    pub fn new(store: Arc<Store>) -> Self {
        Registry {
            store,
            allocation: Mutex::new(()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Creates the namespaces that exist from the start.
    pub fn bootstrap(&self) -> Result<(), ApiError> {
        let Some(namespaces) = kinds::by_name("namespaces") else {
            return Ok(());
        };
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let target = Target {
                kind: namespaces,
                namespace: String::new(),
                name: name.to_string(),
            };
            if self.read(&target)?.is_none() {
                let body =
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
                match self.create(namespaces, "", body, WriteOptions::default()) {
                    Ok(_) => {}
                    Err(err) if err.reason == "AlreadyExists" => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(())
    }

    fn read(&self, target: &Target) -> Result<Option<Value>, ApiError> {
        self.store
            .get(&target.key())
            .map_err(|e| store_error(target, e))
    }

    pub fn get(&self, target: &Target) -> Result<Value, ApiError> {
        self.read(target)?
            .ok_or_else(|| ApiError::not_found(target.kind, &target.name))
    }

    /// A subresource's view: `status` is the object itself, `scale` a Scale.
    pub fn get_subresource(&self, target: &Target, sub: &str) -> Result<Value, ApiError> {
        let object = self.get(target)?;
        match sub {
            "scale" => Ok(scale::to_scale(&object)),
            _ => Ok(object),
        }
    }

    /// Lists a kind, in one namespace or all, filtered by `matches`, one page
    /// at a time in (namespace, name) order.
    pub fn list(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        matches: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page, ApiError> {
        let (items, revision) = self
            .store
            .list(kind.group, kind.plural, namespace)
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        let mut items: Vec<Value> = items.into_iter().filter(|o| matches(o)).collect();
        items.sort_by(|a, b| {
            (meta::namespace(a), meta::name(a)).cmp(&(meta::namespace(b), meta::name(b)))
        });
        let (revision, start) = match continue_token {
            Some(token) if !token.is_empty() => {
                let (rev, ns, name) = decode_continue(token)?;
                let start = items
                    .iter()
                    .position(|o| {
                        (meta::namespace(o), meta::name(o)) > (ns.as_str(), name.as_str())
                    })
                    .unwrap_or(items.len());
                (rev.max(1).min(revision), start)
            }
            _ => (revision, 0),
        };
        let mut page: Vec<Value> = items.into_iter().skip(start).collect();
        let mut next = None;
        let mut remaining = 0;
        if let Some(limit) = limit.filter(|l| *l > 0) {
            if page.len() > limit {
                remaining = page.len() - limit;
                page.truncate(limit);
                if let Some(last) = page.last() {
                    next = Some(encode_continue(
                        revision,
                        meta::namespace(last),
                        meta::name(last),
                    ));
                }
            }
        }
        Ok(Page {
            items: page,
            revision,
            next,
            remaining,
        })
    }

    pub fn current_revision(&self) -> Revision {
        self.store.current_revision()
    }

    fn require_namespace(&self, kind: &KindInfo, namespace: &str) -> Result<(), ApiError> {
        if !kind.namespaced {
            return Ok(());
        }
        let Some(namespaces) = kinds::by_name("namespaces") else {
            return Ok(());
        };
        let target = Target {
            kind: namespaces,
            namespace: String::new(),
            name: namespace.to_string(),
        };
        match self.read(&target)? {
            None => Err(ApiError::namespace_not_found(namespace)),
            Some(ns) if meta::is_deleting(&ns) => Err(ApiError::new(
                403,
                "Forbidden",
                format!("unable to create new content in namespace {namespace} because it is being terminated"),
            )),
            Some(_) => Ok(()),
        }
    }

    /// POST: creates an object from a client's body.
    pub fn create(
        &self,
        kind: &'static KindInfo,
        namespace: &str,
        body: Value,
        options: WriteOptions,
    ) -> Result<Written, ApiError> {
        let mut object = body;
        validate::check_type(kind, &object)?;
        let namespace = validate::check_namespace(kind, namespace, &object)?;
        let warnings = validate::decode(
            kind,
            &mut object,
            options.field_validation,
            Origin::Body(kind),
        )?;
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
        admission::admit_create(kind, &mut object);
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
        let causes = validate::validate(kind, &object, &[]);
        if !causes.is_empty() {
            return Err(ApiError::invalid(kind, &name, &causes));
        }
        self.require_namespace(kind, &namespace)?;
        let _guard = self.allocation.lock().unwrap_or_else(|e| e.into_inner());
        if kind.kind == "Service" {
            self.allocate_cluster_ip(&mut object)?;
        }
        if options.dry_run {
            if self.read(&target)?.is_some() {
                return Err(ApiError::already_exists(kind, &name));
            }
            return Ok(Written { object, warnings });
        }
        let object = self
            .store
            .create(&target.key(), object)
            .map_err(|e| store_error(&target, e))?;
        Ok(Written { object, warnings })
    }

    fn allocate_cluster_ip(&self, service: &mut Value) -> Result<(), ApiError> {
        let requested = meta::str_at(service, "/spec/clusterIP").to_string();
        if service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName")
            || requested == "None"
        {
            return Ok(());
        }
        let Some(services) = kinds::by_name("services") else {
            return Ok(());
        };
        let (existing, _) = self
            .store
            .list(services.group, services.plural, None)
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        let used: std::collections::HashSet<String> = existing
            .iter()
            .map(|s| meta::str_at(s, "/spec/clusterIP").to_string())
            .collect();
        let ip = if requested.is_empty() {
            (10u32..65_534)
                .map(|n| format!("10.96.{}.{}", n / 256, n % 256))
                .find(|ip| !used.contains(ip) && !ip.ends_with(".0") && !ip.ends_with(".255"))
                .ok_or_else(|| ApiError::internal("no cluster IPs left in 10.96.0.0/16"))?
        } else if used.contains(&requested) {
            let cause = Cause::invalid(
                FieldPath::parse("spec.clusterIPs"),
                &json!([requested]),
                &format!("failed to allocate IP {requested}: provided IP is already allocated"),
            );
            return Err(ApiError::invalid(
                kinds::by_name("services").unwrap_or(services),
                meta::name(service),
                &[cause],
            ));
        } else {
            requested
        };
        if let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("clusterIP".into(), json!(ip));
            spec.insert("clusterIPs".into(), json!([ip]));
        }
        Ok(())
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
                let written = self.write(target, Part::Main, options, |current| {
                    Ok((scale::apply_scale(current, &body)?, Vec::new()))
                })?;
                Ok(Written {
                    object: scale::to_scale(&written.object),
                    warnings,
                })
            }
            Some("status") | None => {
                validate::check_type(target.kind, &body)?;
                validate::check_namespace(target.kind, &target.namespace, &body)?;
                let body_name = meta::name(&body);
                if body_name != target.name {
                    return Err(name_mismatch(body_name, &target.name));
                }
                let part = if subresource.is_some() {
                    Part::Status
                } else {
                    Part::Main
                };
                let mut body = body;
                let warnings = validate::decode(
                    target.kind,
                    &mut body,
                    options.field_validation,
                    Origin::Body(target.kind),
                )?;
                self.write(target, part, options, |_| {
                    Ok((body.clone(), warnings.clone()))
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
        let apply = |view: &Value| -> Result<Value, ApiError> {
            let result = match patch_type {
                PatchType::Json => patch::apply_json_patch(view, patch),
                PatchType::Merge => patch::apply_merge_patch(view, patch),
                PatchType::StrategicMerge => {
                    patch::apply_strategic_merge_patch(view, patch, target.kind.kind)
                }
            };
            result.map_err(|e| patch_error(target, e))
        };
        let part = match subresource {
            Some("status") => Part::Status,
            None | Some("scale") => Part::Main,
            Some(_) => return Err(ApiError::path_not_found()),
        };
        let is_scale = subresource == Some("scale");
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

    /// The read-modify-write loop shared by update and patch: `change` turns
    /// the current object into the client's intended object and its
    /// warnings. A resourceVersion in the result is a precondition; without
    /// one the write is retried when another write got in between.
    fn write(
        &self,
        target: &Target,
        part: Part,
        options: WriteOptions,
        change: impl Fn(&Value) -> Result<(Value, Vec<String>), ApiError>,
    ) -> Result<Written, ApiError> {
        for _ in 0..UNCONDITIONAL_RETRIES {
            let current = self.get(target)?;
            let current_rv = parse_resource_version(meta::resource_version(&current))
                .map_err(|_| ApiError::internal("stored object has no resourceVersion"))?;
            let (intended, warnings) = change(&current)?;
            let requested_rv = meta::resource_version(&intended).to_string();
            let conditional = !requested_rv.is_empty();
            if conditional {
                let rv = parse_resource_version(&requested_rv).map_err(|_| {
                    ApiError::invalid(
                        target.kind,
                        &target.name,
                        &[Cause::invalid(
                            FieldPath::parse("metadata.resourceVersion"),
                            &json!(requested_rv),
                            "must be a valid resource version",
                        )],
                    )
                })?;
                if rv != current_rv {
                    return Err(ApiError::modified(target.kind, &target.name));
                }
            }
            let object = self.prepare_update(target, part, &current, intended)?;
            if options.dry_run {
                return Ok(Written { object, warnings });
            }
            // kube-apiserver's store skips a write that changes nothing
            // (`GuaranteedUpdate` in storage/etcd3/store.go compares the
            // bytes): no new resourceVersion, no watch event.
            if unchanged(&current, &object) {
                return Ok(Written {
                    object: current,
                    warnings,
                });
            }
            // Another write got in between: start over from the fresh
            // object. The precondition above is checked again, so a
            // stale resourceVersion still fails, while a patch is simply
            // re-applied, as kube-apiserver's GuaranteedUpdate does.
            match self.commit_update(target, object, current_rv) {
                Err(err) if err.reason == "Conflict" => continue,
                other => return other.map(|object| Written { object, warnings }),
            }
        }
        Err(ApiError::modified(target.kind, &target.name))
    }

    fn prepare_update(
        &self,
        target: &Target,
        part: Part,
        current: &Value,
        intended: Value,
    ) -> Result<Value, ApiError> {
        let kind = target.kind;
        let mut object = strategy::merge_for_update(kind, part, current, intended);
        if part == Part::Main {
            strategy::apply_defaults(kind, &mut object);
        }
        if kind.kind == "Service" {
            if let (Some(old_ip), Some(spec)) = (
                current.pointer("/spec/clusterIP").cloned(),
                object.get_mut("spec").and_then(Value::as_object_mut),
            ) {
                if spec.get("clusterIP").is_none_or(|v| v.as_str() == Some("")) {
                    spec.insert("clusterIP".into(), old_ip);
                    if let Some(ips) = current.pointer("/spec/clusterIPs") {
                        spec.insert("clusterIPs".into(), ips.clone());
                    }
                }
            }
        }
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64);
        let spec_changed = current.get("spec") != object.get("spec");
        let meta = meta::metadata_mut(&mut object)
            .ok_or_else(|| ApiError::bad_request("the body of the request is not a JSON object"))?;
        for owned in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
        ] {
            match current.pointer(&format!("/metadata/{owned}")) {
                Some(value) => meta.insert(owned.to_string(), value.clone()),
                None => meta.remove(owned),
            };
        }
        meta.remove("resourceVersion");
        if strategy::tracks_generation(kind) {
            let generation = generation.unwrap_or(1);
            let next = if spec_changed {
                generation + 1
            } else {
                generation
            };
            meta.insert("generation".into(), json!(next));
        }
        let mut causes = validate::validate(kind, &object, &[]);
        if part == Part::Main {
            causes.extend(strategy::validate_update(kind, current, &object));
        }
        if !causes.is_empty() {
            return Err(ApiError::invalid(kind, &target.name, &causes));
        }
        Ok(object)
    }

    /// Stores an update; an object being deleted whose last finalizer was
    /// just removed is deleted instead.
    fn commit_update(
        &self,
        target: &Target,
        object: Value,
        expected: Revision,
    ) -> Result<Value, ApiError> {
        if meta::is_deleting(&object)
            && meta::finalizers(&object).is_empty()
            && !graceful_pending(&object)
        {
            self.store
                .update(&target.key(), object, Some(expected))
                .map_err(|e| store_error(target, e))?;
            return self
                .store
                .delete(&target.key(), None)
                .map_err(|e| store_error(target, e));
        }
        self.store
            .update(&target.key(), object, Some(expected))
            .map_err(|e| store_error(target, e))
    }

    /// DELETE of one object. A write that got in between the read and the
    /// delete (a controller updating the status) is not the client's
    /// conflict: the delete is retried, unless the client gave preconditions.
    pub fn delete(
        &self,
        target: &Target,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Deleted, ApiError> {
        for _ in 0..UNCONDITIONAL_RETRIES {
            match self.delete_once(target, options, write) {
                Ok(deleted) => return Ok(deleted),
                Err(Attempt::Raced) => continue,
                Err(Attempt::Failed(err)) => return Err(err),
            }
        }
        Err(ApiError::modified(target.kind, &target.name))
    }

    fn delete_once(
        &self,
        target: &Target,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Deleted, Attempt> {
        let raced = |e: StoreError| match e {
            StoreError::Conflict { .. } => Attempt::Raced,
            other => Attempt::Failed(store_error(target, other)),
        };
        let current = self.get(target)?;
        if let Some(uid) = &options.precondition_uid {
            if uid != meta::uid(&current) {
                return Err(Attempt::Failed(ApiError::conflict(
                    target.kind,
                    &target.name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        meta::uid(&current)
                    ),
                )));
            }
        }
        if let Some(rv) = &options.precondition_resource_version {
            if rv != meta::resource_version(&current) {
                return Err(Attempt::Failed(ApiError::conflict(
                    target.kind,
                    &target.name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                        meta::resource_version(&current)
                    ),
                )));
            }
        }
        let expected = parse_resource_version(meta::resource_version(&current)).ok();
        let mut finalizers = meta::finalizers(&current);
        let dependents = if options.propagation == Propagation::Background {
            Vec::new()
        } else {
            self.dependents(&current)?
        };
        if options.propagation == Propagation::Foreground
            && !dependents.is_empty()
            && !finalizers.iter().any(|f| f == "foregroundDeletion")
        {
            finalizers.push("foregroundDeletion".to_string());
        }
        let grace = self.grace_period(target.kind, &current, options);
        if !finalizers.is_empty() || grace > 0 {
            let mut marked = current.clone();
            if let Some(meta) = meta::metadata_mut(&mut marked) {
                let already = meta.get("deletionTimestamp").is_some_and(|v| !v.is_null());
                let shorter = meta
                    .get("deletionGracePeriodSeconds")
                    .and_then(Value::as_i64)
                    .is_none_or(|old| grace < old);
                if !already || shorter {
                    let when = std::time::SystemTime::now()
                        + std::time::Duration::from_secs(grace.max(0) as u64);
                    meta.insert("deletionTimestamp".into(), json!(meta::rfc3339(when)));
                    meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
                }
                meta.insert("finalizers".into(), json!(finalizers));
            }
            if write.dry_run {
                return Ok(Deleted::Pending(marked));
            }
            let stored = self
                .store
                .update(&target.key(), marked, expected)
                .map_err(raced)?;
            if options.propagation == Propagation::Foreground {
                self.delete_dependents(&dependents)?;
            }
            return Ok(Deleted::Pending(stored));
        }
        if write.dry_run {
            return Ok(Deleted::Gone(current));
        }
        match options.propagation {
            Propagation::Orphan if !dependents.is_empty() => {
                // Mark the owner as being deleted first, as the orphan
                // finalizer does in kube-apiserver: a controller that sees
                // its freed pods must not adopt them back meanwhile.
                let mut marked = current.clone();
                if let Some(meta) = meta::metadata_mut(&mut marked) {
                    meta.insert(
                        "deletionTimestamp".into(),
                        json!(meta::rfc3339(std::time::SystemTime::now())),
                    );
                    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                    meta.insert("finalizers".into(), json!(["orphan"]));
                }
                let marked = self
                    .store
                    .update(&target.key(), marked, expected)
                    .map_err(raced)?;
                self.orphan(&dependents, meta::uid(&current))?;
                let expected = parse_resource_version(meta::resource_version(&marked)).ok();
                let gone = self.store.delete(&target.key(), expected).map_err(raced)?;
                return Ok(Deleted::Gone(gone));
            }
            Propagation::Orphan => {}
            Propagation::Foreground => self.delete_dependents(&dependents)?,
            Propagation::Background => {}
        }
        if target.kind.kind == "Namespace" {
            self.empty_namespace(&target.name)?;
        }
        let gone = self.store.delete(&target.key(), expected).map_err(raced)?;
        Ok(Deleted::Gone(gone))
    }

    /// The grace period of a delete: only pods have one. A pod that was
    /// never scheduled or has finished goes at once, as in kube-apiserver.
    fn grace_period(&self, kind: &KindInfo, object: &Value, options: &DeleteOptions) -> i64 {
        if kind.kind != "Pod" {
            return 0;
        }
        let unscheduled = meta::str_at(object, "/spec/nodeName").is_empty();
        let finished = matches!(
            meta::str_at(object, "/status/phase"),
            "Succeeded" | "Failed"
        );
        if unscheduled || finished {
            return 0;
        }
        options
            .grace_period_seconds
            .or_else(|| {
                object
                    .pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
            })
            .unwrap_or(30)
            .max(0)
    }

    /// Objects in the same namespace whose ownerReferences name `owner`.
    fn dependents(&self, owner: &Value) -> Result<Vec<(Target, Value)>, ApiError> {
        let uid = meta::uid(owner);
        let namespace = meta::namespace(owner);
        let mut found = Vec::new();
        if uid.is_empty() {
            return Ok(found);
        }
        for kind in kinds::KINDS.iter().filter(|k| k.namespaced) {
            let scope = (!namespace.is_empty()).then_some(namespace);
            let (items, _) = self
                .store
                .list(kind.group, kind.plural, scope)
                .map_err(|e| ApiError::internal(format!("{e:?}")))?;
            for item in items {
                let owned = item
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid))
                    });
                if owned {
                    let target = Target {
                        kind,
                        namespace: meta::namespace(&item).to_string(),
                        name: meta::name(&item).to_string(),
                    };
                    found.push((target, item));
                }
            }
        }
        Ok(found)
    }

    fn orphan(&self, dependents: &[(Target, Value)], owner_uid: &str) -> Result<(), ApiError> {
        for (target, _) in dependents {
            let result = self.write(target, Part::Main, WriteOptions::default(), |current| {
                let mut next = current.clone();
                if let Some(refs) = next
                    .pointer_mut("/metadata/ownerReferences")
                    .and_then(Value::as_array_mut)
                {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
                }
                if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("resourceVersion");
                    // An empty list is omitted, as Go's omitempty does.
                    if meta
                        .get("ownerReferences")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
                    {
                        meta.remove("ownerReferences");
                    }
                }
                Ok((next, Vec::new()))
            });
            match result {
                Ok(_) => {}
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    fn delete_dependents(&self, dependents: &[(Target, Value)]) -> Result<(), ApiError> {
        let options = DeleteOptions {
            propagation: Propagation::Foreground,
            ..DeleteOptions::default()
        };
        for (target, _) in dependents {
            match self.delete(target, &options, WriteOptions::default()) {
                Ok(_) => {}
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// What the namespace controller does: deletes everything in the
    /// namespace before the namespace itself goes.
    fn empty_namespace(&self, namespace: &str) -> Result<(), ApiError> {
        for kind in kinds::KINDS.iter().filter(|k| k.namespaced) {
            let (items, _) = self
                .store
                .list(kind.group, kind.plural, Some(namespace))
                .map_err(|e| ApiError::internal(format!("{e:?}")))?;
            for item in items {
                match self
                    .store
                    .delete(&key(kind, namespace, meta::name(&item)), None)
                {
                    Ok(_) | Err(StoreError::NotFound) => {}
                    Err(err) => return Err(ApiError::internal(format!("{err:?}"))),
                }
            }
        }
        Ok(())
    }

    /// DELETE of a collection: every object of the page that matches.
    pub fn delete_collection(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        matches: &dyn Fn(&Value) -> bool,
        options: &DeleteOptions,
        write: WriteOptions,
    ) -> Result<Page, ApiError> {
        let page = self.list(kind, namespace, matches, None, None)?;
        let mut deleted = Vec::new();
        for item in &page.items {
            let target = Target {
                kind,
                namespace: meta::namespace(item).to_string(),
                name: meta::name(item).to_string(),
            };
            match self.delete(&target, options, write) {
                Ok(Deleted::Gone(o) | Deleted::Pending(o)) => deleted.push(o),
                Err(err) if err.code == 404 => {}
                Err(err) => return Err(err),
            }
        }
        Ok(Page {
            items: deleted,
            revision: self.current_revision(),
            next: None,
            remaining: 0,
        })
    }

    /// What POST pods/NAME/binding does for the scheduler: sets
    /// `spec.nodeName` of a live pod that has none, which no update may do.
    pub fn bind_pod(&self, target: &Target, node: &str) -> Result<Written, ApiError> {
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
        let object = self
            .store
            .update(&target.key(), bound, Some(expected))
            .map_err(|e| store_error(target, e))?;
        Ok(Written {
            object,
            warnings: Vec::new(),
        })
    }

    /// Object counts per resource, for `petctl local status`.
    pub fn counts(&self) -> Result<Vec<(String, usize)>, ApiError> {
        self.store
            .count_by_resource()
            .map_err(|e| ApiError::internal(format!("{e:?}")))
    }
}

/// One try of a delete: it failed, or lost a race and is tried again.
enum Attempt {
    Raced,
    Failed(ApiError),
}

impl From<ApiError> for Attempt {
    fn from(err: ApiError) -> Self {
        Attempt::Failed(err)
    }
}

/// A pod whose grace period is still running stays until the kubelet
/// confirms; only finalizers keep other objects.
fn graceful_pending(object: &Value) -> bool {
    object
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|g| g > 0)
}

/// Whether `next` (which carries no resourceVersion) is `current` as stored.
fn unchanged(current: &Value, next: &Value) -> bool {
    let mut stored = current.clone();
    if let Some(meta) = meta::metadata_mut(&mut stored) {
        meta.remove("resourceVersion");
    }
    stored == *next
}

fn object_clone_for_status(map: &serde_json::Map<String, Value>) -> Value {
    Value::Object(map.clone())
}

fn name_mismatch(body: &str, url: &str) -> ApiError {
    ApiError::bad_request(format!(
        "the name of the object ({body}) does not match the name on the URL ({url})"
    ))
}

/// The three patch types the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
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

fn encode_continue(revision: Revision, namespace: &str, name: &str) -> String {
    format!("{revision}/{namespace}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Result<(Revision, String, String), ApiError> {
    let invalid = || ApiError::bad_request(format!("invalid continue token {token:?}"));
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes.ok_or_else(invalid)?).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '/');
    let rev = parts
        .next()
        .and_then(|r| r.parse().ok())
        .ok_or_else(invalid)?;
    let ns = parts.next().ok_or_else(invalid)?.to_string();
    let name = parts.next().ok_or_else(invalid)?.to_string();
    Ok((rev, ns, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let token = encode_continue(42, "default", "web-1");
        assert_eq!(
            decode_continue(&token).unwrap(),
            (42, "default".into(), "web-1".into())
        );
        for bad in ["zz", "abc", "", "3132"] {
            assert_eq!(decode_continue(bad).unwrap_err().code, 400, "{bad}");
        }
    }
}

#[cfg(test)]
mod write_tests;
