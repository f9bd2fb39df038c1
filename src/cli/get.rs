//! `petctl get petsets|statefulsets|pets|pods|pvc [NAME] [-l SEL] [-A]
//! [-o wide|yaml|json|name|jsonpath=…] [--watch] [--no-headers]`.

use std::io::Write;

use serde_json::Value;

use super::connect::{connect, runtime, Connection};
use super::global::GlobalArgs;
use crate::client::request::ListParams;
use crate::client::watch::{Cache, Event, Watcher};
use crate::error::InvalidInput;
use crate::kinds::{self, KindInfo};
use crate::ops::{pets, sets};
use crate::output::printer::{self, Format};
use crate::output::{columns, table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to get: petsets, statefulsets (sts), pets, pods (po), pvc, or any kind petctl knows
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// One object by name (for `pets`: the set)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Label selector, e.g. app=nginx
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Field selector, e.g. status.phase=Running
    #[arg(long = "field-selector", value_name = "SELECTOR")]
    pub field_selector: Option<String>,
    /// List across all namespaces
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// Output format: wide, yaml, json, name, jsonpath=TEMPLATE
    #[arg(
        short = 'o',
        long = "output",
        default_value = "",
        value_name = "FORMAT"
    )]
    pub output: String,
    /// After listing, watch for changes
    #[arg(short = 'w', long = "watch")]
    pub watch: bool,
    /// Do not print headers
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// List in pages of this many objects, as kubectl does; 0 asks for all at once
    #[arg(long = "chunk-size", default_value_t = 500, value_name = "N")]
    pub chunk_size: u32,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let format = Format::parse(&args.output).map_err(|e| InvalidInput(e.to_string()))?;
    let (resource, inline_name) = match args.resource.split_once('/') {
        Some((r, n)) => (r.to_string(), Some(n.to_string())),
        None => (args.resource.clone(), None),
    };
    let name = inline_name.or(args.name.clone());
    let conn = connect(global, err)?;
    let rt = runtime()?;
    if matches!(resource.as_str(), "pets" | "pet") {
        let Some(set) = name else {
            return Err(
                InvalidInput::new("get pets needs the set's NAME: petctl get pets NAME").into(),
            );
        };
        return rt.block_on(get_pets(&conn, &set, &args, format.as_ref(), out));
    }
    let kind = kinds::by_name(&resource).ok_or_else(|| {
        InvalidInput(format!(
            "the server doesn't have a resource type {resource:?}{}",
            suggest(&resource)
        ))
    })?;
    rt.block_on(get_kind(
        &conn,
        kind,
        name.as_deref(),
        &args,
        format.as_ref(),
        out,
    ))
}

fn suggest(resource: &str) -> String {
    let names = kinds::KINDS.iter().map(|k| k.plural).chain(["pets"]);
    petctl_model::suggest::closest(resource, names)
        .map(|n| format!("; did you mean {n:?}?"))
        .unwrap_or_default()
}

async fn get_kind(
    conn: &Connection,
    kind: &'static KindInfo,
    name: Option<&str>,
    args: &Args,
    format: Option<&Format>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let namespace = (!args.all_namespaces).then_some(conn.namespace.as_str());
    let all_ns = args.all_namespaces && kind.namespaced;
    let now = jiff::Timestamp::now();
    let params = ListParams {
        label_selector: args.selector.clone(),
        field_selector: match (name, &args.field_selector) {
            (Some(n), None) => Some(format!("metadata.name={n}")),
            (Some(n), Some(f)) => Some(format!("metadata.name={n},{f}")),
            (None, f) => f.clone(),
        },
        limit: Some(args.chunk_size),
        ..Default::default()
    };
    if args.watch {
        return watch(conn, kind, namespace, params, args, format, out).await;
    }
    let objects: Vec<Value> = match name {
        Some(n) => {
            let object: Value = conn
                .client
                .api(kind, namespace.or(Some(&conn.namespace)))
                .get(n)
                .await
                .map_err(|e| not_found_message(e, kind, n, &conn.namespace))?;
            vec![object]
        }
        None => match conn.client.api(kind, namespace).list(&params).await {
            Ok(items) => items,
            Err(err) if err.is_not_found() => return Err(not_served(conn, kind).await),
            Err(err) => return Err(err.into()),
        },
    };
    match format {
        Some(f) => {
            let value = if name.is_some() && objects.len() == 1 {
                with_kind(objects[0].clone(), kind)
            } else {
                serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "items": objects.into_iter().map(|o| with_kind(o, kind)).collect::<Vec<_>>(),
                    "metadata": {"resourceVersion": ""},
                })
            };
            out.write_all(printer::render(&value, f, kind.singular, kind.group)?.as_bytes())?;
        }
        None => {
            if objects.is_empty() {
                // kubectl says this on stderr and exits 0.
                let scope = match namespace {
                    Some(ns) if kind.namespaced => format!(" in {ns} namespace"),
                    _ => String::new(),
                };
                eprintln!("No resources found{scope}.");
                return Ok(());
            }
            let rows = columns::table(kind.kind, &objects, args.output == "wide", all_ns, now);
            out.write_all(table::render(&rows.headers, &rows.rows, args.no_headers).as_bytes())?;
        }
    }
    Ok(())
}

