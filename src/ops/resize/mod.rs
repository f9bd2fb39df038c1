//! `resize-claims`: grow the claims of a set's volumeClaimTemplates, which
//! the API server refuses to change in place (kubernetes/kubernetes#68737).
//! Each claim's request is patched with a precondition and its resize
//! followed on a watch; pets whose filesystem grows only on a restart are
//! restarted one at a time; then the set is orphan-deleted and recreated
//! with the bigger templates, its pets adopted untouched — with a copy
//! saved first (a ConfigMap and a local file) so the set is never lost.
//! Every step is decided from the cluster, so a rerun resumes.

mod claims;
pub mod plan;
mod restart;
mod swap;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::client::request::ListParams;
use crate::client::Client;
use crate::error::InvalidInput;
use crate::kinds;
use crate::ops::access::{self, Need};
use crate::ops::progress::Progress;
use crate::ops::sets::Set;

pub use plan::{Action, Plan, SizeChange};
pub use swap::{configmap_name, recover, Recovered};

#[derive(Debug, Clone)]
pub struct ResizeOptions {
    pub sizes: Vec<SizeChange>,
    /// Resize the claims of scaled-away ordinals too.
    pub include_retained: bool,
    /// How long a restarted pet may take to be Ready again.
    pub pet_timeout: Duration,
    /// How long a claim may wait for its filesystem to grow while its pet
    /// runs, before the pet is restarted for it (`resize: offline`).
    pub filesystem_wait: Duration,
    /// For each wait of the whole operation.
    pub timeout: Duration,
    /// Where the local copy of the set is saved; None: the ConfigMap only.
    pub backup_dir: Option<PathBuf>,
    /// A test hook: after this step (`orphan-delete`), say so and stop
    /// until killed.
    pub pause_after: Option<String>,
    /// `--before-pet`/`--after-pet`: around each pet's restart.
    pub hooks: crate::ops::hooks::Hooks,
}

impl ResizeOptions {
    /// What cannot be right whatever the cluster says.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        let mut named = std::collections::BTreeSet::new();
        if let Some(again) = self
            .sizes
            .iter()
            .find(|c| !named.insert(c.template.as_str()))
        {
            let again = &again.template;
            return Err(InvalidInput(format!(
                "template {again:?} is named more than once"
            )));
        }
        match (self.sizes.is_empty(), self.pet_timeout.is_zero()) {
            (true, _) => Err(InvalidInput::new(
                "no size given: name at least one TEMPLATE=SIZE, e.g. www=2Gi",
            )),
            (_, true) => Err(InvalidInput::new("--pet-timeout must be more than 0")),
            _ => Ok(()),
        }
    }
}

/// A wait that ran out of `timeout`.
fn timed_out(timeout: Duration, waiting_for: String, reasons: Vec<String>) -> anyhow::Error {
    crate::ops::wait::TimedOut {
        timeout,
        waiting_for,
        reasons,
    }
    .into()
}

/// How the operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Only planned (`--dry-run`).
    Planned,
    Completed,
}

/// What happened to one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimResult {
    Resized,
    /// Already at the size before this run.
    Skipped,
    /// A claim of a scaled-away ordinal, left as it was.
    Retained,
    /// The volume grew; its filesystem grows when a pod mounts it.
    FilesystemPending,
    /// `--dry-run`.
    Planned,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimOutcome {
    pub claim: String,
    pub ordinal: i64,
    pub from: String,
    pub to: String,
    pub class: String,
    pub result: ClaimResult,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub set: String,
    pub namespace: String,
    pub status: Status,
    pub claims: Vec<ClaimOutcome>,
    pub templates: Vec<plan::TemplatePlan>,
    /// Pets restarted so that their filesystems grow.
    pub restarted: Vec<String>,
    /// The set was recreated with the bigger templates.
    pub recreated: bool,
    /// Where the copy of the set was saved, if this run saved one.
    pub saved_copy: Option<String>,
}

/// A planned resize, ready to run.
pub struct Prepared<'c> {
    client: &'c Client,
    set: Set,
    options: ResizeOptions,
    plan: Plan,
}

/// Reads the set's claims and their classes and plans; refuses (before
/// anything is written) an unknown template, a shrink or a class that does
/// not allow expansion.
pub async fn prepare<'c>(
    client: &'c Client,
    set: Set,
    options: ResizeOptions,
) -> anyhow::Result<Prepared<'c>> {
    let claims_kind = kinds::builtin("persistentvolumeclaims");
    let claims = client
        .api(claims_kind, Some(set.namespace()))
        .list(&ListParams::default())
        .await?;
    let mut classes = BTreeMap::new();
    let classes_kind = kinds::builtin("storageclasses");
    for claim in &claims {
        let name = plan::class_of(claim);
        if name.is_empty() || classes.contains_key(name) {
            continue;
        }
        match client.api(classes_kind, None).get::<Value>(name).await {
            Ok(class) => {
                classes.insert(name.to_string(), class);
            }
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err.into()),
        }
    }
    let plan = plan::plan(
        &set,
        &options.sizes,
        &claims,
        &classes,
        options.include_retained,
    )?;
    Ok(Prepared {
        client,
        set,
        options,
        plan,
    })
}

