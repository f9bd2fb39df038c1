//! PATCH is decoded and validated before it is committed, for every patch
//! type, every `fieldValidation` mode and the main resource, `/status` and
//! `/scale`: a rejected patch answers as kube-apiserver does and leaves the
//! object byte-identical with the same resourceVersion; a patch whose only
//! change is an unknown field that Warn or Ignore drops is a no-op.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{runtime, LocalServer, SetManifest};

const STS: &str = "/apis/apps/v1/namespaces/default/statefulsets";

const JSON: &str = "application/json-patch+json";
const MERGE: &str = "application/merge-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";

/// Watches `path` (a collection, usually narrowed by a fieldSelector) until
/// an event's object satisfies `condition`; returns that object. Panics
/// after `timeout`, naming `what`.
pub fn watch_until(
    server: &LocalServer,
    path: &str,
    what: &str,
    timeout: Duration,
    condition: impl Fn(&Value) -> bool,
) -> Value {
    let events = events_until(server, path, what, timeout, |events| {
        events.last().is_some_and(|e| condition(&e["object"]))
    });
    events
        .last()
        .map(|e| e["object"].clone())
        .unwrap_or_default()
}

/// The events (type and object) of a watch of `path`, until `done` holds
/// for those seen so far. Panics after `timeout`, naming `what`.
pub fn events_until(
    server: &LocalServer,
    path: &str,
    what: &str,
    timeout: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let url = format!("{}{path}{separator}watch=1", server.url);
    let request = server.client().get(url).bearer_auth(server.token());
    runtime().block_on(async move {
        let watch = async {
            let mut response = request.send().await.expect("open watch");
            assert_eq!(response.status(), 200, "watch {path}");
            let (mut buffer, mut events) = (Vec::new(), Vec::new());
            while let Some(chunk) = response.chunk().await.expect("read watch") {
                buffer.extend_from_slice(&chunk);
                while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    events.push(serde_json::from_slice(&line).expect("watch event"));
                    if done(&events) {
                        return events;
                    }
                }
            }
            panic!("the watch of {path} ended before {what}");
        };
        tokio::time::timeout(timeout, watch)
            .await
            .unwrap_or_else(|_| panic!("timed out after {timeout:?} waiting for {what}"))
    })
}

/// A set with no pets, created and left until its controller has nothing
/// more to write, so only the test's patches can change it.
fn steady_set(server: &LocalServer) -> Value {
    let body = SetManifest::statefulset("web")
        .label("app", "web")
        .service_name("nginx")
        .replicas(0)
        .container("nginx", "nginx:1.25")
        .json();
    let created = server.post_json(STS, &body);
    assert_eq!(created.status, 201, "{}", created.body);
    watch_until(
        server,
        &format!("{STS}?fieldSelector=metadata.name%3Dweb"),
        "the controller's status of web",
        Duration::from_secs(30),
        |set| {
            set.pointer("/status/observedGeneration") == Some(&json!(1))
                && set.pointer("/status/updateRevision").is_some()
        },
    )
}

