//! The kubeconfig hooks get: one cluster, user and context — the ones
//! petctl resolved, with its overrides (`--context`, `--server`, `-n`…)
//! applied — as current-context with the operation's namespace, so that
//! `kubectl exec "$PETCTL_PET" -- …` in a hook needs no flags. It holds
//! credentials: written 0600 in a 0700 directory of its own, removed when
//! the operation ends, and never printed. A petctl killed with SIGKILL
//! cannot remove its own: the next one that writes one removes those whose
//! process is gone.

use std::os::unix::fs::DirBuilderExt as _;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::client::kubeconfig::{
    Context, Kubeconfig, NamedCluster, NamedContext, NamedUser, Resolved,
};

/// A private kubeconfig file, deleted on drop.
#[derive(Debug)]
pub struct HookKubeconfig {
    dir: PathBuf,
    pub path: PathBuf,
    /// Its context's name (`PETCTL_CONTEXT`), the one petctl uses.
    pub context: String,
}

impl HookKubeconfig {
    /// Writes `resolved` with `namespace` under the temp dir.
    pub fn write(resolved: &Resolved, namespace: &str) -> anyhow::Result<HookKubeconfig> {
        let temp = std::env::temp_dir();
        sweep(&temp);
        let name = format!("{PREFIX}{}-{}", std::process::id(), uuid::Uuid::new_v4());
        let dir = temp.join(name);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create {} for the hooks", dir.display()))?;
        let config = config(resolved, namespace);
        let path = dir.join("kubeconfig");
        let written = HookKubeconfig {
            dir,
            path,
            context: resolved.context_name.clone(),
        };
        let text = serde_yaml_ng::to_string(&config)?;
        crate::local::state::write_private(&written.path, text.as_bytes())
            .context("cannot write the hooks' kubeconfig")?;
        Ok(written)
    }
}

const PREFIX: &str = "petctl-hooks-";

/// Removes the directories of petctl processes that are gone (killed
/// before they could). One whose pid was reused stays, harmlessly.
fn sweep(temp: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
            == Err(nix::errno::Errno::ESRCH);
        if gone {
            // Another user's is not ours to remove, and cannot be.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for HookKubeconfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `resolved` as a kubeconfig of its own. A context name petctl made up
/// (an empty one, with `--server` and no kubeconfig) gets one.
fn config(resolved: &Resolved, namespace: &str) -> Kubeconfig {
    let name = |n: &str, fallback: &str| {
        if n.is_empty() {
            fallback.to_string()
        } else {
            n.to_string()
        }
    };
    let context = name(&resolved.context_name, "petctl");
    let cluster = name(&resolved.cluster_name, "petctl");
    let user = name(&resolved.user_name, "petctl");
    Kubeconfig {
        api_version: "v1".into(),
        kind: "Config".into(),
        clusters: vec![NamedCluster {
            name: cluster.clone(),
            cluster: resolved.cluster.clone(),
        }],
        users: vec![NamedUser {
            name: user.clone(),
            user: resolved.user.clone(),
        }],
        contexts: vec![NamedContext {
            name: context.clone(),
            context: Context {
                cluster,
                user,
                namespace: namespace.to_string(),
            },
        }],
        current_context: context,
        preferences: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn the_file_is_private_selects_the_context_and_goes_away() {
        let resolved = Resolved {
            context_name: "prod".into(),
            cluster_name: "c".into(),
            user_name: "u".into(),
            namespace: "default".into(),
            cluster: Default::default(),
            user: Default::default(),
        };
        let written = HookKubeconfig::write(&resolved, "shop").unwrap();
        let mode = std::fs::metadata(&written.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let read: Kubeconfig =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&written.path).unwrap()).unwrap();
        assert_eq!(read.current_context, "prod");
        assert_eq!(read.contexts[0].context.namespace, "shop");
        let path = written.path.clone();
        drop(written);
        assert!(!path.exists());
    }
}
