//! Creating one object so that a fault neither loses nor doubles it. A POST
//! whose answer was lost (a 5xx, a dropped connection, a timeout) may or may
//! not have been applied, so the object is read back: there and holding
//! what was sent, it was created; absent, the POST is repeated with backoff.
//! A 409 AlreadyExists counts as ours only after such an ambiguous failure,
//! and only if the object matches.

use std::time::Duration;

use serde_json::Value;

use crate::client::request::WriteParams;
use crate::client::{Api, Error};

/// POSTs at most. A POST fails for good (500 or a dropped connection; the
/// transport already repeats 429s) about one time in six at a 30 % fault
/// rate, so ten in a row fail about once in 10^8.
pub const MAX_ATTEMPTS: u32 = 10;

/// What a failed POST says about the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The server refused it (a 4xx other than 429): final.
    Refused,
    /// The server cannot have acted on it (429, a refused connection).
    NotApplied,
    /// It may have been applied (a 5xx, a dropped connection, a timeout).
    Ambiguous,
}

fn classify(err: &Error) -> Failure {
    match err {
        Error::Connect { .. } => Failure::NotApplied,
        _ if err.code() == Some(429) => Failure::NotApplied,
        _ if err.is_retryable() => Failure::Ambiguous,
        _ => Failure::Refused,
    }
}

fn backoff(attempt: u32, err: &Error) -> Duration {
    err.retry_after()
        .map(|s| Duration::from_secs(u64::from(s.min(30))))
        .unwrap_or_else(|| Duration::from_millis(100 << attempt.min(4)))
}

/// POSTs `object` to `api`'s collection and, after an ambiguous failure,
/// reads it back by `name`. `name` is None when the object has no name yet
/// (generateName): such a POST is not repeated after an ambiguous failure,
/// as that could create two. A server dry run stores nothing, so there is
/// nothing to read back.
pub async fn create(
    api: &Api<'_>,
    name: Option<&str>,
    object: &Value,
    params: &WriteParams,
) -> Result<Value, Error> {
    let dry_run = params.dry_run;
    let item = name;
    let mut maybe_applied = false;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match api.create(object, params).await {
            Ok(written) => return Ok(written.object),
            Err(err) => err,
        };
        let exists = err.is_already_exists();
        match classify(&err) {
            _ if exists && maybe_applied => {}
            Failure::Refused => return Err(err),
            Failure::Ambiguous if dry_run => {}
            Failure::Ambiguous => match item {
                Some(_) => maybe_applied = true,
                None => return Err(err),
            },
            Failure::NotApplied => {}
        }
        if let (true, Some(item)) = (maybe_applied, item) {
            // A failed read is one more attempt: the next POST either
            // creates the object or answers 409, and the read is repeated.
            if let Ok(live) = api.get::<Value>(item).await {
                if holds(&live, object) {
                    return Ok(live);
                }
                if exists {
                    // Someone else's object by that name.
                    return Err(err);
                }
            }
        }
        if attempt >= MAX_ATTEMPTS {
            return Err(err);
        }
        tokio::time::sleep(backoff(attempt, &err)).await;
    }
}

/// Metadata the server sets on its own; a manifest's values for them never
/// survive a create.
const SERVER_METADATA: &[&str] = &[
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
];

/// Whether the live object holds every field `sent` sets: a recursive
/// subset, ignoring the status and server-set metadata, allowing finalizers
/// the server added, and taking a zero value sent (false, 0, "", {}, [])
/// as met by an absent field, as the server's `omitempty` drops them.
pub fn holds(live: &Value, sent: &Value) -> bool {
    let Some(fields) = sent.as_object() else {
        return false;
    };
    fields.iter().all(|(key, value)| match key.as_str() {
        "status" => true,
        "metadata" => metadata_holds(live.get("metadata"), value),
        _ => subset(value, live.get(key)),
    })
}

fn metadata_holds(live: Option<&Value>, sent: &Value) -> bool {
    let Some(fields) = sent.as_object() else {
        return subset(sent, live);
    };
    let live_field = |key: &str| live.and_then(|m| m.get(key));
    fields.iter().all(|(key, value)| match key.as_str() {
        k if SERVER_METADATA.contains(&k) => true,
        "finalizers" => {
            let present = live_field(key).and_then(Value::as_array);
            value
                .as_array()
                .into_iter()
                .flatten()
                .all(|finalizer| present.is_some_and(|all| all.contains(finalizer)))
        }
        _ => subset(value, live_field(key)),
    })
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
    }
}

