//! Benchmark (not a test): what a pod costs as a `serde_json::Value` (with
//! `preserve_order`, as the local control plane keeps objects) against the
//! typed `k8s_openapi` Pod, for the decision issue 15 asks to measure: heap
//! bytes per object, decode, encode and clone time, and the field reads a
//! StatefulSet sync makes. Run with `cargo bench --bench pod_forms`; the
//! figures go to docs/benchmarks.md. The pod is `benches/fixtures/pod.json`,
//! a pet of the guide's example as the local control plane stores it
//! (managedFields included).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

/// The system allocator, counting the bytes live on the heap.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const OBJECTS: usize = 1000;

/// Heap bytes per object of `OBJECTS` objects made by `make`, kept alive together.
fn heap_per_object<T>(make: impl Fn() -> T) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    let kept: Vec<T> = (0..OBJECTS).map(|_| make()).collect();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(black_box(kept));
    bytes / OBJECTS
}

/// Mean microseconds per call of `work` over `rounds` calls.
fn micros(rounds: usize, mut work: impl FnMut()) -> f64 {
    for _ in 0..rounds / 10 {
        work();
    }
    let start = Instant::now();
    for _ in 0..rounds {
        work();
    }
    start.elapsed().as_secs_f64() * 1e6 / rounds as f64
}

/// Heap bytes per object, and µs per decode, encode, clone and the sync's
/// field reads, of one form `T` of the pod `bytes`.
fn measure<T: Clone + serde::Serialize + serde::de::DeserializeOwned>(
    bytes: &[u8],
    object: &T,
    reads: fn(&T) -> (usize, bool, bool),
    rounds: usize,
) -> (usize, f64, f64, f64, f64) {
    let decode = || serde_json::from_slice::<T>(black_box(bytes)).unwrap();
    (
        heap_per_object(decode),
        micros(rounds, || {
            black_box(decode());
        }),
        micros(rounds, || {
            black_box(serde_json::to_vec(black_box(object)).unwrap());
        }),
        micros(rounds, || {
            black_box(black_box(object).clone());
        }),
        micros(rounds * 10, || {
            black_box(reads(black_box(object)));
        }),
    )
}

/// The fields a sync reads of a pod (`statefulset/facts.rs`), from JSON.
fn facts_of_value(pod: &Value) -> (usize, bool, bool) {
    let metadata = &pod["metadata"];
    let name = metadata["name"].as_str().unwrap_or("");
    let uid = metadata["uid"].as_str().unwrap_or("");
    let revision = metadata["labels"]["controller-revision-hash"]
        .as_str()
        .unwrap_or("");
    let dying = !metadata["deletionTimestamp"].is_null();
    let phase = pod["status"]["phase"].as_str().unwrap_or("");
    let ready = pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    (
        name.len() + uid.len() + revision.len() + phase.len(),
        dying,
        ready,
    )
}

/// The same fields from the typed Pod.
fn facts_of_typed(pod: &Pod) -> (usize, bool, bool) {
    let metadata = &pod.metadata;
    let text = |s: &Option<String>| s.as_deref().unwrap_or("").len();
    let revision = metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("controller-revision-hash"))
        .map_or(0, String::len);
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    (
        text(&metadata.name) + text(&metadata.uid) + revision + phase.len(),
        metadata.deletion_timestamp.is_some(),
        ready,
    )
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/fixtures/pod.json");
    let text = std::fs::read_to_string(path).expect("benches/fixtures/pod.json");
    let value: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let bytes = serde_json::to_vec(&value).expect("encode");
    let typed: Pod = serde_json::from_slice(&bytes).expect("the fixture is a Pod");
    assert_eq!(facts_of_value(&value), facts_of_typed(&typed));
    let typed_bytes = serde_json::to_vec(&typed).expect("encode");
    let rounds = 20_000;

    println!("pod JSON: {} bytes compact", bytes.len());
    println!("| form | heap per pod | decode µs | encode µs | clone µs | sync's field reads µs |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| JSON bytes | {} B | | | | |",
        heap_per_object(|| bytes.clone())
    );
    let value_row = measure(&bytes, &value, facts_of_value, rounds);
    let typed_row = measure(&bytes, &typed, facts_of_typed, rounds);
    for (form, (heap, decode, encode, clone, reads)) in [
        ("serde_json::Value (preserve_order)", value_row),
        ("k8s_openapi Pod", typed_row),
    ] {
        println!("| {form} | {heap} B | {decode:.2} | {encode:.2} | {clone:.2} | {reads:.3} |");
    }
    // A typed Pod drops what its schema does not know; the local control
    // plane must give back every field it was sent, so the round trip is
    // reported, not assumed.
    let round_trip: Value = serde_json::from_slice(&typed_bytes).expect("decode");
    let mut lost = Vec::new();
    differences("", &value, &round_trip, &mut lost);
    println!("typed round trip: {} fields differ: {lost:?}", lost.len());
}

/// The paths where `stored` and `typed` differ.
fn differences(path: &str, stored: &Value, typed: &Value, out: &mut Vec<String>) {
    match (stored, typed) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let at = format!("{path}/{key}");
                match b.get(key) {
                    Some(other) => differences(&at, value, other, out),
                    None => out.push(at),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}/{i}"), x, y, out);
            }
        }
        _ if stored != typed => out.push(path.to_string()),
        _ => {}
    }
}
