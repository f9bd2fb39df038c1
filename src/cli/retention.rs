//! Saying out loud which claims the server deletes under a set's
//! persistentVolumeClaimRetentionPolicy: named in the plan and the dry run,
//! asked about on a terminal, refused without `--yes` elsewhere, and
//! reported once they are gone.

use std::io::Write;
use std::time::Duration;

use super::confirm::confirm;
use crate::client::Client;
use crate::ops::retention::{self, Change, Doomed, Policy};
use crate::ops::sets::Set;

/// `--yes`: consent, given in advance, to the claims that the set's
/// persistentVolumeClaimRetentionPolicy makes the server delete.
#[derive(Debug, clap::Args)]
pub struct Consent {
    /// Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenDeleted or whenScaled: Delete)
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// The claims a change of one set makes the server delete, and why.
pub struct Retention {
    pub doomed: Vec<Doomed>,
    reason: String,
    namespace: String,
}

impl Retention {
    /// Reads what `change` will make the server delete.
    pub async fn read(client: &Client, set: &Set, change: Change) -> anyhow::Result<Retention> {
        Ok(Retention {
            doomed: retention::doomed(client, set, change).await?,
            reason: Policy::of(set).reason(change),
            namespace: set.namespace().to_string(),
        })
    }

    fn names(&self) -> String {
        self.doomed_claims().join(", ")
    }

    /// The claims the server deletes, by name.
    pub fn doomed_claims(&self) -> Vec<&str> {
        self.doomed.iter().map(|d| d.claim.as_str()).collect()
    }

    /// Those of `claims` the server keeps.
    pub fn kept<'a>(&self, claims: &'a [String]) -> Vec<&'a str> {
        claims
            .iter()
            .map(String::as_str)
            .filter(|c| !self.doomed.iter().any(|d| d.claim == *c))
            .collect()
    }

    /// Names the claims (a dry run only names them) and asks before
    /// `action` (`scale statefulset "web" to 1`). False when the user said
    /// no; an error without a terminal and without `--yes`.
    pub fn confirm(
        &self,
        label: &str,
        action: &str,
        dry_run: bool,
        yes: bool,
        err: &mut dyn Write,
    ) -> anyhow::Result<bool> {
        if self.doomed.is_empty() {
            return Ok(true);
        }
        let (will, count) = (if dry_run { "would" } else { "will" }, self.doomed.len());
        writeln!(
            err,
            "{label} has persistentVolumeClaimRetentionPolicy {}: the server {will} delete {count} claims and the data on their volumes: {}",
            self.reason,
            self.names()
        )?;
        if dry_run {
            return Ok(true);
        }
        let question = format!("{action} and let the server delete {}", self.names());
        if confirm(&question, yes, err)? {
            return Ok(true);
        }
        writeln!(err, "nothing changed")?;
        Ok(false)
    }

    /// After the change: with `wait`, follows the claims until the server
    /// has deleted them; says which are gone or going.
    pub async fn report(
        &self,
        client: &Client,
        wait: bool,
        timeout: Duration,
        err: &mut dyn Write,
    ) -> anyhow::Result<()> {
        if self.doomed.is_empty() {
            return Ok(());
        }
        if !wait {
            writeln!(
                err,
                "the server is deleting the claims {} ({})",
                self.names(),
                self.reason
            )?;
            return Ok(());
        }
        let left = retention::wait_deleted(client, &self.namespace, &self.doomed, timeout).await?;
        if left.is_empty() {
            writeln!(
                err,
                "claims deleted by the server: {} ({})",
                self.names(),
                self.reason
            )?;
        } else {
            writeln!(
                err,
                "the server has not deleted the claims {} yet, after {timeout:?} ({})",
                left.join(", "),
                self.reason
            )?;
        }
        Ok(())
    }
}
