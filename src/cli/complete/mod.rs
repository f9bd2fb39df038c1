//! `petctl __complete WORDS…`: dynamic completion in cobra's protocol, as
//! `kubectl __complete` answers it. The whole line is read, so
//! `--kubeconfig`, `--context` and `-n` given on it choose the cluster and
//! namespace the names come from. Prints one candidate a line (optionally
//! `candidate<TAB>description`), then `:DIRECTIVE`. Never writes to
//! stderr, always exits 0.
//!
//! Also run as `kubectl_complete-pets` (by a link of that name), which is
//! how kubectl ≥1.26 completes the arguments of the `kubectl pets` plugin.

mod cluster;
mod line;
pub mod scripts;

use std::ffi::OsString;
use std::io::Write;

use clap::Command;

use self::line::{Line, Target};
use crate::kinds;
use crate::ops::sets;

/// The hidden subcommand the shell scripts call.
pub const SUBCOMMAND: &str = "__complete";

/// The name kubectl runs to complete `kubectl pets …`.
pub const KUBECTL_COMPLETER: &str = "kubectl_complete-pets";

/// cobra's ShellCompDirective bits.
pub mod directive {
    pub const DEFAULT: u32 = 0;
    pub const NO_SPACE: u32 = 2;
    pub const NO_FILE_COMP: u32 = 4;
}

/// What to offer for the word under the cursor.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// `candidate` or `candidate\tdescription`, already filtered.
    pub candidates: Vec<String>,
    pub directive: u32,
}

/// The completion words in `args` (the process arguments) when this run is
/// a completion: `petctl __complete …` or a `kubectl_complete-pets` link.
pub fn requested(args: &[OsString]) -> Option<Vec<String>> {
    let argv0 = std::path::Path::new(args.first()?).file_name()?;
    let words = if argv0 == KUBECTL_COMPLETER {
        &args[1..]
    } else if args.get(1).is_some_and(|a| a == SUBCOMMAND) {
        &args[2..]
    } else {
        return None;
    };
    Some(
        words
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect(),
    )
}

/// Answers the completion of `words` on `out`.
pub fn run(words: &[String], out: &mut dyn Write) -> std::io::Result<()> {
    let answer = complete(words);
    for candidate in &answer.candidates {
        writeln!(out, "{candidate}")?;
    }
    writeln!(out, ":{}", answer.directive)?;
    out.flush()
}

/// The answer for `words` (after the program name, the last one under
/// the cursor).
pub fn complete(words: &[String]) -> Answer {
    let mut root = super::command();
    root.build();
    let line = line::read(&root, words);
    let cmd = line::command(&root, &line);
    let answer = match &line.target {
        Target::Flag => flags(cmd, &line.current),
        Target::Value(id) => value(cmd, id, &line),
        Target::Positional(index) => positional(cmd, *index, &line),
    };
    let prefix = &line.prefix;
    Answer {
        candidates: answer
            .candidates
            .into_iter()
            .filter(|c| c.starts_with(&line.current))
            .map(|c| format!("{prefix}{c}"))
            .collect(),
        directive: answer.directive,
    }
}

fn names(candidates: impl IntoIterator<Item = String>) -> Answer {
    Answer {
        candidates: candidates.into_iter().collect(),
        directive: directive::NO_FILE_COMP,
    }
}

fn described(name: &str, help: Option<&clap::builder::StyledStr>) -> String {
    match help.map(|h| h.to_string()) {
        Some(help) if !help.is_empty() => {
            let first = help.lines().next().unwrap_or_default();
            format!("{name}\t{first}")
        }
        _ => name.to_string(),
    }
}

fn flags(cmd: &Command, current: &str) -> Answer {
    names(
        cmd.get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| Some(described(&format!("--{}", a.get_long()?), a.get_help())))
            .filter(|c| c.starts_with(current)),
    )
}

fn subcommands(cmd: &Command) -> Answer {
    names(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .map(|s| described(s.get_name(), s.get_about())),
    )
}

/// A file or directory argument: the shell's own file completion.
fn is_path(arg: &clap::Arg) -> bool {
    use clap::ValueHint::{AnyPath, DirPath, FilePath};
    matches!(arg.get_value_hint(), AnyPath | DirPath | FilePath)
        || arg
            .get_value_names()
            .into_iter()
            .flatten()
            .any(|n| matches!(n.as_str(), "FILE" | "PATH" | "DIR"))
}

/// What clap itself knows: a list of possible values, or a path.
fn from_clap(arg: &clap::Arg) -> Answer {
    if is_path(arg) {
        return Answer {
            candidates: Vec::new(),
            directive: directive::DEFAULT,
        };
    }
    names(
        arg.get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| described(v.get_name(), v.get_help())),
    )
}

fn value(cmd: &Command, id: &str, line: &Line) -> Answer {
    let Some(global) = cluster::globals(&line.globals) else {
        return names([]);
    };
    match id {
        "context" => names(cluster::contexts(&global)),
        "namespace" => from_cluster(
            &global,
            |conn| async move { cluster::namespaces(&conn).await },
        ),
        "pet" => {
            let Some(set) = line.positionals.first().cloned() else {
                return names([]);
            };
            from_cluster(&global, |conn| async move {
                Ok(cluster::pets(&conn, &set)
                    .await?
                    .into_iter()
                    .map(|(ordinal, pod)| format!("{ordinal}\t{pod}"))
                    .collect())
            })
        }
        _ => match cmd.get_arguments().find(|a| a.get_id() == id) {
            Some(arg) => from_clap(arg),
            None => names([]),
        },
    }
}

