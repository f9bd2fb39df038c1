//! `--disruption auto|evict|delete`: whether a pet is replaced through the
//! Eviction API, so that the PodDisruptionBudgets selecting it are
//! honoured, or deleted outright as workload controllers do (#89820). The
//! budgets of the namespace are kept by a watch, which also wakes a rollout
//! waiting for one of them to allow a disruption again.

use serde_json::Value;

use crate::client::request::ListParams;
use crate::client::watch::{Cache, Watcher};
use crate::client::{Client, Error};
use crate::error::InvalidInput;
use crate::json::text;
use crate::kinds;
use petctl_model::selector::LabelSelector;

/// How a pet is taken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disruption {
    /// Evict when a budget selects the pet, else delete.
    #[default]
    Auto,
    Evict,
    Delete,
}

impl Disruption {
    pub fn parse(text: &str) -> Result<Disruption, InvalidInput> {
        match text {
            "auto" => Ok(Disruption::Auto),
            "evict" => Ok(Disruption::Evict),
            "delete" => Ok(Disruption::Delete),
            _ => Err(InvalidInput(format!(
                "--disruption {text:?}: expected auto, evict or delete"
            ))),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Disruption::Auto => "auto",
            Disruption::Evict => "evict",
            Disruption::Delete => "delete",
        }
    }
}

/// The selector of a budget. Nil or empty matches nothing, as in the
/// eviction subresource's `getPodDisruptionBudgets`
/// (pkg/registry/core/pod/storage/eviction.go): "a PDB with a nil or empty
/// selector ... should match nothing, not everything".
fn selector(pdb: &Value) -> Option<LabelSelector> {
    let raw = pdb.pointer("/spec/selector").filter(|s| !s.is_null())?;
    let parsed = serde_json::from_value(raw.clone()).ok()?;
    LabelSelector::from_label_selector(&parsed)
        .ok()
        .filter(|s| !s.is_empty())
}

/// Whether `pdb` selects `pod`.
pub fn selects(pdb: &Value, pod: &Value) -> bool {
    selector(pdb).is_some_and(|s| s.matches_json(pod.pointer("/metadata/labels")))
}

/// `status.disruptionsAllowed`, 0 while the disruption controller has not
/// caught up with the budget's generation (the server refuses then too).
pub fn allowed(pdb: &Value) -> i64 {
    let generation = pdb.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = pdb
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    if generation.unwrap_or(0) > observed.unwrap_or(0) {
        return 0;
    }
    pdb.pointer("/status/disruptionsAllowed")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// The budgets of one namespace, as a watch keeps them.
pub struct Budgets<'c> {
    /// None when budgets are not looked at: `--disruption delete` that
    /// may not read them, or a server that does not serve them.
    watcher: Option<Watcher<'c>>,
    cache: Cache,
    pub mode: Disruption,
}

impl<'c> Budgets<'c> {
    /// Opens the watch of the namespace's budgets and reads its first list.
    /// With `--disruption delete` they are only shown, so a failure to read
    /// them is not an error; nor, with `auto`, a server without them.
    pub async fn open(
        client: &'c Client,
        namespace: &str,
        mode: Disruption,
    ) -> anyhow::Result<Budgets<'c>> {
        let mut budgets = Budgets {
            watcher: None,
            cache: Cache::default(),
            mode,
        };
        let Some(kind) = kinds::by_name("poddisruptionbudgets") else {
            return Ok(budgets);
        };
        let mut watcher = Watcher::new(client, kind, Some(namespace), ListParams::default());
        match watcher.next().await {
            Ok(first) => {
                budgets.cache.apply(&first);
                budgets.watcher = Some(watcher);
            }
            Err(_) if mode == Disruption::Delete => {}
            // Not served (404): no budget can select a pet.
            Err(err) if mode == Disruption::Auto && err.is_not_found() => {}
            Err(err) => {
                return Err(anyhow::Error::new(err).context(format!(
                    "cannot read the PodDisruptionBudgets of namespace {namespace} (--disruption {}; --disruption delete ignores them)",
                    mode.word()
                )))
            }
        }
        Ok(budgets)
    }

    /// The next change of a budget (never, when none are watched).
    pub async fn next(&mut self) -> Result<(), Error> {
        match &mut self.watcher {
            Some(watcher) => {
                let event = watcher.next().await?;
                self.cache.apply(&event);
                Ok(())
            }
            None => std::future::pending().await,
        }
    }

    /// The budgets selecting `pod`, by name.
    pub fn covering(&self, pod: &Value) -> Vec<&Value> {
        let mut found: Vec<&Value> = self.cache.values().filter(|b| selects(b, pod)).collect();
        found.sort_by_key(|b| text(b, "/metadata/name").to_string());
        found
    }

    /// The names of the budgets selecting `pod`.
    pub fn names(&self, pod: &Value) -> Vec<String> {
        self.covering(pod)
            .iter()
            .map(|b| text(b, "/metadata/name").to_string())
            .collect()
    }

    /// Whether `pod` is taken down through the Eviction API.
    pub fn evicts(&self, pod: &Value) -> bool {
        match self.mode {
            Disruption::Evict => true,
            Disruption::Delete => false,
            Disruption::Auto => !self.covering(pod).is_empty(),
        }
    }

    /// The budget holding up the eviction of `pod` and what it allows, or
    /// None when every one selecting it allows a disruption.
    pub fn holding(&self, pod: &Value) -> Option<(String, i64)> {
        self.covering(pod)
            .into_iter()
            .map(|b| (text(b, "/metadata/name").to_string(), allowed(b)))
            .find(|(_, n)| *n <= 0)
    }
}

