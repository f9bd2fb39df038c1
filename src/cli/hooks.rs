//! `--before-pet CMD`, `--after-pet CMD` and `--hook-timeout`, one set of
//! flags for every command that takes pets down (see docs/hooks.md).

use std::sync::Arc;

use super::connect::Connection;
use crate::error::InvalidInput;
use crate::ops::hooks::{HookKubeconfig, Hooks};

#[derive(Debug, Clone, clap::Args)]
pub struct HookArgs {
    /// Run CMD (sh -c, with PETCTL_PET and more: see docs/hooks.md) before each pet goes down; a non-zero exit stops before that pet
    #[arg(long = "before-pet", value_name = "CMD")]
    pub before_pet: Option<String>,
    /// Run CMD once each pet is back (Ready and stable for the minimum ready time) or gone; a non-zero exit stops before the next pet
    #[arg(long = "after-pet", value_name = "CMD")]
    pub after_pet: Option<String>,
    /// How long a hook may run before its process group is killed and the operation stops
    #[arg(long = "hook-timeout", default_value = "5m", value_name = "DURATION")]
    pub hook_timeout: String,
}

impl HookArgs {
    /// The hooks of `operation`, without a cluster yet; what is wrong with
    /// the flags is exit code 2.
    pub fn hooks(&self, operation: &'static str) -> Result<Hooks, InvalidInput> {
        for (flag, command) in [
            ("--before-pet", &self.before_pet),
            ("--after-pet", &self.after_pet),
        ] {
            if command.as_deref().is_some_and(|c| c.trim().is_empty()) {
                return Err(InvalidInput(format!(
                    "{flag}: the command is empty; give a shell command, e.g. {flag} 'echo \"$PETCTL_PET\"'"
                )));
            }
        }
        let timeout = super::op_args::duration_flag("--hook-timeout", &self.hook_timeout)?;
        if timeout.is_zero() {
            return Err(InvalidInput::new("--hook-timeout must be more than 0"));
        }
        Ok(Hooks {
            before: self.before_pet.clone(),
            after: self.after_pet.clone(),
            timeout,
            operation,
            kubeconfig: None,
        })
    }
}

/// `hooks` given the cluster of `conn`: a private kubeconfig whose
/// current context is petctl's, in its namespace. Nothing is written
/// without hooks or on a dry run.
pub fn on_cluster(mut hooks: Hooks, conn: &Connection, dry_run: bool) -> anyhow::Result<Hooks> {
    if hooks.any() && !dry_run {
        let written = HookKubeconfig::write(&conn.resolved, &conn.namespace)?;
        hooks.kubeconfig = Some(Arc::new(written));
    }
    Ok(hooks)
}
