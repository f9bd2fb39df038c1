use super::*;
use serde_json::json;

const NAME_REGEX_TAIL: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn parses_and_prints_canonically() {
    let cases = [
        ("", ""),
        ("  ", ""),
        ("app=web", "app=web"),
        ("app==web", "app==web"),
        ("app!=web", "app!=web"),
        ("app", "app"),
        ("!app", "!app"),
        ("app=", "app="),
        ("tier in (b, a, a)", "tier in (a,b)"),
        ("tier notin ()", "tier notin ()"),
        ("tier in (a,,b)", "tier in (,a,b)"),
        (
            "z=1,!y,x in (b,a),w notin (c),v",
            "v,w notin (c),x in (a,b),!y,z=1",
        ),
        ("in in (in, notin)", "in in (in,notin)"),
        ("example.com/role=db", "example.com/role=db"),
        ("n>1,n<5", "n>1,n<5"),
    ];
    for (input, want) in cases {
        let selector = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(selector.to_string(), want, "{input:?}");
        // What prints parses back to the same selector.
        assert_eq!(LabelSelector::parse(want).unwrap(), selector, "{want:?}");
    }
}

#[test]
fn parse_errors_use_apimachinery_wording() {
    let cases = [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".to_string()),
        ("x=a b", "found 'b', expected: ',' or 'end of string'".to_string()),
        ("x=a,", "found '', expected: identifier after ','".to_string()),
        ("=a", "found '=', expected: !, identifier, or 'end of string'".to_string()),
        ("!x=y", "found '=', expected: ',' or 'end of string'".to_string()),
        ("x in a", "unable to parse requirement: found 'a' expected: '('".to_string()),
        ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'".to_string()),
        ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'".to_string()),
        ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier".to_string()),
        ("x=(", "unable to parse requirement: found '(', expected: identifier".to_string()),
        ("!", "unable to parse requirement: found '', expected: identifier".to_string()),
        (
            "k@=v",
            format!("unable to parse requirement: <nil>: Invalid value: \"k@\": name part {NAME_REGEX_TAIL}"),
        ),
        (
            "/k",
            "unable to parse requirement: <nil>: Invalid value: \"/k\": prefix part must be non-empty".to_string(),
        ),
        (
            "Example.com/k",
            "unable to parse requirement: <nil>: Invalid value: \"Example.com/k\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string(),
        ),
        (
            "a/b/c",
            format!("unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key {NAME_REGEX_TAIL} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
        ),
        (
            &format!("{}=x", "k".repeat(64)),
            format!("unable to parse requirement: <nil>: Invalid value: \"{}\": name part must be no more than 63 bytes", "k".repeat(64)),
        ),
        (
            "k=v@",
            "unable to parse requirement: values[0][k]: Invalid value: \"v@\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string(),
        ),
        (
            "n>a",
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer".to_string(),
        ),
    ];
    for (input, want) in cases {
        let err = LabelSelector::parse(input).expect_err(input);
        assert_eq!(err, SelectorError::Invalid(want), "{input:?}");
    }
}

#[test]
fn matching() {
    let web = labels(&[("app", "web"), ("tier", "front"), ("n", "3")]);
    let cases = [
        ("", true),
        ("app=web", true),
        ("app==db", false),
        ("app!=db", true),
        ("other!=x", true),
        ("app", true),
        ("!app", false),
        ("!other", true),
        ("tier in (front,back)", true),
        ("tier in (back)", false),
        ("other in (x)", false),
        ("tier notin (back)", true),
        ("tier notin (front)", false),
        ("other notin (x)", true),
        ("app=web,tier=back", false),
        ("n>2", true),
        ("n>3", false),
        ("n<4", true),
        ("app>1", false),
        ("other<1", false),
    ];
    for (input, want) in cases {
        let selector = LabelSelector::parse(input).unwrap();
        assert_eq!(selector.matches(&web), want, "{input:?}");
        let as_json = json!({"app": "web", "tier": "front", "n": "3"});
        assert_eq!(
            selector.matches_json(Some(&as_json)),
            want,
            "{input:?} (json)"
        );
    }
    let selector = LabelSelector::parse("!app").unwrap();
    assert!(selector.matches_json(None));
    assert!(selector.matches_json(Some(&json!({"app": 1}))));
}

#[test]
fn from_api_form() {
    let selector: metav1::LabelSelector = serde_json::from_value(json!({
        "matchLabels": {"tier": "db", "app": "web"},
        "matchExpressions": [
            {"key": "zone", "operator": "In", "values": ["b", "a"]},
            {"key": "legacy", "operator": "DoesNotExist"},
            {"key": "owner", "operator": "Exists"},
            {"key": "env", "operator": "NotIn", "values": ["dev"]}
        ]
    }))
    .unwrap();
    let selector = LabelSelector::from_label_selector(&selector).unwrap();
    assert_eq!(
        selector.to_string(),
        "app=web,env notin (dev),!legacy,owner,tier=db,zone in (a,b)"
    );
    assert!(selector.matches(&labels(&[
        ("app", "web"),
        ("tier", "db"),
        ("zone", "a"),
        ("owner", "me")
    ])));
    assert!(!selector.matches(&labels(&[("app", "web"), ("tier", "db"), ("zone", "a")])));
    assert!(
        LabelSelector::from_label_selector(&metav1::LabelSelector::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn api_form_errors() {
    let cases = [
        (
            json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist",
        ),
        (
            json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
            "\"Gt\" is not a valid label selector operator",
        ),
        (
            json!({"matchLabels": {"a": "b c"}}),
            "values[0][a]: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
        (
            json!({"matchExpressions": [{"key": "-a", "operator": "In"}]}),
            "[key: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]",
        ),
    ];
    for (selector, want) in cases {
        let selector: metav1::LabelSelector = serde_json::from_value(selector).unwrap();
        let err = LabelSelector::from_label_selector(&selector).unwrap_err();
        assert_eq!(err.to_string(), want);
    }
}

#[test]
fn label_keys_and_values() {
    for key in ["a", "A-b_c.d", "example.com/x", "a.b-c/Z9", &"k".repeat(63)] {
        assert_eq!(label_key_error(key), None, "{key}");
    }
    for key in ["", "-a", "a-", "a b", "é", "/a", "a/", "A.com/a", "a..b/c"] {
        assert!(label_key_error(key).is_some(), "{key}");
    }
    for value in ["", "a", "a.b_c-d", &"v".repeat(63)] {
        assert_eq!(label_value_error(value), None, "{value}");
    }
    for value in ["-a", "a-", "a b", &"v".repeat(64)] {
        assert!(label_value_error(value).is_some(), "{value}");
    }
}