/// What the server said to an eviction.
#[derive(Debug)]
pub enum Evicted {
    /// Deleted (201), or gone already (404).
    Done,
    /// 429: a budget allows no disruption now (or its status is behind).
    Refused(String),
    /// 409: the pod changed (its uid or resourceVersion), or a transient
    /// failure (5xx, a lost connection): read it again.
    Conflict,
}

/// Classifies the answer to `POST pods/NAME/eviction` as the Eviction API
/// documents it (concepts/scheduling-eviction/api-eviction): 201 evicted,
/// 429 not allowed by a budget now (retry later), 500 misconfigured (more
/// than one budget selects the pod), anything else an error of the request.
pub fn evicted(result: Result<Value, Error>, pod: &str) -> anyhow::Result<Evicted> {
    match result {
        Ok(_) => Ok(Evicted::Done),
        Err(err) if err.is_not_found() => Ok(Evicted::Done),
        Err(err) if err.is_budget_refusal() => {
            let cause = match &err {
                Error::Api { status, .. } => status
                    .details
                    .as_ref()
                    .and_then(|d| d.causes.first())
                    .map(|c| c.message.clone())
                    .unwrap_or_else(|| status.message.clone()),
                _ => String::new(),
            };
            Ok(Evicted::Refused(cause))
        }
        Err(err) if err.is_conflict() => Ok(Evicted::Conflict),
        Err(err) if err.code() == Some(500) && err.to_string().contains("more than one") => {
            Err(anyhow::Error::new(err).context(format!(
                "cannot evict pod {pod}: more than one PodDisruptionBudget selects it, which the Eviction API refuses; make the budgets disjoint, or pass --disruption delete to ignore them"
            )))
        }
        // Maybe applied with its answer lost: read the pod again.
        Err(err) if err.is_retryable() => Ok(Evicted::Conflict),
        Err(err) => Err(anyhow::Error::new(err).context(format!("cannot evict pod {pod}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pdb(name: &str, selector: Value, allowed: i64) -> Value {
        json!({"metadata": {"name": name, "generation": 1},
               "spec": {"selector": selector},
               "status": {"observedGeneration": 1, "disruptionsAllowed": allowed}})
    }

    #[test]
    fn budgets_select_by_labels_and_an_empty_selector_matches_nothing() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "db"}}});
        assert!(selects(
            &pdb("a", json!({"matchLabels": {"app": "web"}}), 1),
            &pod
        ));
        assert!(selects(
            &pdb(
                "b",
                json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db"]}]}),
                1
            ),
            &pod
        ));
        assert!(!selects(
            &pdb("c", json!({"matchLabels": {"app": "x"}}), 1),
            &pod
        ));
        assert!(!selects(&pdb("d", json!({}), 1), &pod));
        assert!(!selects(&pdb("e", Value::Null, 1), &pod));
    }

    #[test]
    fn allowed_is_zero_while_the_status_is_behind() {
        assert_eq!(allowed(&pdb("a", json!({}), 2)), 2);
        let mut behind = pdb("a", json!({}), 2);
        behind["metadata"]["generation"] = json!(2);
        assert_eq!(allowed(&behind), 0);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(Disruption::parse("evict").unwrap(), Disruption::Evict);
        assert_eq!(
            Disruption::parse("drain").unwrap_err().0,
            "--disruption \"drain\": expected auto, evict or delete"
        );
    }

    #[test]
    fn answers_are_classified() {
        let refused = Error::Api {
            code: 429,
            status: Box::new(
                serde_json::from_value(json!({"message": "Cannot evict pod as it would violate the pod's disruption budget.",
                    "reason": "TooManyRequests", "code": 429,
                    "details": {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}]}}))
                .unwrap(),
            ),
        };
        match evicted(Err(refused), "web-0").unwrap() {
            Evicted::Refused(cause) => assert_eq!(
                cause,
                "The disruption budget web needs 2 healthy pods and has 2 currently"
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            evicted(Err(Error::api(404, "NotFound", "gone")), "web-0").unwrap(),
            Evicted::Done
        ));
        assert!(matches!(
            evicted(Err(Error::api(409, "Conflict", "uid")), "web-0").unwrap(),
            Evicted::Conflict
        ));
        let many = Error::api(500, "", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        assert!(format!("{:#}", evicted(Err(many), "web-0").unwrap_err())
            .starts_with("cannot evict pod web-0: more than one PodDisruptionBudget selects it"));
    }
}