/// What kube-apiserver answers a patch with.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// 422 Invalid against the field `patch`, the message ending so.
    PatchInvalid(&'static str),
    /// 422 Invalid of the object, the message containing this.
    Invalid(&'static str),
    /// 400 BadRequest with this message.
    BadRequest(&'static str),
    /// 200 with this warning; the field is dropped, so nothing changes.
    Warned(&'static str),
    /// 200 without a warning; nothing changes.
    Dropped,
}

/// The answer for a case, by mode, when the field is unknown.
fn unknown(field: &'static str, strict: &'static str) -> [Answer; 3] {
    [
        Answer::PatchInvalid(strict),
        Answer::Warned(field),
        Answer::Dropped,
    ]
}

struct Case {
    what: &'static str,
    subresource: &'static str,
    content_type: &'static str,
    body: &'static str,
    /// Under Strict, Warn and Ignore.
    answers: [Answer; 3],
}

fn case(
    what: &'static str,
    subresource: &'static str,
    content_type: &'static str,
    body: &'static str,
    answers: [Answer; 3],
) -> Case {
    Case {
        what,
        subresource,
        content_type,
        body,
        answers,
    }
}

fn cases() -> Vec<Case> {
    const SPEC_FOO: &str = "strict decoding error: unknown field \"spec.foo\"";
    const STATUS_FOO: &str = "strict decoding error: unknown field \"status.foo\"";
    let spec_foo = "unknown field \"spec.foo\"";
    let status_foo = "unknown field \"status.foo\"";
    let always = |answer| [answer; 3];
    let forbidden = Answer::Invalid("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    let renamed = Answer::BadRequest(
        "the name of the object (other) does not match the name on the URL (web)",
    );
    vec![
        // The main resource.
        case(
            "unknown field",
            "",
            JSON,
            r#"[{"op":"add","path":"/spec/foo","value":1}]"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "unknown field",
            "",
            MERGE,
            r#"{"spec":{"foo":1}}"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "unknown field",
            "",
            STRATEGIC,
            r#"{"spec":{"foo":1}}"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "wrong type",
            "",
            JSON,
            r#"[{"op":"replace","path":"/spec/replicas","value":"3"}]"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "",
            MERGE,
            r#"{"spec":{"replicas":"3"}}"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "",
            STRATEGIC,
            r#"{"spec":{"replicas":"3"}}"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "immutable field",
            "",
            JSON,
            r#"[{"op":"replace","path":"/spec/serviceName","value":"other"}]"#,
            always(forbidden),
        ),
        case(
            "immutable field",
            "",
            MERGE,
            r#"{"spec":{"serviceName":"other"}}"#,
            always(forbidden),
        ),
        case(
            "immutable field",
            "",
            STRATEGIC,
            r#"{"spec":{"serviceName":"other"}}"#,
            always(forbidden),
        ),
        // /status.
        case(
            "unknown field",
            "/status",
            JSON,
            r#"[{"op":"add","path":"/status/foo","value":1}]"#,
            unknown(status_foo, STATUS_FOO),
        ),
        case(
            "unknown field",
            "/status",
            MERGE,
            r#"{"status":{"foo":1}}"#,
            unknown(status_foo, STATUS_FOO),
        ),
        case(
            "unknown field",
            "/status",
            STRATEGIC,
            r#"{"status":{"foo":1}}"#,
            unknown(status_foo, STATUS_FOO),
        ),
        case(
            "wrong type",
            "/status",
            JSON,
            r#"[{"op":"replace","path":"/status/replicas","value":"x"}]"#,
            always(Answer::PatchInvalid(
                "status.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "/status",
            MERGE,
            r#"{"status":{"replicas":"x"}}"#,
            always(Answer::PatchInvalid(
                "status.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "/status",
            STRATEGIC,
            r#"{"status":{"replicas":"x"}}"#,
            always(Answer::PatchInvalid(
                "status.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "immutable field",
            "/status",
            JSON,
            r#"[{"op":"replace","path":"/metadata/name","value":"other"}]"#,
            always(renamed),
        ),
        case(
            "immutable field",
            "/status",
            MERGE,
            r#"{"metadata":{"name":"other"}}"#,
            always(renamed),
        ),
        case(
            "immutable field",
            "/status",
            STRATEGIC,
            r#"{"metadata":{"name":"other"}}"#,
            always(renamed),
        ),
        // /scale.
        case(
            "unknown field",
            "/scale",
            JSON,
            r#"[{"op":"add","path":"/spec/foo","value":1}]"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "unknown field",
            "/scale",
            MERGE,
            r#"{"spec":{"foo":1}}"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "unknown field",
            "/scale",
            STRATEGIC,
            r#"{"spec":{"foo":1}}"#,
            unknown(spec_foo, SPEC_FOO),
        ),
        case(
            "wrong type",
            "/scale",
            JSON,
            r#"[{"op":"replace","path":"/spec/replicas","value":"x"}]"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "/scale",
            MERGE,
            r#"{"spec":{"replicas":"x"}}"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "wrong type",
            "/scale",
            STRATEGIC,
            r#"{"spec":{"replicas":"x"}}"#,
            always(Answer::PatchInvalid(
                "spec.replicas: Invalid value: \"string\": expected integer",
            )),
        ),
        case(
            "immutable field",
            "/scale",
            JSON,
            r#"[{"op":"replace","path":"/metadata/name","value":"other"}]"#,
            always(renamed),
        ),
        case(
            "immutable field",
            "/scale",
            MERGE,
            r#"{"metadata":{"name":"other"}}"#,
            always(renamed),
        ),
        case(
            "immutable field",
            "/scale",
            STRATEGIC,
            r#"{"metadata":{"name":"other"}}"#,
            always(renamed),
        ),
    ]
}

fn check(answer: Answer, status: u16, body: &Value, warning: Option<&str>) -> Result<(), String> {
    let message = body["message"].as_str().unwrap_or("");
    let failed = |code: u16, reason: &str| {
        if status == code && body["reason"] == reason {
            Ok(())
        } else {
            Err(format!("want {code} {reason}"))
        }
    };
    match answer {
        Answer::PatchInvalid(tail) => {
            failed(422, "Invalid")?;
            let shape = message.starts_with(" \"\" is invalid: patch: Invalid value: \"")
                && message.ends_with(&format!("\": {tail}"))
                && body.pointer("/details/causes/0/field") == Some(&json!("patch"));
            shape
                .then_some(())
                .ok_or(format!("want a 422 against patch ending {tail:?}"))
        }
        Answer::Invalid(part) => {
            failed(422, "Invalid")?;
            let named = message.starts_with("StatefulSet.apps \"web\" is invalid: ");
            (named && message.contains(part))
                .then_some(())
                .ok_or(format!("want {part:?}"))
        }
        Answer::BadRequest(want) => {
            failed(400, "BadRequest")?;
            (message == want)
                .then_some(())
                .ok_or(format!("want {want:?}"))
        }
        Answer::Warned(field) => {
            let want = format!("299 - \"{}\"", field.replace('"', "\\\""));
            (status == 200 && warning == Some(want.as_str()))
                .then_some(())
                .ok_or(format!("want 200 with the warning {want}"))
        }
        Answer::Dropped => (status == 200 && warning.is_none())
            .then_some(())
            .ok_or("want 200 without a warning".to_string()),
    }
}

#[test]
fn rejected_or_dropped_patches_leave_the_object_as_it_was() {
    let server = LocalServer::start();
    steady_set(&server);
    let before = server.get(&format!("{STS}/web"));
    assert_eq!(before.status, 200, "{}", before.body);
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases() {
        for (mode, answer) in ["Strict", "Warn", "Ignore"].iter().zip(case.answers) {
            ran += 1;
            let path = format!("{STS}/web{}?fieldValidation={mode}", case.subresource);
            let response = server.request(
                "PATCH",
                &path,
                Some(case.content_type),
                case.body.as_bytes(),
            );
            let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
            let warning = response
                .headers
                .get("warning")
                .and_then(|w| w.to_str().ok());
            let label = format!(
                "{} on web{} as {} under {mode}",
                case.what, case.subresource, case.content_type
            );
            if let Err(why) = check(answer, response.status, &body, warning) {
                failures.push(format!(
                    "{label}: {why}; got {} {}",
                    response.status, response.body
                ));
            }
            let after = server.get(&format!("{STS}/web"));
            if after.body != before.body {
                failures.push(format!("{label}: the object changed:\n{}", after.body));
            }
        }
    }
    assert_eq!(ran, 81);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_accepted_patch_is_stored_once_and_a_no_op_is_not_stored() {
    let server = LocalServer::start();
    let set = steady_set(&server);
    let rv = set["metadata"]["resourceVersion"].clone();
    let same = server.merge_patch(&format!("{STS}/web"), br#"{"spec":{"replicas":0}}"#);
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(
        same.json()["metadata"]["resourceVersion"],
        rv,
        "a no-op keeps the revision"
    );
    let scaled = server.merge_patch(
        &format!("{STS}/web/scale?fieldValidation=Strict"),
        br#"{"spec":{"replicas":0}}"#,
    );
    assert_eq!(scaled.status, 200, "{}", scaled.body);
    assert_eq!(scaled.json()["metadata"]["resourceVersion"], rv);
    let labelled = server.merge_patch(
        &format!("{STS}/web?fieldValidation=Warn"),
        br#"{"metadata":{"labels":{"tier":"db"}},"spec":{"foo":1}}"#,
    );
    assert_eq!(labelled.status, 200, "{}", labelled.body);
    let stored = labelled.json();
    assert_ne!(stored["metadata"]["resourceVersion"], rv);
    assert_eq!(stored["metadata"]["labels"]["tier"], "db");
    assert!(stored["spec"].get("foo").is_none(), "{stored}");
    assert_eq!(
        server.get(&format!("{STS}/web")).json()["spec"].get("foo"),
        None
    );
}
