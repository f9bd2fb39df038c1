//! The `pods/{name}/eviction` subresource (policy/v1 Eviction, and the
//! v1beta1 one older kubectls send), after
//! `pkg/registry/core/pod/storage/eviction.go`: a pod that has not started,
//! has ended or is already going is deleted outright; otherwise its one
//! PodDisruptionBudget must allow a disruption, which the eviction takes
//! (decrementing `disruptionsAllowed` and recording the pod in
//! `disruptedPods`, preconditioned on the budget's resourceVersion and
//! retried on conflict) before it deletes the pod with the Eviction's
//! DeleteOptions. No event is recorded: upstream records none.

use serde_json::{json, Value};

use super::error::ApiError;
use super::strategy::pdb as budget;
use super::{apply, meta, DeleteOptions, Preconditions, Registry, Target, WriteOptions};
use petctl_model::kinds;
use petctl_model::pod::is_ready;

/// `MaxDisruptedPodSize`.
const MAX_DISRUPTED_PODS: usize = 2000;
/// `EvictionsRetry.Steps`.
const RETRIES: usize = 20;
const REFUSED: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// What an eviction answers besides errors: a `Status` and its HTTP code.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub code: u16,
    pub status: Value,
}

fn success() -> Answer {
    Answer {
        code: 201,
        status: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    }
}

/// `createTooManyRequestsError`: the budget's status is behind.
fn still_processing(pdb: &str) -> ApiError {
    refused(
        &format!("The disruption budget {pdb} is still being processed by the server."),
        10,
    )
}

/// `errors.NewTooManyRequests` with a `DisruptionBudget` cause.
fn refused(cause: &str, retry_after: u64) -> ApiError {
    let mut details = json!({"causes": [{"reason": "DisruptionBudget", "message": cause}]});
    if retry_after > 0 {
        details["retryAfterSeconds"] = json!(retry_after);
    }
    let mut err = ApiError::new(429, "TooManyRequests", REFUSED).with_details(details);
    err.retry_after = (retry_after > 0).then_some(retry_after);
    err
}

/// `errors.NewForbidden(policy.Resource("poddisruptionbudget"), …)`.
fn forbidden(pdb: &str, why: &str) -> ApiError {
    ApiError::new(
        403,
        "Forbidden",
        format!("poddisruptionbudget.policy {pdb:?} is forbidden: {why}"),
    )
    .with_details(json!({"name": pdb, "group": "policy", "kind": "poddisruptionbudget"}))
}

/// `propagateDryRun`: the query's dryRun goes into the Eviction's options.
fn delete_options(eviction: &Value, query_dry_run: &[String]) -> Result<DeleteOptions, ApiError> {
    let mut options: DeleteOptions = match eviction.get("deleteOptions").filter(|v| !v.is_null()) {
        Some(raw) => serde_json::from_value(raw.clone())
            .map_err(|e| ApiError::bad_request(format!("invalid deleteOptions: {e}")))?,
        None => DeleteOptions::default(),
    };
    if options.dry_run.is_empty() {
        options.dry_run = query_dry_run.to_vec();
    } else if !query_dry_run.is_empty() && query_dry_run != options.dry_run.as_slice() {
        return Err(ApiError::bad_request(format!(
            "Non-matching dry-run options in request and content: [{}] and [{}]",
            query_dry_run.join(" "),
            options.dry_run.join(" ")
        )));
    }
    Ok(options)
}

fn rv_unset(options: &DeleteOptions) -> bool {
    options
        .preconditions
        .as_ref()
        .is_none_or(|p| p.resource_version.is_none())
}

fn with_rv(options: &DeleteOptions, rv: &str) -> DeleteOptions {
    let mut options = options.clone();
    let preconditions = options.preconditions.get_or_insert(Preconditions {
        uid: None,
        resource_version: None,
    });
    preconditions.resource_version = Some(rv.to_string());
    options
}

fn phase(pod: &Value) -> &str {
    meta::str_at(pod, "/status/phase")
}

/// `canIgnorePDB`: the pod has not started, has ended, or is going.
fn can_ignore_budget(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed" | "Pending") || meta::is_deleting(pod)
}