impl<'c> Prepared<'c> {
    /// The plan as text; with hooks, which pets would get them: those
    /// restarted for their filesystem step, known only once it waits.
    pub fn render(&self) -> String {
        let mut text = plan::render(&self.plan);
        let mut ordinals: Vec<i64> = self
            .plan
            .to_resize()
            .filter(|c| !c.retained)
            .map(|c| c.ordinal)
            .collect();
        ordinals.sort_unstable_by(|a, b| b.cmp(a));
        ordinals.dedup();
        let pets: Vec<String> = ordinals.iter().map(|&o| self.set.pet_name(o)).collect();
        let pets: Vec<&str> = pets.iter().map(String::as_str).collect();
        if let Some(line) = self.options.hooks.plan_line(&pets, &pets) {
            text.push_str(&format!("{line}, if restarted for their filesystem step\n"));
        }
        text
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The outcome of `--dry-run`.
    pub fn planned(&self) -> Outcome {
        self.outcome(Status::Planned, |_| ClaimResult::Planned)
    }

    fn outcome(&self, status: Status, result: impl Fn(&plan::ClaimPlan) -> ClaimResult) -> Outcome {
        Outcome {
            set: self.plan.set.clone(),
            namespace: self.plan.namespace.clone(),
            status,
            claims: self
                .plan
                .claims
                .iter()
                .map(|c| ClaimOutcome {
                    claim: c.claim.clone(),
                    ordinal: c.ordinal,
                    from: c.current.clone(),
                    to: c.new.clone(),
                    class: c.class.clone(),
                    result: match c.action {
                        Action::Done => ClaimResult::Skipped,
                        Action::Retained => ClaimResult::Retained,
                        _ => result(c),
                    },
                })
                .collect(),
            templates: self.plan.templates.clone(),
            restarted: Vec::new(),
            recreated: false,
            saved_copy: None,
        }
    }

    /// Whether the user may make every request the resize needs.
    pub async fn check_access(&self) -> anyhow::Result<()> {
        let namespace = self.set.namespace();
        let mut needs = vec![
            Need::new("patch", kinds::builtin("persistentvolumeclaims"), namespace),
            Need::new("delete", kinds::builtin("pods"), namespace),
        ];
        if self.plan.swaps() {
            needs.extend([
                Need::new("delete", self.set.kind, namespace),
                Need::new("create", self.set.kind, namespace),
                Need::new("create", kinds::builtin("configmaps"), namespace),
                Need::new("delete", kinds::builtin("configmaps"), namespace),
            ]);
        }
        let what = format!("resize of the claims of {}", self.set.label());
        access::require(self.client, &needs, &what).await
    }

    /// Resizes the claims, restarts the pets whose filesystems need it, and
    /// swaps the set for one with the bigger templates. `set` is the set as
    /// the lease left it.
    pub async fn execute(self, set: Set, progress: &mut dyn Progress) -> anyhow::Result<Outcome> {
        let client = self.client;
        let rows: Vec<plan::ClaimPlan> = self.plan.to_resize().cloned().collect();
        claims::request(client, &set, &rows, progress).await?;
        let pending = claims::await_resized(client, &set, &rows, &self.options, progress).await?;
        let restart: Vec<i64> = restart::pets_to_restart(&set, &rows, &pending);
        let restarted = restart::restart_pets(
            client,
            &set,
            &restart,
            self.options.pet_timeout,
            &self.options.hooks,
            progress,
        )
        .await?;
        let still = if restarted.is_empty() {
            pending
        } else {
            claims::await_resized(client, &set, &rows, &self.options, progress).await?
        };
        let (recreated, saved_copy) = if self.plan.swaps() {
            let saved = swap::swap(client, &set, &self.plan, &self.options, progress).await?;
            (true, saved)
        } else {
            swap::finish(client, &set, self.options.timeout, progress).await?;
            (false, None)
        };
        let mut outcome = self.outcome(Status::Completed, |c| {
            if still.contains(&c.claim) {
                ClaimResult::FilesystemPending
            } else {
                ClaimResult::Resized
            }
        });
        outcome.restarted = restarted;
        outcome.recreated = recreated;
        outcome.saved_copy = saved_copy;
        Ok(outcome)
    }
}