fn subset(sent: &Value, live: Option<&Value>) -> bool {
    let Some(live) = live else {
        return is_zero(sent);
    };
    match (sent, live) {
        (Value::Object(s), Value::Object(l)) => s.iter().all(|(k, v)| subset(v, l.get(k))),
        (Value::Array(s), Value::Array(l)) => {
            s.len() == l.len() && s.iter().zip(l).all(|(a, b)| subset(a, Some(b)))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        // A quantity written as a bare number comes back as a string.
        (Value::Number(a), Value::String(b)) => a.to_string() == *b,
        (Value::Null, _) => live.is_null(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["x/keep"],
                            "resourceVersion": "", "creationTimestamp": null},
               "spec": {"replicas": 2, "serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"hostNetwork": false, "containers": [{"name": "c", "image": "nginx:1",
                                              "resources": {"requests": {"cpu": 1, "memory": "1Gi"}}}]}},
                        "volumeClaimTemplates": []},
               "status": {"replicas": 9}})
    }

    fn live() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "7",
                            "generation": 1, "creationTimestamp": "2026-01-01T00:00:00Z",
                            "labels": {"app": "web", "added": "by-a-webhook"},
                            "finalizers": ["kubernetes.io/protect", "x/keep"]},
               "spec": {"replicas": 2, "serviceName": "nginx", "podManagementPolicy": "OrderedReady",
                        "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"restartPolicy": "Always", "containers": [{"name": "c", "image": "nginx:1",
                                              "imagePullPolicy": "IfNotPresent",
                                              "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}},
               "status": {"replicas": 0}})
    }

    #[test]
    fn the_object_created_holds_the_manifest_despite_defaults_and_server_metadata() {
        assert!(holds(&live(), &sent()));
    }

    #[test]
    fn any_field_the_manifest_sets_differently_is_not_ours() {
        let changes: [(&str, Value); 8] = [
            ("/spec/replicas", json!(3)),
            ("/spec/template/spec/containers/0/image", json!("nginx:2")),
            (
                "/spec/template/spec/containers/0/resources/requests/cpu",
                json!("2"),
            ),
            ("/metadata/labels/app", json!("other")),
            ("/spec/serviceName", Value::Null),
            ("/spec/template/spec/hostNetwork", json!(true)),
            ("/metadata/finalizers", json!(["kubernetes.io/protect"])),
            ("/kind", json!("PetSet")),
        ];
        for (pointer, value) in changes {
            let mut other = live();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let parent = other
                .pointer_mut(parent)
                .unwrap_or_else(|| panic!("{pointer}"));
            match parent {
                Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
                Value::Object(fields) => {
                    fields.insert(key.to_string(), value);
                }
                _ => panic!("{pointer}"),
            }
            assert!(!holds(&other, &sent()), "{pointer} changed, still held");
        }
    }

    #[test]
    fn missing_fields_and_extra_containers_are_not_ours() {
        let mut other = live();
        other["spec"].as_object_mut().unwrap().remove("serviceName");
        assert!(!holds(&other, &sent()));
        let mut other = live();
        let container = other["spec"]["template"]["spec"]["containers"][0].clone();
        other["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(container);
        assert!(!holds(&other, &sent()));
        assert!(!holds(&live(), &json!("not an object")));
    }

    #[test]
    fn failures_are_told_apart() {
        let api = |code: u16, reason: &str| {
            Error::from_response(
                "https://x",
                code,
                "application/json",
                format!(r#"{{"kind":"Status","code":{code},"reason":"{reason}","message":"m"}}"#)
                    .as_bytes(),
            )
        };
        assert_eq!(classify(&api(500, "InternalError")), Failure::Ambiguous);
        assert_eq!(classify(&api(504, "Timeout")), Failure::Ambiguous);
        assert_eq!(classify(&api(429, "TooManyRequests")), Failure::NotApplied);
        assert_eq!(classify(&api(409, "AlreadyExists")), Failure::Refused);
        assert_eq!(classify(&api(422, "Invalid")), Failure::Refused);
        let dropped = Error::Transport {
            server: "https://x".into(),
            reason: "connection closed".into(),
        };
        assert_eq!(classify(&dropped), Failure::Ambiguous);
        let refused = Error::Connect {
            server: "https://x".into(),
            reason: "refused".into(),
        };
        assert_eq!(classify(&refused), Failure::NotApplied);
    }
}