/// `shouldEnforceResourceVersion`.
fn enforce_rv(pod: &Value) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && !meta::is_deleting(pod)
}

fn pdb_kind() -> Result<&'static kinds::KindInfo, ApiError> {
    kinds::by_name("poddisruptionbudgets")
        .ok_or_else(|| ApiError::internal("the kinds table has no poddisruptionbudgets"))
}

/// `getPodDisruptionBudgets`: a budget with an empty selector matches nothing here.
fn budgets_of(registry: &Registry, pod: &Value) -> Result<Vec<Value>, ApiError> {
    let page = registry.list(
        pdb_kind()?,
        Some(meta::namespace(pod)),
        &|_| true,
        None,
        None,
    )?;
    Ok(page
        .items
        .into_iter()
        .filter(|pdb| {
            budget::selector(pdb)
                .is_some_and(|s| !s.is_empty() && s.matches_json(pod.pointer("/metadata/labels")))
        })
        .collect())
}

/// `checkAndDecrement`, then the status write.
fn check_and_decrement(
    registry: &Registry,
    pod: &str,
    pdb: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let name = meta::name(pdb);
    let status = &pdb["status"];
    let int = |key: &str| status[key].as_i64().unwrap_or(0);
    let generation = meta::int_at(pdb, "/metadata/generation").unwrap_or(0);
    if int("observedGeneration") < generation {
        return Err(still_processing(name));
    }
    if int("disruptionsAllowed") < 0 {
        return Err(forbidden(name, "pdb disruptions allowed is negative"));
    }
    let disrupted = status["disruptedPods"].as_object().map_or(0, |m| m.len());
    if disrupted > MAX_DISRUPTED_PODS {
        return Err(forbidden(
            name,
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        ));
    }
    if int("disruptionsAllowed") == 0 {
        return Err(refused(
            &format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                int("desiredHealthy"),
                int("currentHealthy")
            ),
            0,
        ));
    }
    let mut next = pdb.clone();
    let allowed = int("disruptionsAllowed") - 1;
    next["status"]["disruptionsAllowed"] = json!(allowed);
    if allowed == 0 {
        budget::update_allowed_condition(&mut next["status"], &meta::now());
    }
    if dry_run {
        return Ok(());
    }
    if !next["status"]["disruptedPods"].is_object() {
        next["status"]["disruptedPods"] = json!({});
    }
    next["status"]["disruptedPods"][pod] = json!(meta::now());
    let target = Target {
        kind: pdb_kind()?,
        namespace: meta::namespace(pdb).to_string(),
        name: name.to_string(),
    };
    // The apiserver's loopback client writes it.
    let options = WriteOptions {
        manager: apply::FieldManager {
            user_agent: Some("kube-apiserver".into()),
            ..apply::FieldManager::default()
        },
        ..WriteOptions::default()
    };
    registry.update(&target, Some("status"), next, options)?;
    Ok(())
}

/// What the budget check decided.
enum Admitted {
    /// Delete the pod as asked.
    Delete,
    /// Delete it only as it was read: it was unready and did not count.
    DeleteUnchanged,
    /// Answer with this Status (several budgets).
    Answer(Answer),
}

fn admit(registry: &Registry, pod: &Value, dry_run: bool) -> Result<Admitted, ApiError> {
    let pdbs = budgets_of(registry, pod)?;
    let mut pdb = match pdbs.as_slice() {
        [] => return Ok(Admitted::Delete),
        [one] => one.clone(),
        _ => {
            let err = ApiError::new(
                500,
                "",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            );
            return Ok(Admitted::Answer(Answer {
                code: 500,
                status: err.to_status(),
            }));
        }
    };
    if !is_ready(pod) {
        let always = meta::str_at(&pdb, "/spec/unhealthyPodEvictionPolicy") == "AlwaysAllow";
        let healthy = meta::int_at(&pdb, "/status/currentHealthy").unwrap_or(0);
        let desired = meta::int_at(&pdb, "/status/desiredHealthy").unwrap_or(0);
        if always || (healthy >= desired && desired > 0) {
            return Ok(Admitted::DeleteUnchanged);
        }
    }
    let name = meta::name(&pdb).to_string();
    for _ in 0..RETRIES {
        match check_and_decrement(registry, meta::name(pod), &pdb, dry_run) {
            Err(err) if err.code == 409 => {
                let target = Target {
                    kind: pdb_kind()?,
                    namespace: meta::namespace(pod).to_string(),
                    name: name.clone(),
                };
                pdb = registry.get(&target)?;
            }
            other => return other.map(|()| Admitted::Delete),
        }
    }
    Err(ApiError::new(
        504,
        "Timeout",
        format!("Timeout: couldn't update PodDisruptionBudget {name:?} due to conflicts"),
    )
    .with_details(json!({"retryAfterSeconds": 10})))
}

