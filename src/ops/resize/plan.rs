//! The preflight of `resize-claims`, pure: which templates grow to what,
//! each claim of every ordinal (retained ones of scaled-away ordinals too)
//! with its size and StorageClass and what happens to it, and the refusals
//! (an unknown template, a shrink, a class that does not allow expansion)
//! decided before anything is written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::error::InvalidInput;
use crate::json::text;
use crate::ops::sets::Set;
use crate::ops::wait::wanted;
use petctl_model::quantity::storage_bytes;

/// `TEMPLATE=SIZE`.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeChange {
    pub template: String,
    /// As given, e.g. `2Gi`: what the claims and the template get.
    pub size: String,
    pub bytes: f64,
}

impl SizeChange {
    pub fn parse(arg: &str) -> Result<SizeChange, InvalidInput> {
        let invalid = || {
            InvalidInput(format!(
                "invalid size change {arg:?}: expected TEMPLATE=SIZE, e.g. www=2Gi"
            ))
        };
        let (template, size) = arg.split_once('=').ok_or_else(invalid)?;
        if template.is_empty() || size.is_empty() {
            return Err(invalid());
        }
        let bytes = storage_bytes(Some(&Value::from(size)))
            .filter(|b| b.is_finite() && *b > 0.0)
            .ok_or_else(|| {
                InvalidInput(format!(
                    "invalid size {size:?} for template {template:?}: expected a positive quantity such as 1500Mi or 2Gi"
                ))
            })?;
        Ok(SizeChange {
            template: template.to_string(),
            size: size.to_string(),
            bytes,
        })
    }
}

/// What happens to one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Its request is raised.
    Resize,
    /// Its request is already raised; the resize is under way.
    Await,
    /// It already has the size (or more).
    Done,
    /// A claim of a scaled-away ordinal, left as it is (no --include-retained).
    Retained,
}

/// One claim of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimPlan {
    pub claim: String,
    pub template: String,
    pub ordinal: i64,
    /// Of an ordinal the set does not want (scaled away).
    pub retained: bool,
    /// Its capacity (its request while it has none).
    pub current: String,
    pub new: String,
    pub class: String,
    pub action: Action,
}

/// One template of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplatePlan {
    pub template: String,
    pub current: String,
    pub new: String,
}

impl TemplatePlan {
    pub fn changes(&self) -> bool {
        self.current != self.new
    }
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// `statefulset.apps/web`.
    pub set: String,
    pub namespace: String,
    /// One per TEMPLATE=SIZE, in the order given.
    pub templates: Vec<TemplatePlan>,
    /// Every claim of the templates, by template then ordinal.
    pub claims: Vec<ClaimPlan>,
}

/// A claim's request.
pub fn request(claim: &Value) -> &str {
    text(claim, "/spec/resources/requests/storage")
}

/// A claim's capacity, its request while it has none (Pending).
pub fn capacity(claim: &Value) -> &str {
    match text(claim, "/status/capacity/storage") {
        "" => request(claim),
        capacity => capacity,
    }
}

/// A claim's StorageClass name.
pub fn class_of(claim: &Value) -> &str {
    text(claim, "/spec/storageClassName")
}

fn bytes(quantity: &str) -> Option<f64> {
    storage_bytes(Some(&Value::from(quantity)))
}

/// Whether `quantity` is at least `want` bytes.
pub fn at_least(quantity: &str, want: f64) -> bool {
    bytes(quantity).is_some_and(|b| b >= want)
}

/// The template `name` of the set.
pub fn template<'a>(set: &'a Set, name: &str) -> Option<&'a Value> {
    set.object
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)?
        .iter()
        .find(|t| text(t, "/metadata/name") == name)
}

/// The ordinal of claim `claim` of template `template`: `<template>-<set>-<ordinal>`.
pub fn claim_ordinal(set: &Set, template: &str, claim: &str) -> Option<i64> {
    petctl_model::ordinal::of_pod(&format!("{template}-{}", set.name()), claim)
}

/// Checks the size changes against the set's templates: each names one
/// (with a suggestion otherwise), none shrinks.
pub fn check_templates(set: &Set, sizes: &[SizeChange]) -> anyhow::Result<Vec<TemplatePlan>> {
    let names = set.claim_template_names();
    let mut plans = Vec::new();
    for change in sizes {
        let Some(found) = template(set, &change.template) else {
            let hint = match petctl_model::suggest::closest(
                &change.template,
                names.iter().map(String::as_str),
            ) {
                Some(near) => format!("; did you mean {near:?}?"),
                None if names.is_empty() => "; it has none".to_string(),
                None => format!("; it has {}", names.join(", ")),
            };
            return Err(InvalidInput(format!(
                "{} has no volumeClaimTemplate {:?}{hint}",
                set.label(),
                change.template
            ))
            .into());
        };
        let current = request(found).to_string();
        if bytes(&current).is_some_and(|b| b > change.bytes) {
            return Err(InvalidInput(format!(
                "cannot shrink volumeClaimTemplate {:?} of {} from {current} to {}: volumes only grow",
                change.template,
                set.label(),
                change.size
            ))
            .into());
        }
        let new = if at_least(&current, change.bytes) {
            current.clone()
        } else {
            change.size.clone()
        };
        plans.push(TemplatePlan {
            template: change.template.clone(),
            current,
            new,
        });
    }
    Ok(plans)
}

