//! The byte encoding of object keys: order-preserving, so that every object of
//! one resource (optionally in one namespace) is a single range of the table,
//! already sorted by namespace and then name.
//!
//! Each component is written with NUL escaped as `00 FF` and ends with the
//! terminator `00 01`. UTF-8 never contains `FF`, and `01` sorts below every
//! other byte that may follow a NUL, so a shorter component sorts first and no
//! component can pose as the terminator of another.

use super::ObjectKey;

const ESCAPE: [u8; 2] = [0x00, 0xFF];
const TERMINATOR: [u8; 2] = [0x00, 0x01];

fn push_component(out: &mut Vec<u8>, component: &str) {
    for &byte in component.as_bytes() {
        if byte == 0 {
            out.extend_from_slice(&ESCAPE);
        } else {
            out.push(byte);
        }
    }
    out.extend_from_slice(&TERMINATOR);
}

/// The stored key of one object.
pub fn encode(key: &ObjectKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        key.group.len() + key.resource.len() + key.namespace.len() + key.name.len() + 8,
    );
    for component in [&key.group, &key.resource, &key.namespace, &key.name] {
        push_component(&mut out, component);
    }
    out
}

/// The common prefix of every key of `group/resource`, narrowed to one
/// namespace when given.
pub fn prefix(group: &str, resource: &str, namespace: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    push_component(&mut out, group);
    push_component(&mut out, resource);
    if let Some(namespace) = namespace {
        push_component(&mut out, namespace);
    }
    out
}

/// The smallest key greater than every key that starts with `prefix`; a
/// prefix always ends with the terminator `00 01`, so bumping its last byte
/// gives the bound.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = last.saturating_add(1);
    }
    end
}

/// Splits a stored key back into its components, or `None` if it was not
/// written by [`encode`].
pub fn decode(bytes: &[u8]) -> Option<ObjectKey> {
    let mut components: Vec<String> = Vec::with_capacity(4);
    let mut current = Vec::new();
    let mut iter = bytes.iter().copied();
    while let Some(byte) = iter.next() {
        if byte != 0 {
            current.push(byte);
            continue;
        }
        match iter.next()? {
            0xFF => current.push(0),
            0x01 => components.push(String::from_utf8(std::mem::take(&mut current)).ok()?),
            _ => return None,
        }
    }
    if !current.is_empty() {
        return None;
    }
    let [group, resource, namespace, name]: [String; 4] = components.try_into().ok()?;
    Some(ObjectKey {
        group,
        resource,
        namespace,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: &str, resource: &str, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    #[test]
    fn round_trips() {
        for k in [
            key("", "pods", "default", "web-0"),
            key("apps", "statefulsets", "", "web"),
            key("", "", "", ""),
            key("a\0b", "pods\0", "\0", "näme"),
        ] {
            assert_eq!(decode(&encode(&k)), Some(k));
        }
    }

    #[test]
    fn byte_order_is_component_order() {
        // Sorted as tuples of components, each pair must also sort as bytes.
        let sorted = [
            key("", "pods", "", "z"),
            key("", "pods", "a", "a"),
            key("", "pods", "a", "a\0"),
            key("", "pods", "a", "ab"),
            key("", "pods", "a\0", ""),
            key("", "pods", "b", ""),
            key("", "pods\0x", "", ""),
            key("", "podsx", "", ""),
            key("apps", "", "", ""),
        ];
        for pair in sorted.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?} is not sorted as tuples");
            assert!(
                encode(&pair[0]) < encode(&pair[1]),
                "{pair:?} is not sorted as bytes"
            );
        }
    }

    #[test]
    fn prefixes_select_exactly_their_range() {
        let cases: &[(&str, Option<&str>, ObjectKey, bool)] = &[
            ("pods", None, key("", "pods", "ns", "a"), true),
            ("pods", Some("ns"), key("", "pods", "ns", "a"), true),
            ("pods", Some("ns"), key("", "pods", "ns2", "a"), false),
            ("pods", Some("ns"), key("", "pods", "n", "a"), false),
            ("pods", None, key("", "pods\0", "ns", "a"), false),
            ("pods", None, key("", "podsx", "ns", "a"), false),
        ];
        for (resource, namespace, k, inside) in cases {
            let start = prefix("", resource, *namespace);
            let end = prefix_end(&start);
            let encoded = encode(k);
            let in_range = encoded >= start && encoded < end;
            assert_eq!(in_range, *inside, "{resource} {namespace:?} {k:?}");
            assert_eq!(encoded.starts_with(&start), *inside);
        }
    }

    #[test]
    fn rejects_foreign_bytes() {
        for bytes in [&b"abc"[..], &[0x00], &[0x00, 0x02], &[0x61, 0x00, 0x01]] {
            assert_eq!(decode(bytes), None, "{bytes:?}");
        }
    }
}
