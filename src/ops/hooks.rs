//! Per-pet hooks (`--before-pet CMD`, `--after-pet CMD`): a local shell
//! command run with the pet's identity in `PETCTL_*` variables and a
//! kubeconfig that reaches the cluster and namespace petctl works in. A
//! before-hook that fails (or outlives `--hook-timeout`, which kills its
//! process group) stops the operation before the pet is touched; its
//! output is shown in progress, its stderr's tail in the error.

mod kubeconfig;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::progress::{Note, Progress};
use super::upgrade::plan::human;
pub use kubeconfig::HookKubeconfig;

/// `--hook-timeout` when not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How many of a failed hook's last stderr lines its error shows.
const TAIL_LINES: usize = 20;

/// The hooks of one operation.
#[derive(Debug, Clone)]
pub struct Hooks {
    pub before: Option<String>,
    pub after: Option<String>,
    pub timeout: Duration,
    /// The command the hooks run in: `upgrade-image`, `scale`, `delete`,
    /// `resize-claims`.
    pub operation: &'static str,
    /// Where hooks find the cluster; None leaves the environment's.
    pub kubeconfig: Option<Arc<HookKubeconfig>>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            before: None,
            after: None,
            timeout: DEFAULT_TIMEOUT,
            operation: "",
            kubeconfig: None,
        }
    }
}

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    After,
}

impl When {
    pub fn flag(self) -> &'static str {
        match self {
            When::Before => "--before-pet",
            When::After => "--after-pet",
        }
    }
}

/// The pet a hook runs for, as its `PETCTL_*` variables say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PetContext {
    pub set: String,
    /// `PetSet` or `StatefulSet`.
    pub kind: String,
    pub namespace: String,
    pub pet: String,
    pub ordinal: i64,
    /// The images the pet runs before and after (upgrade-image only),
    /// `,`-joined in the order the containers were named.
    pub old_image: String,
    pub new_image: String,
}

impl PetContext {
    /// The pet `ordinal` of `set`, with no images.
    pub fn of(set: &super::sets::Set, ordinal: i64) -> PetContext {
        PetContext {
            set: set.name().to_string(),
            kind: set.kind.kind.to_string(),
            namespace: set.namespace().to_string(),
            pet: set.pet_name(ordinal),
            ordinal,
            ..PetContext::default()
        }
    }
}

/// A hook that failed: the operation stops here.
#[derive(Debug, thiserror::Error)]
#[error("{flag} hook {outcome} for {pet} ({side}): sh -c {command:?}{stderr}")]
pub struct HookFailed {
    pub flag: &'static str,
    pub pet: String,
    pub outcome: String,
    pub side: String,
    pub command: String,
    /// `\nits stderr ended with:\n  …`, or empty.
    pub stderr: String,
}

impl Hooks {
    pub fn any(&self) -> bool {
        self.before.is_some() || self.after.is_some()
    }

    pub fn command(&self, when: When) -> Option<&str> {
        match when {
            When::Before => self.before.as_deref(),
            When::After => self.after.as_deref(),
        }
    }

    /// The plan's line saying which pets get which hook, or None without
    /// hooks: `before` get the before-hook, `after` the after-hook.
    pub fn plan_line(&self, before: &[&str], after: &[&str]) -> Option<String> {
        if !self.any() {
            return None;
        }
        let mut parts = Vec::new();
        for (when, pets) in [(When::Before, before), (When::After, after)] {
            if let Some(command) = self.command(when) {
                let pets = if pets.is_empty() {
                    "no pet".to_string()
                } else {
                    pets.join(", ")
                };
                parts.push(format!("{} {command:?} for {pets}", when.flag()));
            }
        }
        Some(format!(
            "hooks: {} (timeout {})",
            parts.join("; "),
            human(self.timeout)
        ))
    }

    /// Runs the `when` hook for `pet`, if there is one, showing its output
    /// in `progress`. Err([`HookFailed`]) when it exits non-zero, is killed
    /// by a signal or outlives the timeout; its process group is killed
    /// once it exits, so nothing it started keeps running.
    pub async fn run(
        &self,
        when: When,
        pet: &PetContext,
        progress: &mut dyn Progress,
    ) -> anyhow::Result<()> {
        let Some(command) = self.command(when) else {
            return Ok(());
        };
        let tag = format!("{} {}", pet.pet, &when.flag()[2..]);
        progress.note(Note::Step(format!("{tag}: running sh -c {command:?}")));
        let mut child = self.spawn(command, pet).map_err(|e| {
            anyhow::anyhow!("cannot run the {} hook for {}: {e}", when.flag(), pet.pet)
        })?;
        // Also when the operation is dropped (Ctrl-C): the group does not
        // get the terminal's SIGINT.
        let mut group = Group(child.id());
        let mut stdout = child.stdout.take().map(|o| BufReader::new(o).lines());
        let mut stderr = child.stderr.take().map(|e| BufReader::new(e).lines());
        let mut tail: Vec<String> = Vec::new();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let ran = tokio::time::timeout_at(deadline, async {
            let mut status = None;
            while status.is_none() || stdout.is_some() || stderr.is_some() {
                tokio::select! {
                    line = next_line(&mut stdout) => match line {
                        Some(line) => progress.note(Note::Step(format!("{tag}: {line}"))),
                        None => stdout = None,
                    },
                    line = next_line(&mut stderr) => match line {
                        Some(line) => {
                            progress.note(Note::Step(format!("{tag}: {line}")));
                            if tail.len() == TAIL_LINES {
                                tail.remove(0);
                            }
                            tail.push(line);
                        }
                        None => stderr = None,
                    },
                    exited = child.wait(), if status.is_none() => {
                        // What it left behind would hold the pipes open.
                        group.kill();
                        status = Some(exited);
                    }
                }
            }
            status
        })
        .await;
        if ran.is_err() {
            // Killed before its leader is reaped: the group id is still its.
            group.kill();
            let _ = child.wait().await;
        }
        // Reaped: the id may be reused, so no more kills.
        group.0 = None;
        let outcome = match ran {
            Ok(Some(Ok(status))) if status.success() => return Ok(()),
            Ok(Some(Ok(status))) => match status.code() {
                Some(code) => format!("exited with {code}"),
                None => format!("was killed ({status})"),
            },
            Ok(_) => "could not be waited for".to_string(),
            Err(_) => format!("was killed after --hook-timeout {}", human(self.timeout)),
        };
        let side = match when {
            When::Before => format!("{} was not touched", pet.pet),
            When::After => format!("after {} was done", pet.pet),
        };
        let stderr = if tail.is_empty() {
            String::new()
        } else {
            format!("\nits stderr ended with:\n  {}", tail.join("\n  "))
        };
        Err(HookFailed {
            flag: when.flag(),
            pet: pet.pet.clone(),
            outcome,
            side,
            command: command.to_string(),
            stderr,
        }
        .into())
    }

