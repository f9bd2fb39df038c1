//! `describe` for a set: the spec summary, update strategy, governing
//! service and DNS domain, whether it is paused, the identity table (one
//! row per ordinal), revisions and recent events. Pure: data in, text out.

use serde_json::Value;

use super::age::age;
use super::table;
use crate::json::text;
use crate::ops::describe::SetDescription;
use crate::ops::wait::PetState;

fn map_lines(v: Option<&Value>) -> Vec<String> {
    match v.and_then(Value::as_object) {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(&v.to_string())))
            .collect(),
        _ => vec!["<none>".into()],
    }
}

fn field(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("{:<20}{value}\n", format!("{name}:")));
}

fn multi(out: &mut String, name: &str, lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        field(out, if i == 0 { name } else { "" }, line);
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// A DNS name with what the local DNS said of it, when it was asked:
/// `(resolves)` or `(does not resolve)`.
fn marked(d: &SetDescription, name: &str) -> String {
    match d.resolves.get(name) {
        Some(true) => format!("{name} (resolves)"),
        Some(false) => format!("{name} (does not resolve)"),
        None => name.to_string(),
    }
}

pub fn render(d: &SetDescription, now: jiff::Timestamp) -> String {
    let s = &d.set;
    let o = &s.object;
    let mut out = String::new();
    field(&mut out, "Name", s.name());
    field(&mut out, "Namespace", s.namespace());
    field(
        &mut out,
        "Kind",
        &format!("{} ({})", s.kind.kind, s.kind.api_version()),
    );
    field(
        &mut out,
        "CreationTimestamp",
        text(o, "/metadata/creationTimestamp"),
    );
    field(&mut out, "Selector", &s.selector_string());
    multi(
        &mut out,
        "Labels",
        &map_lines(o.pointer("/metadata/labels")),
    );
    multi(
        &mut out,
        "Annotations",
        &map_lines(o.pointer("/metadata/annotations")),
    );
    let ready = d.pets.iter().filter(|p| p.state == PetState::Ready).count();
    let current = d.pets.iter().filter(|p| p.pod.is_some()).count();
    field(
        &mut out,
        "Replicas",
        &format!(
            "{} desired | {current} current | {ready} ready",
            s.replicas()
        ),
    );
    let strategy = match s.update_strategy() {
        "OnDelete" if s.is_petset() => {
            "OnDelete (PetSets: a pet takes a new template only when it is deleted)".to_string()
        }
        "OnDelete" => "OnDelete (a pet takes a new template only when it is deleted)".to_string(),
        other => {
            let partition = o
                .pointer("/spec/updateStrategy/rollingUpdate/partition")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            format!("{other}, partition {partition}")
        }
    };
    field(&mut out, "Update Strategy", &strategy);
    let policy = if s.is_petset() {
        "OrderedReady"
    } else {
        o.pointer("/spec/podManagementPolicy")
            .and_then(Value::as_str)
            .unwrap_or("OrderedReady")
    };
    field(&mut out, "Pod Management", policy);
    let paused = if s.is_petset() && s.paused() {
        "yes: the template says pod.alpha.kubernetes.io/initialized: \"false\"".to_string()
    } else {
        match d.pets.iter().find(|p| {
            p.pod.as_ref().is_some_and(|pod| {
                text(
                    pod,
                    "/metadata/annotations/pod.alpha.kubernetes.io~1initialized",
                ) == "false"
            })
        }) {
            Some(p) if s.is_petset() => format!(
                "yes: pet {} is annotated pod.alpha.kubernetes.io/initialized=false",
                p.name
            ),
            _ => "no".to_string(),
        }
    };
    field(&mut out, "Paused", &paused);
    let service = s.service_name();
    let service_line = match &d.service {
        Some(svc) if text(svc, "/spec/clusterIP") == "None" => format!("{service} (headless)"),
        Some(_) => format!("{service} (not headless: pets get no per-pet DNS records)"),
        None if service.is_empty() => "<none>".to_string(),
        None => format!("{service} (missing: create it, a headless Service, for pet DNS names)"),
    };
    field(&mut out, "Governing Service", &service_line);
    let domain = format!("{service}.{}.svc.{}", s.namespace(), d.cluster_domain);
    field(
        &mut out,
        "DNS Domain",
        &if service.is_empty() {
            "<none>".to_string()
        } else {
            marked(d, &domain)
        },
    );
    out.push_str("Pod Template:\n");
    for (name, image) in s.template_images() {
        out.push_str(&format!("  {name}: {image}\n"));
    }
    let templates = o
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !templates.is_empty() {
        out.push_str("Volume Claim Templates:\n");
        for t in &templates {
            let modes = crate::json::strings(t, "/spec/accessModes");
            let class = text(t, "/spec/storageClassName");
            out.push_str(&format!(
                "  {}: {} {}{}\n",
                text(t, "/metadata/name"),
                text(t, "/spec/resources/requests/storage"),
                modes.join(","),
                if class.is_empty() {
                    String::new()
                } else {
                    format!(", class {class}")
                }
            ));
        }
    }
    out.push_str("Pets:\n");
    let rows: Vec<Vec<String>> = d
        .pets
        .iter()
        .map(|p| {
            let claims: Vec<&str> = p.claims.iter().map(|(n, _)| n.as_str()).collect();
            let pvs: Vec<String> = p
                .claims
                .iter()
                .map(|(_, c)| {
                    c.as_ref()
                        .map(|c| text(c, "/spec/volumeName"))
                        .filter(|v| !v.is_empty())
                        .unwrap_or("-")
                        .to_string()
                })
                .collect();
            let (hostname, image) = match &p.pod {
                Some(pod) => {
                    let h = text(pod, "/spec/hostname");
                    (
                        if h.is_empty() {
                            p.name.clone()
                        } else {
                            h.to_string()
                        },
                        super::pod::image(pod, None).to_string(),
                    )
                }
                None => ("-".into(), "-".into()),
            };
            let dns = if service.is_empty() {
                "-".to_string()
            } else {
                marked(d, &format!("{}.{domain}", p.name))
            };
            vec![
                p.ordinal.to_string(),
                p.name.clone(),
                hostname,
                dns,
                if claims.is_empty() {
                    "-".into()
                } else {
                    claims.join(",")
                },
                pvs.join(","),
                p.state.to_string(),
                image,
            ]
        })
        .collect();
    out.push_str(&indent(
        &table::render(
            &[
                "ORDINAL", "POD", "HOSTNAME", "DNS NAME", "CLAIMS", "PV", "STATUS", "IMAGE",
            ],
            &rows,
            false,
        ),
        "  ",
    ));
    if !s.is_petset() {
        out.push_str("Revisions:\n");
        field(&mut out, "  Current", text(o, "/status/currentRevision"));
        field(&mut out, "  Update", text(o, "/status/updateRevision"));
        let mut revisions = d.revisions.clone();
        revisions.sort_by_key(|r| r["revision"].as_i64().unwrap_or(0));
        let rows: Vec<Vec<String>> = revisions
            .iter()
            .map(|r| {
                vec![
                    r["revision"].as_i64().unwrap_or(0).to_string(),
                    text(r, "/metadata/name").to_string(),
                    age(
                        r.pointer("/metadata/creationTimestamp")
                            .and_then(Value::as_str),
                        now,
                    ),
                ]
            })
            .collect();
        if !rows.is_empty() {
            out.push_str(&indent(
                &table::render(&["REVISION", "NAME", "AGE"], &rows, false),
                "  ",
            ));
        }
    }
    if d.events.is_empty() {
        out.push_str("Events:             <none>\n");
    } else {
        out.push_str("Events:\n");
        let rows: Vec<Vec<String>> = d
            .events
            .iter()
            .map(|e| {
                let when = e
                    .pointer("/lastTimestamp")
                    .and_then(Value::as_str)
                    .or(e.pointer("/eventTime").and_then(Value::as_str));
                vec![
                    text(e, "/type").to_string(),
                    text(e, "/reason").to_string(),
                    age(when, now),
                    text(e, "/message").to_string(),
                ]
            })
            .collect();
        out.push_str(&indent(
            &table::render(&["TYPE", "REASON", "AGE", "MESSAGE"], &rows, false),
            "  ",
        ));
    }
    out
}
