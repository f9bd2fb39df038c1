//! Property tests of the manifest reader: text made of YAML's own tokens
//! (keys, indentation, anchors and aliases, flow brackets, quotes, document
//! markers, tabs) is parsed, validated and converted without panicking. A
//! fixed number of cases keeps the run bounded in CI.

use proptest::prelude::*;

use super::parse_file;
use crate::convert::{convert_documents, Target};
use crate::read::SourceFile;
use crate::ValidationMode;

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "b",
        "c",
        "kind",
        "apiVersion",
        "metadata",
        "name",
        "spec",
        "replicas",
        "v1",
        "apps/v1alpha1",
        "PetSet",
        "StatefulSet",
        ":",
        ": ",
        ":\n",
        "\n",
        "  ",
        "    ",
        "\t",
        "- ",
        "-",
        "---\n",
        "...\n",
        "&a ",
        "&b ",
        "*a",
        "*b",
        "*c",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\"",
        "'",
        "|\n",
        ">\n",
        "#",
        "!tag ",
        "? ",
        "1",
        "-1",
        "1e9",
        "null",
        "~",
        "true",
        "%YAML 1.2\n",
        "<<: ",
        "\u{feff}",
        "é",
    ])
}

fn manifest_text() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..48).prop_map(|tokens| tokens.concat())
}

/// Block mappings and lists, line by line: few keys, so duplicates are
/// common, and values that are anchors, aliases and flow collections.
fn block_lines() -> impl Strategy<Value = String> {
    let line = (
        prop::sample::select(vec!["", "  ", "    ", "- ", "  - "]),
        prop::sample::select(vec!["a", "b", "c"]),
        prop::sample::select(vec![
            ":", ": 1", ": *a", ": *c", ": &a x", ": [*a]", ": {a: 1}", ": |", ": \"x",
        ]),
        prop::sample::select(vec!["\n", "\n---\n"]),
    )
        .prop_map(|(indent, key, value, end)| format!("{indent}{key}{value}{end}"));
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.concat())
}

/// A valid PetSet, so that mutations of it reach validation and conversion.
const PETSET: &str = "apiVersion: apps/v1alpha1\nkind: PetSet\nmetadata:\n  name: web\nspec:\n  serviceName: nginx\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: nginx\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";

fn read(text: String) {
    let file = SourceFile {
        name: "fuzz.yaml".into(),
        text,
    };
    if let Ok(documents) = parse_file(&file) {
        for target in [Target::AppsV1, Target::AppsV1beta1] {
            let _ = convert_documents(&documents, target, ValidationMode::Strict);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn token_soup_never_panics(text in manifest_text()) {
        read(text);
    }

    #[test]
    fn block_lines_never_panic(text in block_lines()) {
        read(text);
    }

    #[test]
    fn a_petset_with_tokens_spliced_in_never_panics(
        at in 0..PETSET.len(),
        cut in 0..8usize,
        inserted in manifest_text(),
    ) {
        let at = PETSET.floor_char_boundary(at);
        let end = PETSET.floor_char_boundary((at + cut).min(PETSET.len()));
        read(format!("{}{inserted}{}", &PETSET[..at], &PETSET[end..]));
    }
}
