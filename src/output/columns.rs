//! The columns `petctl get` prints for each kind: the PetSet guide's
//! columns for PetSets, kubectl's for everything else, and one row per
//! ordinal for `get pets`.

use serde_json::Value;

use super::age::age;
use super::pod;
use crate::json::joined;
use crate::ops::pets::Pet;

/// Headers and rows of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s
    }
}

fn created(v: &Value, now: jiff::Timestamp) -> String {
    let at = v
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str);
    age(at, now)
}

fn or_unset(s: String) -> String {
    if s.is_empty() {
        "<unset>".into()
    } else {
        s
    }
}

/// kubectl's short names for access modes.
fn access_modes(pvc: &Value) -> String {
    let pointer = if pvc.pointer("/status/accessModes").is_some() {
        "/status/accessModes"
    } else {
        "/spec/accessModes"
    };
    let modes = crate::json::strings(pvc, pointer);
    let short: Vec<&str> = modes
        .into_iter()
        .map(crate::types::access_mode_short)
        .collect();
    short.join(",")
}

/// The table for `objects` of `kind` (the kind's `Kind` name).
pub fn table(
    kind: &str,
    objects: &[Value],
    wide: bool,
    all_namespaces: bool,
    now: jiff::Timestamp,
) -> Rows {
    let created = |o: &Value| created(o, now);
    let replicas = |o: &Value| {
        o.pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    };
    // Each kind's headers, the headers `-o wide` adds, and an object's
    // cells under both.
    type Cells<'a> = Box<dyn Fn(&Value) -> (Vec<String>, Vec<String>) + 'a>;
    let (mut headers, wide_headers, cells): (Vec<&'static str>, &[&'static str], Cells) = match kind
    {
        "PetSet" => (
            vec!["NAME", "DESIRED", "CURRENT", "AGE"],
            &[],
            Box::new(|o| {
                let cells = vec![
                    text(o, "/metadata/name"),
                    replicas(o).to_string(),
                    int(o, "/status/replicas").to_string(),
                    created(o),
                ];
                (cells, vec![])
            }),
        ),
        "StatefulSet" => (
            vec!["NAME", "READY", "AGE"],
            &["CONTAINERS", "IMAGES"],
            Box::new(|o| {
                let ready = format!("{}/{}", int(o, "/status/readyReplicas"), replicas(o));
                let cells = vec![text(o, "/metadata/name"), ready, created(o)];
                let containers = o
                    .pointer("/spec/template/spec/containers")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                let wide = vec![joined(containers, "name"), joined(containers, "image")];
                (cells, wide)
            }),
        ),
        "Pod" => (
            vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["IP", "NODE"],
            Box::new(|o| {
                let cells = vec![
                    text(o, "/metadata/name"),
                    pod::ready(o),
                    pod::status(o),
                    pod::restarts(o).to_string(),
                    created(o),
                ];
                let wide = vec![
                    or_none(text(o, "/status/podIP")),
                    or_none(text(o, "/spec/nodeName")),
                ];
                (cells, wide)
            }),
        ),
        "PersistentVolumeClaim" => (
            vec![
                "NAME",
                "STATUS",
                "VOLUME",
                "CAPACITY",
                "ACCESS MODES",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "AGE",
            ],
            &[],
            Box::new(|o| {
                let cells = vec![
                    text(o, "/metadata/name"),
                    crate::types::volume_status(o).to_string(),
                    text(o, "/spec/volumeName"),
                    text(o, "/status/capacity/storage"),
                    access_modes(o),
                    or_unset(text(o, "/spec/storageClassName")),
                    or_unset(text(o, "/spec/volumeAttributesClassName")),
                    created(o),
                ];
                (cells, vec![])
            }),
        ),
        _ => (
            vec!["NAME", "AGE"],
            &[],
            Box::new(|o| (vec![text(o, "/metadata/name"), created(o)], vec![])),
        ),
    };
    if wide {
        headers.extend(wide_headers);
    }
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|o| {
            let (mut row, extra) = cells(o);
            if wide {
                row.extend(extra);
            }
            row
        })
        .collect();
    let rows = if all_namespaces {
        headers.insert(0, "NAMESPACE");
        objects
            .iter()
            .zip(rows)
            .map(|(o, mut row)| {
                row.insert(0, text(o, "/metadata/namespace"));
                row
            })
            .collect()
    } else {
        rows
    };
    Rows { headers, rows }
}

/// `get pets NAME`: one row per ordinal; a missing pet shows as `<missing>`.
pub fn pets(pets: &[Pet], container: Option<&str>, now: jiff::Timestamp) -> Rows {
    let rows = pets
        .iter()
        .map(|pet| match &pet.pod {
            Some(p) => vec![
                pet.ordinal.to_string(),
                pet.name.clone(),
                pod::status(p),
                pod::ready(p),
                pod::restarts(p).to_string(),
                pod::image(p, container).to_string(),
                or_none(text(p, "/spec/nodeName")),
                created(p, now),
            ],
            None => vec![
                pet.ordinal.to_string(),
                pet.name.clone(),
                "<missing>".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ],
        })
        .collect();
    Rows {
        headers: vec![
            "ORDINAL", "POD", "STATUS", "READY", "RESTARTS", "IMAGE", "NODE", "AGE",
        ],
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> jiff::Timestamp {
        "2026-11-26T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn petset_and_statefulset_columns() {
        let ps = json!({"metadata": {"name": "web", "creationTimestamp": "2026-11-26T00:59:00Z"}, "spec": {"replicas": 2}, "status": {"replicas": 1}});
        let rows = table("PetSet", &[ps], false, false, now());
        assert_eq!(rows.headers, vec!["NAME", "DESIRED", "CURRENT", "AGE"]);
        assert_eq!(rows.rows, vec![vec!["web", "2", "1", "60s"]]);
        let sts = json!({"metadata": {"name": "web", "namespace": "prod", "creationTimestamp": "2026-11-26T00:50:00Z"}, "spec": {"replicas": 3,
            "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1"}, {"name": "side", "image": "busybox"}]}}}, "status": {"readyReplicas": 2}});
        let rows = table("StatefulSet", &[sts], true, true, now());
        assert_eq!(
            rows.headers,
            vec!["NAMESPACE", "NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
        );
        assert_eq!(
            rows.rows,
            vec![vec![
                "prod",
                "web",
                "2/3",
                "10m",
                "nginx,side",
                "nginx:1,busybox"
            ]]
        );
    }

    #[test]
    fn pvc_columns() {
        let pvc = json!({"metadata": {"name": "www-web-0"}, "spec": {"volumeName": "pvc-1", "storageClassName": "standard", "accessModes": ["ReadWriteOnce"]},
            "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}});
        let rows = table(
            "PersistentVolumeClaim",
            std::slice::from_ref(&pvc),
            false,
            false,
            now(),
        );
        assert_eq!(
            rows.rows,
            vec![vec![
                "www-web-0",
                "Bound",
                "pvc-1",
                "1Gi",
                "RWO",
                "standard",
                "<unset>",
                "<unknown>"
            ]]
        );
        let mut deleting = pvc.clone();
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        let rows = table("PersistentVolumeClaim", &[deleting], false, false, now());
        assert_eq!(rows.rows[0][1], "Terminating");
    }
}
