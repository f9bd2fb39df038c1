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

pub fn encode_event(event: &StoreEvent) -> Result<Vec<u8>, StoreError> {
    let record = EventRecord {
        event_type: event.event_type,
        key: &event.key,
        object: &*event.object,
    };
    serde_json::to_vec(&record)
        .map_err(|e| StoreError::Backend(format!("cannot encode event {}: {e}", event.revision)))
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