    fn spawn(&self, command: &str, pet: &PetContext) -> std::io::Result<tokio::process::Child> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so a timeout kills what it started too.
            .process_group(0)
            .kill_on_drop(true)
            .env("PETCTL_SET", &pet.set)
            .env("PETCTL_KIND", &pet.kind)
            .env("PETCTL_NAMESPACE", &pet.namespace)
            .env("PETCTL_PET", &pet.pet)
            .env("PETCTL_ORDINAL", pet.ordinal.to_string())
            .env("PETCTL_OPERATION", self.operation)
            .env("PETCTL_OLD_IMAGE", &pet.old_image)
            .env("PETCTL_NEW_IMAGE", &pet.new_image);
        if let Some(config) = &self.kubeconfig {
            cmd.env("KUBECONFIG", &config.path)
                .env("PETCTL_CONTEXT", &config.context);
        }
        cmd.spawn()
    }
}

/// The next line of a pipe still open; never resolves once it closed.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<tokio::io::Lines<R>>,
) -> Option<String> {
    match lines {
        Some(lines) => lines.next_line().await.ok().flatten(),
        None => std::future::pending().await,
    }
}

/// A hook's process group, killed when dropped.
struct Group(Option<u32>);

impl Group {
    fn kill(&self) {
        if let Some(pid) = self.0.and_then(|g| i32::try_from(g).ok()) {
            // Gone already (ESRCH) is what we want.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::progress::Recorder;

    fn pet() -> PetContext {
        PetContext {
            set: "web".into(),
            kind: "StatefulSet".into(),
            namespace: "default".into(),
            pet: "web-1".into(),
            ordinal: 1,
            old_image: "nginx:1".into(),
            new_image: "nginx:2".into(),
        }
    }

    fn hooks(before: &str, timeout: Duration) -> Hooks {
        Hooks {
            before: Some(before.into()),
            timeout,
            operation: "upgrade-image",
            ..Hooks::default()
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_hook_sees_the_pet_and_its_output_is_shown() {
        let mut progress = Recorder::default();
        let hook = hooks(
            "echo $PETCTL_PET/$PETCTL_ORDINAL/$PETCTL_OPERATION/$PETCTL_OLD_IMAGE/$PETCTL_NEW_IMAGE; echo oops >&2",
            Duration::from_secs(30),
        );
        block_on(hook.run(When::Before, &pet(), &mut progress)).unwrap();
        assert!(progress.notes.contains(&Note::Step(
            "web-1 before-pet: web-1/1/upgrade-image/nginx:1/nginx:2".into()
        )));
        assert!(progress
            .notes
            .contains(&Note::Step("web-1 before-pet: oops".into())));
        // No after-hook: nothing runs.
        block_on(hook.run(When::After, &pet(), &mut progress)).unwrap();
    }

    #[test]
    fn a_failing_hook_names_itself_the_pet_and_its_stderr() {
        let mut progress = Recorder::default();
        let hook = hooks("echo not the leader >&2; exit 3", Duration::from_secs(30));
        let err = block_on(hook.run(When::Before, &pet(), &mut progress)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--before-pet hook exited with 3 for web-1 (web-1 was not touched): sh -c \"echo not the leader >&2; exit 3\"\nits stderr ended with:\n  not the leader"
        );
        assert!(err.is::<HookFailed>());
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_with_what_it_started() {
        let mut progress = Recorder::default();
        let hook = hooks("sleep 60 & wait", Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = block_on(hook.run(When::Before, &pet(), &mut progress)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(
            err.to_string()
                .starts_with("--before-pet hook was killed after --hook-timeout 300ms for web-1"),
            "{err}"
        );
    }

    #[test]
    fn plans_name_the_hooked_pets() {
        let hook = Hooks {
            after: Some("true".into()),
            ..hooks("drain", Duration::from_secs(300))
        };
        assert_eq!(
            hook.plan_line(&["web-2", "web-1"], &[]).unwrap(),
            "hooks: --before-pet \"drain\" for web-2, web-1; --after-pet \"true\" for no pet (timeout 5m)"
        );
        assert_eq!(Hooks::default().plan_line(&["web-0"], &[]), None);
    }
}
