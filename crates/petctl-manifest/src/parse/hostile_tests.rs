//! Hostile input: every case fails with a clean diagnostic, quickly, with
//! bounded memory and no panic or stack overflow. The time limit is only a
//! safety net (generous, for debug builds on a busy machine); the real
//! guards are the size, depth and expansion limits.

use std::time::{Duration, Instant};

use super::parse_file;
use crate::read::{read_sources_from, MAX_MANIFEST_BYTES};

/// Reads `input` as stdin and parses it: the diagnostics, one per line.
fn load(input: &[u8]) -> Vec<String> {
    let started = Instant::now();
    let result = read_sources_from(&["-".to_string()], &mut { input })
        .and_then(|files| files.iter().map(parse_file).collect::<Result<Vec<_>, _>>());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    match result {
        Ok(docs) => vec![format!("ok: {} documents", docs.iter().flatten().count())],
        Err(err) => err.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

/// `prefix`, then `open` `depth` times, `inner`, and `close` `depth` times.
fn nested(prefix: &str, open: &str, inner: &str, close: &str, depth: usize) -> Vec<u8> {
    format!(
        "{prefix}{}{inner}{}",
        open.repeat(depth),
        close.repeat(depth)
    )
    .into_bytes()
}

fn alias_bomb() -> Vec<u8> {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ('a'..='h').zip('b'..='i') {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text.into_bytes()
}

#[test]
fn empty_and_comment_only_input() {
    assert_eq!(load(b""), ["-: file is empty"]);
    assert_eq!(load(b"\n  \n"), ["-: file is empty"]);
    assert_eq!(
        load(b"# nothing\n---\n# here\n---\n"),
        ["-: no objects in file (only comments or empty documents)"]
    );
}

#[test]
fn binary_and_non_utf8_input() {
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00";
    assert_eq!(
        load(elf),
        ["-:1:8: NUL byte: this is a binary file, not a YAML or JSON manifest"]
    );
    assert_eq!(
        load(b"kind: \xff\xfe\n"),
        ["-:1:7: invalid UTF-8: a manifest must be UTF-8 text"]
    );
    assert_eq!(
        load(b"a: \x07\n"),
        ["-:1:4: control characters are not allowed"]
    );
}

#[test]
fn tabs_in_indentation() {
    assert_eq!(
        load(b"metadata:\n\tname: x\n"),
        ["-:2:1: tab character in indentation; YAML indents with spaces only"]
    );
}

#[test]
fn alias_bombs_are_refused() {
    let refused = ["-: aliases expand the documents to more than twice the size of the file"];
    assert_eq!(load(&alias_bomb()), refused);
    // Quadratic rather than exponential: a large anchor, aliased often.
    let wide = format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["1"; 10_000].join(","),
        vec!["*a"; 10_000].join(",")
    );
    assert_eq!(load(wide.as_bytes()), refused);
}

#[test]
fn deep_nesting_is_refused() {
    let deep = |at: &str| vec![format!("-:{at}: nesting is deeper than 128 levels")];
    // YAML flow collections; the root mapping is the first level. Past 256
    // levels yaml-rust2's scanner stops first, at its own limit.
    assert_eq!(load(&nested("a: ", "[", "1", "]", 200)), deep("1:131"));
    assert_eq!(load(&nested("a: ", "[", "1", "]", 10_000)), deep("1:259"));
    assert_eq!(load(&nested("a: ", "[", "", "", 10_000)), deep("1:259"));
    assert_eq!(load(&nested("a: ", "{a: ", "1", "}", 200)), deep("1:512"));
    assert_eq!(
        load(&nested("a: ", "{a: ", "1", "}", 10_000)),
        deep("1:512")
    );
    // Block nesting, which needs no brackets.
    let block: String = (0..200)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    assert_eq!(load(block.as_bytes()), deep("129:257"));
    // JSON, read by serde_json, has the same limit.
    assert_eq!(load(&nested("", "[", "1", "]", 10_000)), deep("1:128"));
    assert_eq!(
        load(&nested("", "{\"a\": ", "1", "}", 10_000)),
        deep("1:763")
    );
    // YAML flow syntax in a file that looks like JSON is read as JSON, as
    // kubectl does.
    assert_eq!(
        load(&nested("", "{a: ", "1", "}", 10_000)),
        ["-:1:2: key must be a string"]
    );
}

#[test]
fn oversized_input_is_refused_unread() {
    let big = vec![b'a'; MAX_MANIFEST_BYTES as usize + 1];
    assert_eq!(
        load(&big),
        ["-: input is over the 4194304-byte limit for a manifest"]
    );
}

#[test]
fn a_3_mib_line_is_parsed() {
    let long = "x".repeat(3 * 1024 * 1024);
    let text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: \"{long}");
    assert_eq!(
        load(text.as_bytes()),
        ["-:4:11: quoted string is not closed before the end of the file"]
    );
    let text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: {long}}}\n");
    assert_eq!(load(text.as_bytes()), ["ok: 1 documents"]);
}

/// The limits of serde_yaml_ng itself, which petctl relies on.
#[test]
fn serde_yaml_ng_limits_hold() {
    let deep = String::from_utf8(nested("", "[", "1", "]", 200)).unwrap_or_default();
    let err = serde_yaml_ng::from_str::<serde_json::Value>(&deep).unwrap_err();
    assert_eq!(
        err.to_string(),
        "recursion limit exceeded at line 1 column 129"
    );
    let bomb = String::from_utf8(alias_bomb()).unwrap_or_default();
    let err = serde_yaml_ng::from_str::<serde_json::Value>(&bomb).unwrap_err();
    assert_eq!(err.to_string(), "repetition limit exceeded");
}