/// The plan for `set`'s `claims` (every claim of the namespace may be
/// given; those of other sets are left out); `classes` by name.
pub fn plan(
    set: &Set,
    sizes: &[SizeChange],
    claims: &[Value],
    classes: &BTreeMap<String, Value>,
    include_retained: bool,
) -> anyhow::Result<Plan> {
    let templates = check_templates(set, sizes)?;
    let mut rows = Vec::new();
    for change in sizes {
        let mut of_template: Vec<(i64, &Value)> = claims
            .iter()
            .filter_map(|c| {
                claim_ordinal(set, &change.template, text(c, "/metadata/name")).map(|o| (o, c))
            })
            .collect();
        of_template.sort_by_key(|(o, _)| *o);
        for (ordinal, claim) in of_template {
            let retained = !wanted(set, ordinal);
            let action = if at_least(capacity(claim), change.bytes) {
                Action::Done
            } else if retained && !include_retained {
                Action::Retained
            } else if at_least(request(claim), change.bytes) {
                Action::Await
            } else {
                Action::Resize
            };
            rows.push(ClaimPlan {
                claim: text(claim, "/metadata/name").to_string(),
                template: change.template.clone(),
                ordinal,
                retained,
                current: capacity(claim).to_string(),
                new: change.size.clone(),
                class: class_of(claim).to_string(),
                action,
            });
        }
    }
    for row in rows.iter().filter(|r| r.action == Action::Resize) {
        check_class(row, classes)?;
    }
    Ok(Plan {
        set: set.display(),
        namespace: set.namespace().to_string(),
        templates,
        claims: rows,
    })
}

impl Plan {
    /// The set is recreated with the bigger templates.
    pub fn swaps(&self) -> bool {
        self.templates.iter().any(TemplatePlan::changes)
    }

    /// The claims whose resize this run writes or waits for.
    pub fn to_resize(&self) -> impl Iterator<Item = &ClaimPlan> {
        self.claims
            .iter()
            .filter(|c| matches!(c.action, Action::Resize | Action::Await))
    }
}

/// A claim may grow only if its class says `allowVolumeExpansion: true`
/// (the PersistentVolumeClaimResize admission plugin refuses it otherwise).
fn check_class(row: &ClaimPlan, classes: &BTreeMap<String, Value>) -> anyhow::Result<()> {
    let refuse = |why: String| {
        anyhow::anyhow!(
            "cannot resize claim {:?}: {why}; nothing was changed",
            row.claim
        )
    };
    if row.class.is_empty() {
        return Err(refuse(
            "it has no StorageClass, so it cannot be expanded".into(),
        ));
    }
    let Some(class) = classes.get(&row.class) else {
        return Err(refuse(format!(
            "its StorageClass {:?} does not exist",
            row.class
        )));
    };
    if class.get("allowVolumeExpansion") != Some(&Value::Bool(true)) {
        return Err(refuse(format!(
            "its StorageClass {:?} does not allow volume expansion (allowVolumeExpansion is not true)",
            row.class
        )));
    }
    Ok(())
}

/// The plan as shown before it runs.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "resize the claims of {} in namespace {}:",
        plan.set, plan.namespace
    );
    let headers = ["CLAIM", "ORDINAL", "CURRENT", "NEW", "CLASS", "ACTION"];
    let rows: Vec<[String; 6]> = plan
        .claims
        .iter()
        .map(|c| {
            let action = match c.action {
                Action::Resize => "resize",
                Action::Await => "resizing (already requested)",
                Action::Done => "already at the size",
                Action::Retained => "retained: kept (--include-retained resizes it)",
            };
            let ordinal = if c.retained {
                format!("{} (scaled away)", c.ordinal)
            } else {
                c.ordinal.to_string()
            };
            [
                c.claim.clone(),
                ordinal,
                c.current.clone(),
                c.new.clone(),
                c.class.clone(),
                action.to_string(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text: String = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}   "))
            .collect();
        text.truncate(text.trim_end().len());
        text
    };
    if rows.is_empty() {
        let _ = writeln!(out, "  no claims yet");
    } else {
        let _ = writeln!(out, "  {}", line(headers.to_vec()));
        for row in &rows {
            let _ = writeln!(out, "  {}", line(row.iter().map(String::as_str).collect()));
        }
    }
    for t in &plan.templates {
        if t.changes() {
            let _ = writeln!(
                out,
                "template {}: {} -> {} (the set is recreated with it, its pets kept)",
                t.template, t.current, t.new
            );
        } else {
            let _ = writeln!(out, "template {}: {} (already)", t.template, t.new);
        }
    }
    out
}

#[cfg(test)]
mod tests;
