//! The one `--wait` contract of create, scale, upgrade-image, delete,
//! pause and resume: its text (shown by each command's `--help` and
//! quoted in docs/wait.md) and its default timeout.

/// How long a wait may take unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: &str = "5m";

/// The contract, as `--help` shows it after the examples.
pub const CONTRACT: &str = "Waiting (--wait; upgrade-image and an ordered delete always wait):
  Every wait follows the set on a watch until its condition holds, or until
  --timeout passes (default 5m; upgrade-image: --pet-timeout for each pet).
  create --wait    every pet below replicas Running and Ready, then the set's
                   status caught up (observed generation, ready and updated pets)
  scale --wait     the same for the new replicas, and every pet above them gone
  upgrade-image    each pet, in order, recreated with the new image and Ready
  delete           the pets gone one at a time in reverse order, then the set
                   gone (--wait alone: the set gone); a paused PetSet is refused
  pause --wait     the controller has seen the pause (a StatefulSet's status
                   at its new generation); a PetSet's pause holds once written
  resume --wait    as create --wait: every pet Running and Ready, status caught up
  A blocker is said on stderr as soon as the watch shows it, once each: a
  paused PetSet (with the command that resumes it), a pet in CrashLoopBackOff,
  ImagePullBackOff or ErrImagePull, a pet that cannot be scheduled
  (PodScheduled False, Unschedulable). A paused set is not done: the wait goes
  on, for it may be resumed. On timeout petctl exits 1 naming what it waited
  for, each pet not Ready with its reason and the last events of its current
  pod (matched by uid, never a deleted pod of the same name), and the pause.";

/// A command's `--help` epilogue: its examples, then the contract.
pub fn after_long_help(examples: &str) -> String {
    format!("{examples}\n\n{CONTRACT}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_quote_the_contract_and_its_default() {
        let docs = include_str!("../../docs/wait.md");
        assert!(
            docs.contains(CONTRACT),
            "docs/wait.md must quote CONTRACT verbatim"
        );
        assert!(CONTRACT.contains(&format!("(default {DEFAULT_TIMEOUT};")));
    }
}