/// Why a list of `kind` found nothing to list: the server does not serve
/// the kind, or is not a Kubernetes API server at all.
async fn not_served(conn: &Connection, kind: &KindInfo) -> anyhow::Error {
    if let Err(err) = crate::client::discovery::fetch(&conn.client).await {
        return err.into();
    }
    let hint = match kind.kind {
        "PetSet" => {
            " (PetSets were renamed StatefulSets in Kubernetes 1.5: try petctl get statefulsets)"
        }
        _ => "",
    };
    anyhow::anyhow!(
        "the server doesn't have a resource type {:?}{hint}",
        kind.plural
    )
}

/// List items carry no kind; printed alone they need one.
fn with_kind(mut object: Value, kind: &KindInfo) -> Value {
    if let Some(map) = object.as_object_mut() {
        if !map.contains_key("kind") {
            let mut fresh = serde_json::Map::new();
            fresh.insert("apiVersion".into(), kind.api_version().into());
            fresh.insert("kind".into(), kind.kind.into());
            fresh.extend(std::mem::take(map));
            *map = fresh;
        }
    }
    object
}

fn not_found_message(
    err: crate::client::Error,
    kind: &KindInfo,
    name: &str,
    namespace: &str,
) -> anyhow::Error {
    if err.is_not_found() {
        let where_ = if kind.namespaced {
            format!(" in namespace {namespace:?}")
        } else {
            String::new()
        };
        anyhow::anyhow!("{} {name:?} not found{where_}", kind.singular)
    } else {
        err.into()
    }
}

async fn watch(
    conn: &Connection,
    kind: &'static KindInfo,
    namespace: Option<&str>,
    params: ListParams,
    args: &Args,
    format: Option<&Format>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut watcher = Watcher::new(&conn.client, kind, namespace, params);
    let mut first = true;
    loop {
        let objects = match watcher.next().await? {
            Event::Restarted(items) => items,
            Event::Applied(o) | Event::Deleted(o) => vec![o],
        };
        match format {
            Some(f) => {
                for o in objects {
                    out.write_all(
                        printer::render(&with_kind(o, kind), f, kind.singular, kind.group)?
                            .as_bytes(),
                    )?;
                }
            }
            None => {
                let rows = columns::table(
                    kind.kind,
                    &objects,
                    args.output == "wide",
                    args.all_namespaces,
                    jiff::Timestamp::now(),
                );
                let no_headers = args.no_headers || !first;
                out.write_all(table::render(&rows.headers, &rows.rows, no_headers).as_bytes())?;
                first = false;
            }
        }
        out.flush()?;
    }
}

async fn get_pets(
    conn: &Connection,
    reference: &str,
    args: &Args,
    format: Option<&Format>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let set = conn.find_set(reference).await?;
    if args.watch {
        return watch_pets(conn, &set, args, format, out).await;
    }
    let pets = match format {
        Some(_) => pets::gather(&conn.client, &set).await?,
        None => pets::gather_for_table(&conn.client, &set, args.chunk_size).await?,
    };
    print_pets(&pets, args, format, true, out)
}

/// The pets table (or one JSON/YAML object per pet), with headers when
/// `headers` and `--no-headers` is not given.
fn print_pets(
    pets: &[pets::Pet],
    args: &Args,
    format: Option<&Format>,
    headers: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let as_json = |p: &pets::Pet| {
        serde_json::json!({
            "ordinal": p.ordinal,
            "name": p.name,
            "pod": p.pod,
            "claims": p.claims.iter().map(|(n, c)| serde_json::json!({"name": n, "claim": c})).collect::<Vec<_>>(),
        })
    };
    match format {
        Some(f) if args.watch => {
            for pet in pets {
                out.write_all(printer::render(&as_json(pet), f, "pod", "")?.as_bytes())?;
            }
        }
        Some(f) => {
            let items: Vec<Value> = pets.iter().map(as_json).collect();
            let value = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            out.write_all(printer::render(&value, f, "pod", "")?.as_bytes())?;
        }
        None => {
            let rows = columns::pets(pets, None, jiff::Timestamp::now());
            let no_headers = args.no_headers || !headers;
            out.write_all(table::render(&rows.headers, &rows.rows, no_headers).as_bytes())?;
        }
    }
    Ok(())
}

/// `get pets NAME --watch`: the table from the first list of the set's
/// pods, then a row for each pet whose pod changes (`<missing>` once it is
/// gone), from the same watch.
async fn watch_pets(
    conn: &Connection,
    set: &sets::Set,
    args: &Args,
    format: Option<&Format>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let claims = if set.claim_template_names().is_empty() {
        Vec::new()
    } else {
        conn.client
            .list_objects(
                kinds::builtin("pvc"),
                Some(set.namespace()),
                &ListParams::default(),
            )
            .await?
    };
    let mut watcher = Watcher::new(
        &conn.client,
        kinds::builtin("pods"),
        Some(set.namespace()),
        ListParams::labels(set.selector_string()),
    );
    let mut cache = Cache::default();
    let mut first = true;
    loop {
        let event = watcher.next().await?;
        cache.apply(&event);
        let pods: Vec<Value> = cache.values().cloned().collect();
        let all = pets::assemble(set, &pods, &claims);
        let shown = match &event {
            Event::Restarted(_) => all,
            Event::Applied(pod) | Event::Deleted(pod) => {
                let name = pod
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let Some(ordinal) = set.ordinal_of(name) else {
                    continue;
                };
                let pet = all.into_iter().find(|p| p.name == name);
                // A pet scaled away is no longer among the set's ordinals.
                vec![pet
                    .unwrap_or_else(|| pets::Pet::new(ordinal, name.to_string(), None, Vec::new()))]
            }
        };
        print_pets(&shown, args, format, first, out)?;
        first = false;
        out.flush()?;
    }
}
