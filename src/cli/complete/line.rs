//! Reading a partial command line against the clap definitions: which
//! subcommand it is in, which global flags it gave, the positionals so far,
//! and what the word under the cursor is (a subcommand, a flag, a flag's
//! value or a positional). Pure, so every shape of line is unit-tested.

use std::collections::BTreeMap;

use clap::{Arg, Command};

/// What the word under the cursor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A flag name (`--rep`).
    Flag,
    /// The value of the flag with this clap id (`--context`, `-n`).
    Value(String),
    /// The positional at this index of the innermost command, or its
    /// subcommand when it has subcommands and none was given.
    Positional(usize),
}

/// A command line up to the cursor, read against a built clap command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The subcommands given, outermost first: `["local", "up"]`.
    pub path: Vec<String>,
    /// The global flags given, as tokens clap can parse again.
    pub globals: Vec<String>,
    /// The positionals of the innermost command before the cursor.
    pub positionals: Vec<String>,
    /// The values of its other flags, by clap id.
    pub flags: BTreeMap<String, Vec<String>>,
    pub target: Target,
    /// The word under the cursor, without an inline `--flag=` part.
    pub current: String,
    /// `--flag=` when the value is completed inline; candidates get it back.
    pub prefix: String,
}

/// Whether a flag takes a value, and whether it must.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    Optional,
    Required,
}

fn takes(arg: &Arg) -> Takes {
    if !arg.get_action().takes_values() {
        return Takes::Nothing;
    }
    match arg.get_num_args() {
        Some(range) if range.min_values() == 0 => Takes::Optional,
        _ => Takes::Required,
    }
}

fn long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(name))
}

fn short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c))
}

/// Reads `words` (after the program name; the last one is under the
/// cursor, possibly empty) against `root`, which must be built so that
/// global flags are known to every subcommand.
pub fn read(root: &Command, words: &[String]) -> Line {
    let (current, done) = match words.split_last() {
        Some((current, done)) => (current.clone(), done),
        None => (String::new(), &[][..]),
    };
    let mut cmd = root;
    let mut line = Line {
        path: Vec::new(),
        globals: Vec::new(),
        positionals: Vec::new(),
        flags: BTreeMap::new(),
        target: Target::Flag,
        current,
        prefix: String::new(),
    };
    let mut pending: Option<&Arg> = None;
    let mut dashdash = false;
    let mut i = 0;
    while i < done.len() {
        let word = &done[i];
        let next = done.get(i + 1);
        i += 1;
        if dashdash || word == "-" || !word.starts_with('-') {
            match cmd.find_subcommand(word) {
                Some(sub) if line.positionals.is_empty() && !dashdash => {
                    cmd = sub;
                    line.path.push(sub.get_name().to_string());
                    line.flags.clear();
                }
                _ => line.positionals.push(word.clone()),
            }
            continue;
        }
        if word == "--" {
            dashdash = true;
            continue;
        }
        let (arg, inline, token) = if let Some(rest) = word.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (rest, None),
            };
            (long(cmd, name), inline, format!("--{name}"))
        } else {
            // `-yw`, `-nweb`, `-n web`: shorts up to the first that takes a value.
            let mut found = None;
            for (at, c) in word.char_indices().skip(1) {
                let Some(arg) = short(cmd, c) else { break };
                if takes(arg) != Takes::Nothing {
                    let rest = &word[at + c.len_utf8()..];
                    let inline =
                        (!rest.is_empty()).then(|| rest.trim_start_matches('=').to_string());
                    found = Some((Some(arg), inline, format!("-{c}")));
                    break;
                }
                record(&mut line, arg, format!("-{c}"), None);
            }
            match found {
                Some(found) => found,
                None => continue,
            }
        };
        let Some(arg) = arg else { continue };
        let value = match (takes(arg), inline) {
            (Takes::Nothing, _) => None,
            (_, Some(value)) => Some(value),
            (Takes::Optional, None) if next.is_none_or(|n| n.starts_with('-')) => None,
            (_, None) => match next {
                Some(next) => {
                    i += 1;
                    Some(next.clone())
                }
                None => {
                    pending = Some(arg);
                    None
                }
            },
        };
        if pending.is_none() {
            record(&mut line, arg, token, value);
        }
    }
    line.target = if let Some(arg) = pending {
        Target::Value(arg.get_id().to_string())
    } else if dashdash || !line.current.starts_with('-') || line.current == "-" {
        Target::Positional(line.positionals.len())
    } else if let Some((name, value)) = line
        .current
        .strip_prefix("--")
        .and_then(|rest| rest.split_once('='))
        .and_then(|(name, value)| Some((long(cmd, name)?, value.to_string())))
    {
        line.prefix = format!("--{}=", name.get_long().unwrap_or_default());
        line.current = value;
        Target::Value(name.get_id().to_string())
    } else {
        Target::Flag
    };
    line
}

