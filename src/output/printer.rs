//! Printing objects: `-o yaml|json|name|jsonpath=TEMPLATE`, as kubectl does.
//! A jsonpath template is text with `{…}` expressions; each expression is
//! a JSONPath query whose results are printed space-separated.

use anyhow::{bail, Context as _};
use serde_json::Value;

/// An output format other than a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    Yaml,
    Json,
    Name,
    JsonPath(String),
}

impl Format {
    /// Parses `-o`: None for the table formats (default and `wide`).
    pub fn parse(output: &str) -> anyhow::Result<Option<Format>> {
        Ok(match output {
            "" | "wide" => None,
            "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "name" => Some(Format::Name),
            other => match other.strip_prefix("jsonpath=") {
                Some(template) => {
                    parse_template(template)?;
                    Some(Format::JsonPath(template.to_string()))
                }
                None => bail!(
                    "unable to match a printer suitable for the output format {other:?}, allowed formats are: json, jsonpath, name, wide, yaml"
                ),
            },
        })
    }
}

/// `kind.group/name`, as `-o name` prints it.
pub fn name_of(object: &Value, resource: &str, group: &str) -> String {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if group.is_empty() {
        format!("{resource}/{name}")
    } else {
        format!("{resource}.{group}/{name}")
    }
}

/// Renders `value` (one object, or a `List` of them) in `format`.
/// `singular` and `group` name the kind for `-o name`.
pub fn render(
    value: &Value,
    format: &Format,
    singular: &str,
    group: &str,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => serde_yaml_ng::to_string(value)?,
        Format::Json => format!("{}\n", serde_json::to_string_pretty(value)?),
        Format::Name => {
            let items: Vec<&Value> = match value.get("items").and_then(Value::as_array) {
                Some(items) => items.iter().collect(),
                None => vec![value],
            };
            items
                .iter()
                .map(|o| format!("{}\n", name_of(o, singular, group)))
                .collect()
        }
        Format::JsonPath(template) => jsonpath(value, template)?,
    })
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Query(String),
}

fn parse_template(template: &str) -> anyhow::Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Text(unescape(&rest[..open])));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .with_context(|| format!("error parsing jsonpath {template}: unclosed action"))?;
        let expr = after[..close].trim();
        if expr.starts_with("range") || expr == "end" {
            bail!(
                "jsonpath {template}: range/end are not supported; use -o json with a tool like jq"
            );
        }
        if let Some(literal) = expr.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
            pieces.push(Piece::Text(unescape(literal)));
            rest = &after[close + 1..];
            continue;
        }
        let query = match expr {
            "" | "." | "$" => "$".to_string(),
            e if e.starts_with('$') => e.to_string(),
            e if e.starts_with('.') || e.starts_with('[') => format!("${e}"),
            e => format!("$.{e}"),
        };
        serde_json_path::JsonPath::parse(&query).with_context(|| {
            format!("error parsing jsonpath {template}: invalid expression {expr:?}")
        })?;
        pieces.push(Piece::Query(query));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(unescape(rest)));
    }
    Ok(pieces)
}

fn unescape(text: &str) -> String {
    text.replace("\\n", "\n").replace("\\t", "\t")
}

fn jsonpath(value: &Value, template: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    for piece in parse_template(template)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Query(q) => {
                let path = serde_json_path::JsonPath::parse(&q)?;
                let found: Vec<String> = path
                    .query(value)
                    .all()
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                out.push_str(&found.join(" "));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_templates() {
        let list = json!({"items": [{"metadata": {"name": "web-0"}, "spec": {"replicas": 2}}, {"metadata": {"name": "web-1"}}]});
        let cases = [
            ("{.items[*].metadata.name}", "web-0 web-1"),
            ("{.items[0].spec.replicas}", "2"),
            (
                "names: {.items[*].metadata.name}\\n",
                "names: web-0 web-1\n",
            ),
            ("{.items[5].metadata.name}", ""),
            ("{.items[0].metadata.name}{\"\\n\"}", "web-0\n"),
        ];
        for (template, want) in cases {
            let format = Format::parse(&format!("jsonpath={template}"))
                .unwrap()
                .unwrap();
            assert_eq!(
                render(&list, &format, "pod", "").unwrap(),
                want,
                "{template}"
            );
        }
        assert!(Format::parse("jsonpath={.items[").is_err());
        assert!(Format::parse("jsonpath={range .items[*]}{end}").is_err());
        assert_eq!(
            Format::parse("table").unwrap_err().to_string(),
            "unable to match a printer suitable for the output format \"table\", allowed formats are: json, jsonpath, name, wide, yaml"
        );
    }

    #[test]
    fn names() {
        let list = json!({"items": [{"metadata": {"name": "web"}}]});
        assert_eq!(
            render(&list, &Format::Name, "statefulset", "apps").unwrap(),
            "statefulset.apps/web\n"
        );
        assert_eq!(
            render(
                &json!({"metadata": {"name": "web-0"}}),
                &Format::Name,
                "pod",
                ""
            )
            .unwrap(),
            "pod/web-0\n"
        );
    }
}