/// POST `pods/{name}/eviction`.
pub fn evict(
    registry: &Registry,
    target: &Target,
    eviction: &Value,
    query_dry_run: &[String],
) -> Result<Answer, ApiError> {
    if meta::name(eviction) != target.name {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    let original = delete_options(eviction, query_dry_run)?;
    let write = WriteOptions {
        dry_run: original.is_dry_run(),
        ..WriteOptions::default()
    };
    // A client's own resourceVersion precondition is not retried.
    let attempts = if rv_unset(&original) { RETRIES } else { 1 };
    let mut pod = registry.get(target)?;
    for attempt in 1..=attempts {
        if !can_ignore_budget(&pod) {
            break;
        }
        let options = if enforce_rv(&pod) && rv_unset(&original) {
            with_rv(&original, meta::resource_version(&pod))
        } else {
            original.clone()
        };
        match registry.delete(target, &options, write.clone()) {
            Ok(_) => return Ok(success()),
            Err(err) if err.code == 409 && attempt < attempts => pod = registry.get(target)?,
            Err(err) => return Err(err),
        }
    }
    let options = match admit(registry, &pod, original.is_dry_run())? {
        Admitted::Answer(answer) => return Ok(answer),
        Admitted::Delete => original.clone(),
        Admitted::DeleteUnchanged => with_rv(&original, meta::resource_version(&pod)),
    };
    let unchanged = !rv_unset(&options) && rv_unset(&original);
    match registry.delete(target, &options, write) {
        Ok(_) => Ok(success()),
        Err(err) if err.code == 409 && unchanged => {
            let pdb = budgets_of(registry, &pod)?;
            Err(still_processing(pdb.first().map_or("", |p| meta::name(p))))
        }
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_is_propagated_or_must_match() {
        let eviction = json!({"deleteOptions": {"dryRun": ["All"]}});
        assert_eq!(delete_options(&eviction, &[]).unwrap().dry_run, ["All"]);
        assert_eq!(
            delete_options(&json!({}), &["All".to_string()])
                .unwrap()
                .dry_run,
            ["All"]
        );
        let none = json!({"deleteOptions": {"dryRun": ["None"]}});
        assert_eq!(
            delete_options(&none, &["All".to_string()])
                .unwrap_err()
                .message,
            "Non-matching dry-run options in request and content: [All] and [None]"
        );
    }

    #[test]
    fn a_refusal_names_the_budget_and_its_counts() {
        let pdb = json!({"metadata": {"name": "web", "generation": 1},
            "status": {"observedGeneration": 1, "disruptionsAllowed": 0, "desiredHealthy": 2, "currentHealthy": 2}});
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("store.redb")).expect("store");
        let registry = Registry::new(store);
        let err = check_and_decrement(&registry, "web-0", &pdb, false).unwrap_err();
        assert_eq!(err.code, 429);
        assert_eq!(
            err.to_status().to_string(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Cannot evict pod as it would violate the pod's disruption budget.","reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web needs 2 healthy pods and has 2 currently"}]},"code":429}"#
        );
        let mut behind = pdb.clone();
        behind["metadata"]["generation"] = json!(2);
        let err = check_and_decrement(&registry, "web-0", &behind, false).unwrap_err();
        assert_eq!(err.retry_after, Some(10));
    }
}
