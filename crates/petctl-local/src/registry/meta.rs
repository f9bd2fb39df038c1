//! Object metadata the server owns: uid, creationTimestamp, generation,
//! deletion marks, and RFC 3339 timestamps; reading fields of objects held
//! as JSON, and their keys sorted as Go writes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// `2026-11-26T01:17:02Z` for a time, as Kubernetes prints `metav1.Time`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn now() -> String {
    rfc3339(SystemTime::now())
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `metadata` map of an object, created if missing.
pub fn metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let map = object.as_object_mut()?;
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    if !meta.is_object() {
        *meta = json!({});
    }
    meta.as_object_mut()
}

/// The value at a JSON pointer (RFC 6901), as `Value::pointer` finds it but
/// without allocating: segments are borrowed from `pointer`, and only one
/// holding a `~0`/`~1` escape is unescaped (into a short-lived String).
pub fn at<'a>(object: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(object);
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/').try_fold(object, |target, segment| {
        if segment.contains('~') {
            step(target, &segment.replace("~1", "/").replace("~0", "~"))
        } else {
            step(target, segment)
        }
    })
}

fn step<'a>(target: &'a Value, segment: &str) -> Option<&'a Value> {
    match target {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => array_index(segment).and_then(|i| items.get(i)),
        _ => None,
    }
}

/// An array index as `Value::pointer` reads one: digits, no leading zero
/// (`parse_index` in serde_json's value/mod.rs).
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() != 1) {
        return None;
    }
    segment.parse().ok()
}

pub fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    at(object, pointer).and_then(Value::as_str).unwrap_or("")
}

/// The integer at `pointer`; None when absent or not an integer.
pub fn int_at(object: &Value, pointer: &str) -> Option<i64> {
    at(object, pointer).and_then(Value::as_i64)
}

/// The list at `pointer`, borrowed; empty when absent or not a list.
pub fn items_at<'a>(object: &'a Value, pointer: &str) -> &'a [Value] {
    at(object, pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A copy of the list at `pointer`; empty when absent or not a list.
pub fn list_at(object: &Value, pointer: &str) -> Vec<Value> {
    items_at(object, pointer).to_vec()
}

/// A copy of `object` with `status` in place of its own.
pub fn with_status(object: &Value, status: Value) -> Value {
    let mut next = object.clone();
    if let Some(map) = next.as_object_mut() {
        map.insert("status".into(), status);
    }
    next
}

/// JSON with every object's keys sorted, as Go's `json.Marshal` of a map.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::new();
            for key in keys {
                sorted.insert(key.clone(), canonical(&map[key]));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

pub fn name(object: &Value) -> &str {
    str_at(object, "/metadata/name")
}

pub fn namespace(object: &Value) -> &str {
    str_at(object, "/metadata/namespace")
}

pub fn uid(object: &Value) -> &str {
    str_at(object, "/metadata/uid")
}

pub fn resource_version(object: &Value) -> &str {
    str_at(object, "/metadata/resourceVersion")
}

pub fn is_deleting(object: &Value) -> bool {
    at(object, "/metadata/deletionTimestamp").is_some_and(|v| !v.is_null())
}

pub fn finalizers(object: &Value) -> Vec<String> {
    items_at(object, "/metadata/finalizers")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

/// The name a generateName prefix turns into: the prefix plus five random
/// characters from the alphabet Kubernetes uses.
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let random = uuid::Uuid::new_v4();
    let suffix: String = random
        .as_bytes()
        .iter()
        .take(5)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let keep = prefix.len().min(63 - 5);
    format!("{}{suffix}", prefix.get(..keep).unwrap_or(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        for (secs, want) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_798_248_422, "2026-12-26T01:27:02Z"),
            (4_107_542_399, "2100-02-28T23:59:59Z"),
        ] {
            assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(secs)), want);
        }
    }

    #[test]
    fn generated_names_keep_the_prefix() {
        let name = generate_name("web-");
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    }

    #[test]
    fn pointers_resolve_as_value_pointer_does() {
        let value = json!({
            "metadata": {"name": "web-0", "labels": {"a/b": "x", "m~n": "y", "": "e"},
                         "ownerReferences": [{"uid": "u0"}, {"uid": "u1"}]},
            "spec": {"replicas": 3, "list": [[1, 2], []], "null": null}
        });
        let pointers = [
            "",
            "/",
            "/metadata",
            "/metadata/name",
            "/metadata/name/x",
            "/metadata/labels/a~1b",
            "/metadata/labels/m~0n",
            "/metadata/labels/",
            "/metadata/labels/a/b",
            "/metadata/ownerReferences/1/uid",
            "/metadata/ownerReferences/01/uid",
            "/metadata/ownerReferences/+1",
            "/metadata/ownerReferences/-1",
            "/metadata/ownerReferences/2",
            "/spec/list/0/1",
            "/spec/list/1/0",
            "/spec/null",
            "/spec/replicas",
            "metadata",
            "//",
            "/missing/deep/path",
            "/spec/list/0/~1",
        ];
        for pointer in pointers {
            assert_eq!(at(&value, pointer), value.pointer(pointer), "{pointer:?}");
        }
        assert_eq!(str_at(&value, "/metadata/name"), "web-0");
        assert_eq!(int_at(&value, "/spec/replicas"), Some(3));
        assert_eq!(items_at(&value, "/metadata/ownerReferences").len(), 2);
        assert!(list_at(&value, "/spec/replicas").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_pointer_resolves_as_value_pointer_does(
            segments in proptest::collection::vec(
                proptest::sample::select(vec!["metadata", "labels", "a~1b", "m~0n", "~", "~2", "",
                    "0", "1", "01", "list", "spec", "x"]),
                0..5,
            ),
            relative in proptest::bool::ANY,
        ) {
            let value = json!({
                "metadata": {"labels": {"a/b": [1, {"x": 2}], "m~n": "y", "": {"0": 1}}},
                "spec": {"list": [{"x": [0, 1]}, []]}, "list": [[], {"": 3}]
            });
            let joined: String = segments.iter().map(|s| format!("/{s}")).collect();
            let pointer = if relative { joined.trim_start_matches('/').to_string() } else { joined };
            proptest::prop_assert_eq!(at(&value, &pointer), value.pointer(&pointer));
        }
    }

    #[test]
    fn keys_are_sorted_recursively() {
        let value = json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 3}});
        assert_eq!(
            serde_json::to_string(&canonical(&value)).unwrap(),
            r#"{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
