//! What the store writes: an object as its modification revision followed by
//! its JSON, and an event as JSON; plus stamping `metadata.resourceVersion`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{EventType, ObjectKey, Revision, StoreError, StoreEvent};

/// `revision` (8 bytes, big-endian) then the object's JSON.
pub fn encode_object(revision: Revision, object: &Value) -> Result<Vec<u8>, StoreError> {
    let mut out = revision.to_be_bytes().to_vec();
    serde_json::to_writer(&mut out, object)
        .map_err(|e| StoreError::Backend(format!("cannot encode object: {e}")))?;
    Ok(out)
}

/// The modification revision and the object of a stored value.
pub fn decode_object(bytes: &[u8]) -> Result<(Revision, Value), StoreError> {
    let (head, json) = split(bytes)?;
    let object = serde_json::from_slice(json)
        .map_err(|e| StoreError::Backend(format!("stored object is not JSON: {e}")))?;
    Ok((Revision::from_be_bytes(*head), object))
}

/// The modification revision of a stored value, its JSON left undecoded.
pub fn stored_revision(bytes: &[u8]) -> Result<Revision, StoreError> {
    Ok(Revision::from_be_bytes(*split(bytes)?.0))
}

/// The JSON of a stored value, undecoded.
pub fn object_json(bytes: &[u8]) -> Result<&[u8], StoreError> {
    Ok(split(bytes)?.1)
}

fn split(bytes: &[u8]) -> Result<(&[u8; 8], &[u8]), StoreError> {
    bytes.split_first_chunk::<8>().ok_or_else(|| {
        StoreError::Backend(format!(
            "stored object is truncated ({} bytes)",
            bytes.len()
        ))
    })
}

#[derive(Serialize, Deserialize)]
struct EventRecord<K, O> {
    #[serde(rename = "type")]
    event_type: EventType,
    key: K,
    object: O,
}

/// The record of `event` around `object_json`, the JSON its object is
/// already stored as (so that the object is encoded once for both tables):
/// the bytes serde writes for an `EventRecord`.
pub fn encode_event_of(event: &StoreEvent, object_json: &[u8]) -> Result<Vec<u8>, StoreError> {
    let unencodable = |e: serde_json::Error| {
        StoreError::Backend(format!("cannot encode event {}: {e}", event.revision))
    };
    let mut out = Vec::with_capacity(object_json.len() + 128);
    out.extend_from_slice(b"{\"type\":");
    serde_json::to_writer(&mut out, &event.event_type).map_err(unencodable)?;
    out.extend_from_slice(b",\"key\":");
    serde_json::to_writer(&mut out, &event.key).map_err(unencodable)?;
    out.extend_from_slice(b",\"object\":");
    out.extend_from_slice(object_json);
    out.push(b'}');
    Ok(out)
}

pub fn decode_event(revision: Revision, bytes: &[u8]) -> Result<StoreEvent, StoreError> {
    let record: EventRecord<ObjectKey, Value> = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Backend(format!("stored event {revision} is unreadable: {e}")))?;
    Ok(StoreEvent {
        revision,
        event_type: record.event_type,
        key: record.key,
        object: Arc::new(record.object),
    })
}

/// The key of a stored event, its object skipped over undecoded.
pub fn decode_event_key(revision: Revision, bytes: &[u8]) -> Result<ObjectKey, StoreError> {
    let record: EventRecord<ObjectKey, serde::de::IgnoredAny> = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Backend(format!("stored event {revision} is unreadable: {e}")))?;
    Ok(record.key)
}