fn record(line: &mut Line, arg: &Arg, token: String, value: Option<String>) {
    if arg.is_global_set() {
        line.globals.push(token);
        line.globals.extend(value);
    } else {
        line.flags
            .entry(arg.get_id().to_string())
            .or_default()
            .extend(value);
    }
}

/// The innermost command `line` is in.
pub fn command<'a>(root: &'a Command, line: &Line) -> &'a Command {
    line.path
        .iter()
        .fold(root, |cmd, name| cmd.find_subcommand(name).unwrap_or(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_line(text: &str) -> Line {
        let mut root = crate::cli::command();
        root.build();
        let mut words: Vec<String> = text.split(' ').map(String::from).collect();
        if words == [""] {
            words.clear();
        }
        read(&root, &words)
    }

    /// `path [globals] [positionals] target "current"`.
    fn summary(line: &Line) -> String {
        format!(
            "{} [{}] [{}] {:?} {:?}",
            line.path.join(" "),
            line.globals.join(" "),
            line.positionals.join(" "),
            line.target,
            line.current
        )
    }

    #[test]
    fn lines_are_read_as_clap_would() {
        let cases = [
            ("", r#" [] [] Positional(0) """#),
            ("sc", r#" [] [] Positional(0) "sc""#),
            ("scale w", r#"scale [] [] Positional(0) "w""#),
            (
                "-n kube scale sts/",
                r#"scale [-n kube] [] Positional(0) "sts/""#,
            ),
            (
                "scale --kubeconfig /k --context=c -nns web ",
                r#"scale [--kubeconfig /k --context c -n ns] [web] Positional(1) """#,
            ),
            ("scale --context ", r#"scale [] [] Value("context") """#),
            ("get -n", r#"get [] [] Flag "-n""#),
            ("get --namespace=ku", r#"get [] [] Value("namespace") "ku""#),
            (
                "upgrade-image -y web nginx=a ",
                r#"upgrade-image [] [web nginx=a] Positional(2) """#,
            ),
            ("pause web --pet ", r#"pause [] [web] Value("pet") """#),
            // An optional value takes the next word, as clap does, unless it is a flag.
            ("delete --cascade web ", r#"delete [] [] Positional(0) """#),
            (
                "delete --cascade --wait ",
                r#"delete [] [] Positional(0) """#,
            ),
            ("local up --po", r#"local up [] [] Flag "--po""#),
            (
                "--local get pets ",
                r#"get [--local] [pets] Positional(1) """#,
            ),
            ("get -- -x ", r#"get [] [-x] Positional(1) """#),
        ];
        for (text, expected) in cases {
            assert_eq!(summary(&read_line(text)), expected, "{text:?}");
        }
    }

    #[test]
    fn an_inline_value_keeps_its_flag_as_the_prefix() {
        let line = read_line("get --namespace=ku");
        assert_eq!(line.prefix, "--namespace=");
        let line = read_line("delete --cascade=");
        assert_eq!(
            (line.prefix.as_str(), line.target),
            ("--cascade=", Target::Value("cascade".into()))
        );
    }
}
