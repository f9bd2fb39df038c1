//! Pet ordinals in names: `<set>-<ordinal>` for pods and
//! `<template>-<set>-<ordinal>` for claims. Only canonical numbers count
//! (`web-01` is not pet 1), as the StatefulSet controller's `getOrdinal`.

/// A canonical non-negative number: digits, no leading zero.
pub fn parse(digits: &str) -> Option<i64> {
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// The ordinal of a pet named `<set_name>-<ordinal>`.
pub fn of_pod(set_name: &str, pod_name: &str) -> Option<i64> {
    parse(pod_name.strip_prefix(set_name)?.strip_prefix('-')?)
}

/// The ordinal of a claim named `<template>-<set_name>-<ordinal>`, for one
/// of `templates`; never for a template not in the list.
pub fn of_claim<S: AsRef<str>>(claim: &str, set_name: &str, templates: &[S]) -> Option<i64> {
    templates.iter().find_map(|template| {
        let pet = claim.strip_prefix(template.as_ref())?.strip_prefix('-')?;
        of_pod(set_name, pet)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ordinals_are_canonical_numbers() {
        for (name, want) in [
            ("web-0", Some(0)),
            ("web-12", Some(12)),
            ("web-01", None),
            ("web-", None),
            ("web-x", None),
            ("webb-1", None),
            ("web-1-2", None),
            ("web", None),
        ] {
            assert_eq!(of_pod("web", name), want, "{name}");
        }
        assert_eq!(of_pod("my-web", "my-web-3"), Some(3));
    }

    #[test]
    fn claim_ordinals_need_a_known_template() {
        let www = ["www"];
        assert_eq!(of_claim("www-web-3", "web", &www), Some(3));
        assert_eq!(of_claim("www-web-10", "web", &www), Some(10));
        for other in [
            "www-web-03",
            "data-web-3",
            "www-webb-3",
            "www-web-",
            "www-web",
        ] {
            assert_eq!(of_claim(other, "web", &www), None, "{other}");
        }
        assert_eq!(of_claim::<&str>("www-web-3", "web", &[]), None);
        assert_eq!(of_claim("data-x-old-1", "old", &["data-x"]), Some(1));
    }
}