/// Sets `metadata.resourceVersion` to `revision`, creating `metadata` if
/// needed. Objects that are not JSON objects cannot carry a version.
pub fn stamp(object: &mut Value, revision: Revision, key: &ObjectKey) -> Result<(), StoreError> {
    let not_an_object = || StoreError::Backend(format!("{key} is not a JSON object"));
    let metadata = object
        .as_object_mut()
        .ok_or_else(not_an_object)?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let metadata = metadata.as_object_mut().ok_or_else(|| {
        StoreError::Backend(format!("{key} has a metadata that is not a JSON object"))
    })?;
    metadata.insert(
        "resourceVersion".to_string(),
        Value::String(revision.to_string()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> ObjectKey {
        ObjectKey::new("apps", "statefulsets", "default", "web")
    }

    #[test]
    fn objects_round_trip() {
        let object = json!({"kind": "StatefulSet", "metadata": {"name": "web"}});
        let bytes = encode_object(42, &object).unwrap();
        assert_eq!(decode_object(&bytes).unwrap(), (42, object));
    }

    #[test]
    fn the_stored_json_is_the_encoding_of_the_decoded_object() {
        let object =
            json!({"metadata": {"name": "web", "resourceVersion": "3"}, "b": 1.5, "a": "\u{1}é"});
        let bytes = encode_object(3, &object).unwrap();
        let json = object_json(&bytes).unwrap();
        assert_eq!(
            json,
            serde_json::to_vec(&decode_object(&bytes).unwrap().1).unwrap()
        );
    }

    #[test]
    fn truncated_objects_are_errors() {
        for bytes in [&b""[..], &[0, 0, 0], &[0, 0, 0, 0, 0, 0, 0, 1, b'{']] {
            assert!(matches!(decode_object(bytes), Err(StoreError::Backend(_))));
        }
    }

    fn encode_event(event: &StoreEvent) -> Result<Vec<u8>, StoreError> {
        let stored = encode_object(event.revision, &event.object)?;
        encode_event_of(event, object_json(&stored)?)
    }

    #[test]
    fn events_round_trip() {
        let event = StoreEvent {
            revision: 7,
            event_type: EventType::Deleted,
            key: key(),
            object: Arc::new(json!({"metadata": {"name": "web", "resourceVersion": "7"}})),
        };
        let back = decode_event(7, &encode_event(&event).unwrap()).unwrap();
        assert_eq!(back.revision, 7);
        assert_eq!(back.event_type, EventType::Deleted);
        assert_eq!(back.key, event.key);
        assert_eq!(back.object, event.object);
    }

    #[test]
    fn an_event_record_is_what_serde_writes_for_it() {
        let event = StoreEvent {
            revision: 9,
            event_type: EventType::Modified,
            key: ObjectKey::new("", "pods", "db", "web-\"0"),
            object: Arc::new(json!({"metadata": {"name": "web-\"0"}, "spec": {"a": [1, 2.5]}})),
        };
        let record = EventRecord {
            event_type: event.event_type,
            key: &event.key,
            object: &*event.object,
        };
        assert_eq!(
            encode_event(&event).unwrap(),
            serde_json::to_vec(&record).unwrap()
        );
    }

    #[test]
    fn the_revision_is_read_without_the_json() {
        let bytes = encode_object(11, &json!({"metadata": {}})).unwrap();
        assert_eq!(stored_revision(&bytes).unwrap(), 11);
        let mut not_json = 12u64.to_be_bytes().to_vec();
        not_json.extend_from_slice(b"{not json");
        assert_eq!(stored_revision(&not_json).unwrap(), 12);
        assert!(stored_revision(&[0, 1]).is_err());
    }

    #[test]
    fn stamping() {
        let cases = [
            (
                json!({}),
                Some(json!({"metadata": {"resourceVersion": "5"}})),
            ),
            (
                json!({"metadata": {"name": "web", "resourceVersion": "1"}}),
                Some(json!({"metadata": {"name": "web", "resourceVersion": "5"}})),
            ),
            (json!([]), None),
            (json!({"metadata": "x"}), None),
        ];
        for (mut object, want) in cases {
            let got = stamp(&mut object, 5, &key()).map(|()| object);
            match want {
                Some(want) => assert_eq!(got.unwrap(), want),
                None => assert!(got.is_err()),
            }
        }
    }
}
