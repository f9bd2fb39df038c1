//! The Examples section of each command's `--help`: the PetSet guide's
//! manual steps, as petctl does them.

pub const CREATE: &str = "Examples:
  # The guide's example: the headless Service nginx, then the PetSet web; wait for web-0, then web-1
  petctl create -f examples/petset.yaml --wait

  # Every manifest in a directory, checked by the server only
  petctl create -f manifests/ --dry-run=server";

pub const GET: &str = "Examples:
  # Sets, as the guide's `kubectl get petset` shows them
  petctl get petsets

  # One row per pet of web, missing ordinals included; then follow changes
  petctl get pets web
  petctl get pets web --watch

  # The claims the pets keep
  petctl get pvc";

pub const DESCRIBE: &str = "Examples:
  # Each pet's hostname, DNS name, claim and volume, and the set's events
  petctl describe petset web";

pub const SCALE: &str = "Examples:
  # Grow web to 5 pets: web-2, web-3 and web-4, each Ready before the next
  petctl scale web --replicas 5 --wait

  # Shrink it back: web-4, then web-3 (their claims stay)
  petctl scale web --replicas 3 --wait

  # Show the plan only
  petctl scale web --replicas 1 --dry-run";

pub const UPGRADE_IMAGE: &str = "Examples:
  # The guide's manual upgrade: a new image, then each pet deleted in turn and awaited
  petctl upgrade-image web nginx=gcr.io/google_containers/nginx-slim:0.9

  # The order and the pets it would replace, changing nothing
  petctl upgrade-image web nginx=gcr.io/google_containers/nginx-slim:0.9 --dry-run

  # Drain each pet before it goes down; a failing drain stops before that pet
  petctl upgrade-image web nginx=gcr.io/google_containers/nginx-slim:0.9 --before-pet 'kubectl exec \"$PETCTL_PET\" -- nginx -s quit'";

pub const RESIZE_CLAIMS: &str = "Examples:
  # Grow every claim of web's template www to 2Gi, then recreate web with the bigger template (its pets kept)
  petctl resize-claims web www=2Gi

  # The plan: each claim with its size and class, the claims of scaled-away ordinals too
  petctl resize-claims web www=2Gi --dry-run";

pub const PAUSE: &str = "Examples:
  # Stop web from creating, deleting or updating pets
  petctl pause web

  # Pause behind one pet of a PetSet (its initialized annotation)
  petctl pause web --pet 1";

pub const RESUME: &str = "Examples:
  # Let web go on
  petctl resume web";

pub const DELETE: &str = "Examples:
  # Scale web to 0 in reverse order, then delete it; the claims stay
  petctl delete web

  # Everything the manifest created, the Service included
  petctl delete -f examples/petset.yaml

  # The guide's --cascade=false: delete only the set, the pets keep running
  petctl delete web --cascade=false";

pub const CLEANUP_PVCS: &str = "Examples:
  # After a scale-down: list the claims of ordinals no pet uses, ask, delete
  petctl cleanup-pvcs web

  # The same without a question, for scripts
  petctl cleanup-pvcs web --yes";

pub const MIGRATE: &str = "Examples:
  # A PetSet manifest as an apps/v1 StatefulSet; what changed goes to stderr
  petctl migrate -f petset.yaml > statefulset.yaml";

pub const LOCAL: &str = "Examples:
  # Start the local control plane in the background, and see it
  petctl local up --detach
  petctl local status

  # Use it with kubectl
  export KUBECONFIG=$(petctl local kubeconfig-path)

  # A read-only user's kubeconfig
  petctl local kubeconfig --user alice -o alice.kubeconfig";

pub const CONFIG: &str = "Examples:
  # The context, cluster and user petctl would use
  petctl config view --minify";

pub const VERSION: &str = "Examples:
  # Both versions, and which server and context answered
  petctl version";

pub const COMPLETION: &str = "Examples:
  # bash: completion for this shell
  source <(petctl completion bash)

  # zsh
  petctl completion zsh > \"${fpath[1]}/_petctl\"";