/// Candidates from the cluster the line names; none when it cannot be
/// reached in time.
fn from_cluster<F, Fut>(global: &crate::cli::global::GlobalArgs, work: F) -> Answer
where
    F: FnOnce(super::connect::Connection) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<String>>>,
{
    let Some(conn) = cluster::connection(global) else {
        return names([]);
    };
    names(cluster::ask(work(conn)))
}

fn positional(cmd: &Command, index: usize, line: &Line) -> Answer {
    if cmd.has_subcommands() && index == 0 {
        return subcommands(cmd);
    }
    let positionals: Vec<&clap::Arg> = cmd.get_positionals().collect();
    let Some(arg) = positionals.get(index).or_else(|| {
        positionals
            .last()
            .filter(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1))
    }) else {
        return names([]);
    };
    let Some(global) = cluster::globals(&line.globals) else {
        return names([]);
    };
    let first = line.positionals.first().cloned().unwrap_or_default();
    match (cmd.get_name(), arg.get_id().as_str()) {
        ("get", "resource") if line.current.contains('/') => object_refs(&global, &line.current),
        ("get", "resource") => names(resources()),
        ("get", "name") if matches!(first.as_str(), "pets" | "pet") => set_refs(&global, ""),
        ("get", "name") => match kinds::by_name(&first) {
            Some(kind) => from_cluster(&global, |conn| async move {
                cluster::object_names(&conn, kind).await
            }),
            None => names([]),
        },
        ("describe", "kind") if line.current.contains('/') => set_refs(&global, &line.current),
        ("describe", "kind") => names(["petset".to_string(), "statefulset".to_string()]),
        ("describe", "name") if first.contains('/') => names([]),
        ("describe", "name") => match sets::set_kind(&first) {
            Some(kind) => from_cluster(&global, |conn| async move {
                cluster::set_names(&conn, Some(kind)).await
            }),
            None => names([]),
        },
        ("upgrade-image", "images") => Answer {
            directive: directive::NO_SPACE | directive::NO_FILE_COMP,
            ..from_cluster(&global, |conn| async move {
                Ok(cluster::containers(&conn, &first)
                    .await?
                    .into_iter()
                    .map(|(container, image)| format!("{container}=\t{image}"))
                    .collect())
            })
        },
        (_, "name") => set_refs(&global, &line.current),
        _ => from_clap(arg),
    }
}

/// What `get` takes: the set kinds, `pets`, then every kind by plural.
fn resources() -> Vec<String> {
    let first = ["petsets", "statefulsets", "pets"];
    let rest = kinds::KINDS
        .iter()
        .map(|k| k.plural)
        .filter(|p| !first.contains(p));
    first.into_iter().chain(rest).map(String::from).collect()
}

/// Set names for `current`: bare names of every served set kind, or, after
/// `KIND/`, the names of that kind with the prefix as typed.
fn set_refs(global: &crate::cli::global::GlobalArgs, current: &str) -> Answer {
    match current.split_once('/') {
        None => from_cluster(global, |conn| async move {
            cluster::set_names(&conn, None).await
        }),
        Some((kind_word, _)) => match sets::set_kind(kind_word) {
            Some(kind) => prefixed(global, kind_word, |conn| async move {
                cluster::set_names(&conn, Some(kind)).await
            }),
            None => names([]),
        },
    }
}

/// `KIND/NAME` for `get`: any kind petctl knows.
fn object_refs(global: &crate::cli::global::GlobalArgs, current: &str) -> Answer {
    let kind_word = current.split_once('/').map_or("", |(k, _)| k);
    match kinds::by_name(kind_word) {
        Some(kind) => prefixed(global, kind_word, |conn| async move {
            cluster::object_names(&conn, kind).await
        }),
        None => names([]),
    }
}

fn prefixed<F, Fut>(global: &crate::cli::global::GlobalArgs, kind_word: &str, work: F) -> Answer
where
    F: FnOnce(super::connect::Connection) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<String>>>,
{
    let answer = from_cluster(global, work);
    names(
        answer
            .candidates
            .into_iter()
            .map(|name| format!("{kind_word}/{name}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(String::from).collect()
    }

    #[test]
    fn what_clap_knows_is_completed_without_a_cluster() {
        let answer = complete(&words("sc"));
        assert_eq!(answer.candidates.len(), 1);
        assert!(answer.candidates[0].starts_with("scale\t"), "{answer:?}");
        let answer = complete(&words("scale --rep"));
        assert_eq!(answer.candidates, ["--replicas\tThe number of pets wanted"]);
        let answer = complete(&words("delete --cascade="));
        assert!(
            answer
                .candidates
                .iter()
                .all(|c| c.starts_with("--cascade=")),
            "{answer:?}"
        );
        let answer = complete(&words("completion "));
        assert!(
            answer
                .candidates
                .iter()
                .any(|c| c == "kubectl-plugin" || c.starts_with("kubectl-plugin\t")),
            "{answer:?}"
        );
        let answer = complete(&words("create -f "));
        assert_eq!(
            answer,
            Answer {
                candidates: vec![],
                directive: directive::DEFAULT
            }
        );
        let answer = complete(&words("get po"));
        assert_eq!(answer.candidates, ["pods", "poddisruptionbudgets"]);
        let answer = complete(&words("get endp"));
        assert_eq!(answer.candidates, ["endpoints", "endpointslices"]);
    }

    #[test]
    fn completion_runs_are_recognised() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            requested(&os(&["/bin/petctl", "__complete", "scale", ""])),
            Some(words("scale "))
        );
        assert_eq!(
            requested(&os(&["/p/kubectl_complete-pets", "scale", "w"])),
            Some(words("scale w"))
        );
        assert_eq!(requested(&os(&["petctl", "scale", "__complete"])), None);
    }
}
