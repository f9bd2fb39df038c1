//! Name syntaxes of the API server (DNS-1123 labels and subdomains, DNS-1035
//! labels, qualified names, label values, port names), each returning the
//! messages apimachinery's `util/validation` returns, word for word. The syntax itself is `petctl_model::names`.

use petctl_model::names::{is_dns1123_label, is_dns1123_subdomain, is_qualified_name, regex_error};

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX: usize = 63;
const PORT_NAME_MAX: usize = 15;

/// `must be no more than N characters`, apimachinery's MaxLenError.
pub fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX));
    }
    if !is_dns1123_label(value) {
        if is_dns1123_subdomain(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX));
    }
    if !is_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

pub fn dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX));
    }
    let starts_with_letter = value
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_lowercase());
    if !(starts_with_letter && is_dns1123_label(value)) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// A qualified name, optionally prefixed by a DNS subdomain and `/`: label
/// keys, annotation keys, selector keys.
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > QUALIFIED_NAME_MAX {
        errs.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX)));
    }
    if !is_qualified_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

pub fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errs.push(max_len_error(LABEL_VALUE_MAX));
    }
    if !value.is_empty() && !is_qualified_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// An IANA_SVC_NAME: what container and service port names must be.
pub fn port_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > PORT_NAME_MAX {
        errs.push(max_len_error(PORT_NAME_MAX));
    }
    let b = value.as_bytes();
    let allowed = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    if !b.iter().all(allowed) || b.is_empty() {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if !b.iter().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if value.contains("--") {
        errs.push("must not contain consecutive hyphens (-)".to_string());
    }
    if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
        errs.push("must not begin or end with a hyphen (-)".to_string());
    }
    errs
}

/// `must be between 1 and 65535, inclusive` unless `port` is a valid port.
pub fn port_number(port: i64) -> Vec<String> {
    if (1..=65535).contains(&port) {
        Vec::new()
    } else {
        vec!["must be between 1 and 65535, inclusive".to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Check = fn(&str) -> Vec<String>;

    #[test]
    fn valid_names_pass() {
        let cases: [(Check, &[&str]); 6] = [
            (dns1123_label, &["web", "a", "web-0", "0web", "123-abc"]),
            (dns1123_subdomain, &["web", "example.com", "a-b.c-d"]),
            (dns1035_label, &["nginx"]),
            (
                qualified_name,
                &[
                    "app",
                    "app.kubernetes.io/name",
                    "A_b.c",
                    "pod.alpha.kubernetes.io/init-containers",
                ],
            ),
            (label_value, &["", "nginx", "1", "a_b-c.d"]),
            (port_name, &["web", "http-2", "peer"]),
        ];
        for (check, names) in cases {
            for name in names {
                assert_eq!(check(name), Vec::<String>::new(), "{name:?}");
            }
        }
    }

    #[test]
    fn invalid_names_get_one_message() {
        let cases: [(Check, &[&str]); 6] = [
            (dns1123_label, &["a.b", "Web", "-a", ""]),
            (dns1123_subdomain, &["Web_1", "a..b", ".a", "a.", "-a.b"]),
            (dns1035_label, &["1nginx", "nginx.a", "Nginx", ""]),
            (
                qualified_name,
                &["/app", "a/b/c", "bad key", "Example.com/x"],
            ),
            (label_value, &["-x"]),
            (port_name, &["80", "a--b", "-ab", "Web"]),
        ];
        for (check, names) in cases {
            for name in names {
                assert_eq!(check(name).len(), 1, "{name:?}: {:?}", check(name));
            }
        }
        assert_eq!(dns1123_label(&"a".repeat(64)), vec![max_len_error(63)]);
        assert_eq!(label_value(&"x".repeat(64)), vec![max_len_error(63)]);
        assert_eq!(port_name("averyveryverylongname"), vec![max_len_error(15)]);
    }

    #[test]
    fn messages_are_apimachinery_s() {
        for (got, want) in [
            (dns1123_label("a.b"), "must not contain dots"),
            (
                dns1123_label("Web"),
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ),
            (
                dns1123_subdomain("Web_1"),
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ),
            (
                dns1035_label("1nginx"),
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ),
            (qualified_name("/app"), "prefix part must be non-empty"),
            (port_name("80"), "must contain at least one letter (a-z)"),
            (port_name("a--b"), "must not contain consecutive hyphens (-)"),
            (port_name("-ab"), "must not begin or end with a hyphen (-)"),
            (port_number(0), "must be between 1 and 65535, inclusive"),
        ] {
            assert_eq!(got, vec![want]);
        }
        assert!(qualified_name("bad key")[0].starts_with("name part must consist of"));
        assert!(qualified_name("Example.com/x")[0].starts_with("prefix part a lowercase RFC 1123"));
        assert!(port_number(80).is_empty());
        assert_eq!(port_number(65536).len(), 1);
    }
}
