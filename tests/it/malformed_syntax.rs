//! Unreadable, unparsable and hostile manifests through `petctl migrate -f`:
//! each gets exactly one clear message naming the file, line and column,
//! and exit code 2.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{petctl_command, run_command, scratch};

/// A valid object, so each case has only the one problem it is about.
const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n";

struct Case {
    name: &'static str,
    /// Files to write, relative to the working directory; a name ending in
    /// `/` is a directory.
    files: Vec<(&'static str, Vec<u8>)>,
    sources: Vec<&'static str>,
    stdin: Option<&'static str>,
    /// The diagnostics, one per line, without the `error: ` prefix.
    errors: Vec<String>,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    sources: &[&'static str],
    errors: &[&str],
) -> Case {
    Case {
        name,
        files,
        sources: sources.to_vec(),
        stdin: None,
        errors: errors.iter().map(|e| e.to_string()).collect(),
    }
}

/// A one-file case: `name` holds `text`.
fn file(name: &'static str, text: impl Into<Vec<u8>>, error: &str) -> Case {
    case(name, vec![(name, text.into())], &[name], &[error])
}

/// The config map with `data` replaced by `data`.
fn with_data(data: &str) -> String {
    CONFIG_MAP.replace("  a: b\n", data)
}

fn alias_bomb() -> String {
    let mut text = with_data(
        "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ('a'..='h').zip('b'..='i') {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("  {name}: &{name} [{refs}]\n"));
    }
    text
}

fn cases() -> Vec<Case> {
    let object = "expected an object (a mapping with apiVersion, kind and metadata)";
    let json_map = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}"#;
    vec![
        case("missing file", vec![], &["nope.yaml"], &["nope.yaml: no such file or directory"]),
        case(
            "empty directory",
            vec![("empty/", vec![]), ("empty/notes.txt", b"hi".to_vec())],
            &["empty"],
            &["empty: directory has no .yaml, .yml or .json files"],
        ),
        file("empty.yaml", "", "empty.yaml: file is empty"),
        file(
            "comments.yaml",
            "# just\n# comments\n---\n",
            "comments.yaml: no objects in file (only comments or empty documents)",
        ),
        Case {
            stdin: Some("apiVersion: v1\nmetadata:\n  name: web\n"),
            ..case("stdin", vec![], &["-"], &["-:1:1: document 1: missing \"kind\""])
        },
        Case {
            stdin: Some(CONFIG_MAP),
            ..case(
                "stdin twice",
                vec![],
                &["-", "-"],
                &["-: standard input can be read only once; give \"-f -\" once"],
            )
        },
        file(
            "bin.yaml",
            b"\x7fELF\x02\x01\x01\x00\x00".to_vec(),
            "bin.yaml:1:8: NUL byte: this is a binary file, not a YAML or JSON manifest",
        ),
        file(
            "latin1.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n".to_vec(),
            "latin1.yaml:4:12: invalid UTF-8: a manifest must be UTF-8 text",
        ),
        file(
            "utf16.yaml",
            b"\xff\xfea\x00:\x00".to_vec(),
            "utf16.yaml: file is UTF-16 text; save it as UTF-8",
        ),
        file(
            "tab.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: web\n",
            "tab.yaml:4:1: tab character in indentation; YAML indents with spaces only",
        ),
        file(
            "dup.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  name: db\n",
            "dup.yaml:5:3: duplicate key \"name\": it is already set in this mapping",
        ),
        // serde_yaml_ng panicked on this one (exit 101) when petctl went on
        // to the next document after the duplicate key.
        file(
            "dup-then-alias.yaml",
            "a:\na:\nb: *c\n",
            "dup-then-alias.yaml:2:1: duplicate key \"a\": it is already set in this mapping",
        ),
        file(
            "dashes.yaml",
            format!("{CONFIG_MAP}----\n{}", CONFIG_MAP.replace("web", "db")),
            "dashes.yaml:7:1: \"----\" is not a document separator; use \"---\"",
        ),
        file(
            "quote.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"web\ndata:\n  a: b\n",
            "quote.yaml:4:9: quoted string is not closed before the end of the file",
        ),
        file(
            "indent.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n    name: web\n  labels: {}\n",
            "indent.yaml:5:3: bad indentation: expected a key in line with the mapping",
        ),
        file(
            "colon.yaml",
            with_data("  cmd: echo a: b\n"),
            "colon.yaml:6:14: unexpected ':' in a value; quote the value if it contains \": \"",
        ),
        file(
            "nokind.yaml",
            format!("{CONFIG_MAP}---\napiVersion: v1\nmetadata:\n  name: db\n"),
            "nokind.yaml:8:1: document 2: missing \"kind\"",
        ),
        file(
            "noapi.yaml",
            "# a config map\nkind: ConfigMap\nmetadata:\n  name: web\n",
            "noapi.yaml:2:1: document 1: missing \"apiVersion\"",
        ),
        file(
            "noname.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app: web\n",
            "noname.yaml:3:1: document 1: missing \"metadata.name\" (or \"metadata.generateName\")",
        ),
        file(
            "kindnum.yaml",
            "apiVersion: v1\nkind: 3\nmetadata:\n  name: web\n",
            "kindnum.yaml:2:1: document 1: kind: must be a string, not a number",
        ),
        file(
            "scalar.yaml",
            "---\nhello\n",
            &format!("scalar.yaml:2:1: document 1: {object}, found a string"),
        ),
        file(
            "seq.yaml",
            "- apiVersion: v1\n  kind: ConfigMap\n",
            &format!("seq.yaml:1:1: document 1: {object}, found a list"),
        ),
        file(
            "items.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  metadata:\n    name: b\n",
            "items.yaml:8:3: document 1: items[1]: missing \"kind\"",
        ),
        file(
            "intkey.yaml",
            with_data("  1: x\n"),
            "intkey.yaml:6:3: mapping key 1 is a number, not a string; quote it (\"1\") if a string is meant",
        ),
        file(
            "tag.yaml",
            with_data("  a: !foo b\n"),
            "tag.yaml:6:6: YAML tags such as !foo are not supported in Kubernetes manifests",
        ),
        file(
            "anchor.yaml",
            with_data("  a: *nope\n"),
            "anchor.yaml:6:6: alias to an anchor that is not defined before it in this document",
        ),
        file(
            "comma.json",
            json_map.replace("}}", "},}"),
            "comma.json:1:71: trailing comma: JSON allows no ',' before '}' or ']'",
        ),
        file(
            "array.json",
            format!("[{json_map}]"),
            &format!("array.json:1:1: document 1: {object}, found a list"),
        ),
        file(
            "dupkey.json",
            json_map.replace("\"kind\": \"ConfigMap\"", "\"kind\": \"ConfigMap\",\n \"kind\": \"Secret\""),
            "dupkey.json:2:7: duplicate key \"kind\": it is already set in this mapping",
        ),
        file(
            "stream.json",
            format!("{json_map}\n{{\"apiVersion\": \"v1\", \"metadata\": {{\"name\": \"db\"}}}}"),
            "stream.json:2:1: document 2: missing \"kind\"",
        ),
        file(
            "bomb.yaml",
            alias_bomb(),
            "bomb.yaml: aliases expand the documents to more than twice the size of the file",
        ),
        file(
            "deep.yaml",
            with_data(&format!("  a: {}\n", "[".repeat(10_000))),
            "deep.yaml:6:261: nesting is deeper than 128 levels",
        ),
        file(
            "long.yaml",
            with_data(&format!("  a: \"{}\n", "x".repeat(3 * 1024 * 1024))),
            "long.yaml:6:6: quoted string is not closed before the end of the file",
        ),
        file(
            "big.yaml",
            with_data(&format!("  a: {}\n", "x".repeat(5_000_000))),
            "big.yaml: file is 5000065 bytes, over the 4194304-byte limit for a manifest",
        ),
        case(
            "bad file in a directory",
            vec![
                ("d/", vec![]),
                ("d/a.yaml", CONFIG_MAP.into()),
                ("d/b.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  name: db\n".into()),
            ],
            &["d"],
            &["d/b.yml:5:3: duplicate key \"name\": it is already set in this mapping"],
        ),
        case(
            "errors in several files",
            vec![("empty.yaml", vec![])],
            &["nope.yaml", "empty.yaml"],
            &["nope.yaml: no such file or directory", "empty.yaml: file is empty"],
        ),
        case(
            "parse errors in several files",
            vec![
                ("dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  name: db\n".into()),
                ("noapi.yaml", "kind: ConfigMap\nmetadata:\n  name: web\n".into()),
            ],
            &["dup.yaml", "noapi.yaml"],
            &[
                "dup.yaml:5:3: duplicate key \"name\": it is already set in this mapping",
                "noapi.yaml:1:1: document 1: missing \"apiVersion\"",
            ],
        ),
    ]
}

/// Runs `petctl migrate -f …` in `dir`; returns the exit code and stderr.
fn migrate(dir: &Path, sources: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut cmd = petctl_command(&dir.join("home"));
    cmd.current_dir(dir).arg("migrate");
    for source in sources {
        cmd.args(["-f", source]);
    }
    let run = run_command(
        cmd,
        format!("petctl migrate {sources:?}"),
        stdin.map(str::as_bytes),
    );
    (run.code, run.stderr)
}

#[test]
fn malformed_manifests_get_exact_messages() {
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for case in cases {
        let tmp = scratch();
        for (name, bytes) in &case.files {
            let path = tmp.path().join(name);
            if name.ends_with('/') {
                std::fs::create_dir_all(&path).expect("create dir");
            } else {
                std::fs::write(&path, bytes).expect("write fixture");
            }
        }
        let started = Instant::now();
        let (code, stderr) = migrate(tmp.path(), &case.sources, case.stdin);
        let elapsed = started.elapsed();
        let want: String = case
            .errors
            .iter()
            .map(|e| format!("error: {e}\n"))
            .collect();
        if code != 2 || stderr != want {
            failures.push(format!(
                "{}: exit code {code}\n--- stderr ---\n{stderr}--- expected ---\n{want}",
                case.name
            ));
        }
        // A safety net only: the limits are what keep hostile input cheap.
        if elapsed > Duration::from_secs(10) {
            failures.push(format!("{}: took {elapsed:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