pub const RECOVER: &str = "Examples:
  # Which pets of web are stuck on a lost node, each node's last heartbeat; nothing changes
  petctl recover web --dry-run

  # Force-delete them (asks first), then wait for each to be Ready on another node
  petctl recover web

  # Without a terminal: confirm up front
  petctl recover statefulset/web --yes --timeout 5m";

/// Each subcommand's examples, and whether it follows the `--wait`
/// contract, which its long help then quotes.
pub const BY_COMMAND: &[(&str, &str, bool)] = &[
    ("create", CREATE, true),
    ("get", GET, false),
    ("describe", DESCRIBE, false),
    ("scale", SCALE, true),
    ("upgrade-image", UPGRADE_IMAGE, true),
    ("resize-claims", RESIZE_CLAIMS, true),
    ("pause", PAUSE, true),
    ("resume", RESUME, true),
    ("delete", DELETE, true),
    ("recover", RECOVER, false),
    ("cleanup-pvcs", CLEANUP_PVCS, false),
    ("migrate", MIGRATE, false),
    ("local", LOCAL, false),
    ("config", CONFIG, false),
    ("version", VERSION, false),
    ("completion", COMPLETION, false),
];

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::cli::Cli;

    #[test]
    fn the_command_definition_is_consistent() {
        crate::cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_has_examples() {
        let names: Vec<&str> = super::BY_COMMAND.iter().map(|(name, ..)| *name).collect();
        for sub in crate::cli::command().get_subcommands() {
            assert!(
                names.contains(&sub.get_name()),
                "{} has no examples",
                sub.get_name()
            );
            assert!(sub.get_after_help().is_some(), "{}", sub.get_name());
        }
    }

    /// Every example, inside `$(…)` too, is a command line petctl accepts.
    #[test]
    fn every_example_parses() {
        let mut seen = 0;
        for (_, text, _) in super::BY_COMMAND {
            for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
                let Some(at) = line.find("petctl ") else {
                    continue;
                };
                let command = line[at..].split([')', '>', '|']).next().unwrap_or_default();
                let words: Vec<&str> = command.split_whitespace().collect();
                if let Err(err) = Cli::try_parse_from(&words) {
                    panic!("example {command:?} does not parse: {err}");
                }
                seen += 1;
            }
        }
        assert!(seen > 25, "only {seen} examples");
    }

    /// The flag texts are checked for copy-paste mistakes: within one
    /// command no two flags say the same, and a `--flag` a text mentions
    /// is one of that command's own flags (or a global one).
    #[test]
    fn flag_texts_are_not_copied_from_another_command() {
        fn check(command: &clap::Command, globals: &[String], path: &str) {
            let path = format!("{path} {}", command.get_name())
                .trim_start()
                .to_string();
            let own: Vec<String> = command
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect();
            let mut texts = std::collections::BTreeMap::new();
            for arg in command.get_arguments().filter(|a| !a.is_global_set()) {
                let Some(help) = arg.get_help().map(|h| h.to_string()) else {
                    continue;
                };
                if let Some(other) = texts.insert(help.clone(), arg.get_id().to_string()) {
                    panic!("{path}: --{} and --{other} both say {help:?}", arg.get_id());
                }
                for word in help.split(|c: char| c.is_whitespace() || "(),;:".contains(c)) {
                    let flag = word.split('=').next().unwrap_or_default();
                    let known = own.iter().chain(globals).any(|f| f == flag);
                    assert!(
                        !flag.starts_with("--") || known,
                        "{path}: the text of --{} names {flag}, which {path} does not have: {help:?}",
                        arg.get_id()
                    );
                }
            }
            for sub in command.get_subcommands() {
                check(sub, globals, &path);
            }
        }
        let cli = crate::cli::command();
        let globals: Vec<String> = cli
            .get_arguments()
            .filter(|a| a.is_global_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        check(&cli, &globals, "");
    }
}
