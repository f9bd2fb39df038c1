//! The answer to a LIST: the List object around a page, built from the
//! decoded objects or spliced from their stored JSON.

use axum::body::Body;
use hyper::Response;
use serde_json::{json, Value};

use super::filter::Filter;
use super::respond;
use crate::registry::error::ApiError;
use crate::registry::{Items, ItemsJson, Page, Registry};
use petctl_model::kinds::KindInfo;

/// What a LIST asks the registry for.
pub struct ListRequest {
    pub kind: &'static KindInfo,
    pub namespace: Option<String>,
    /// The selectors, when the request has any.
    pub filter: Option<Filter>,
    pub limit: Option<usize>,
    pub token: Option<String>,
}

impl ListRequest {
    pub fn page<I: Items>(&self, registry: &Registry) -> Result<Page<I>, ApiError> {
        registry.list_page(
            self.kind,
            self.namespace.as_deref(),
            self.filter.as_deref().map(|f| f as &dyn Fn(&Value) -> bool),
            self.limit,
            self.token.as_deref(),
        )
    }
}

/// A list's metadata: remainingItemCount only where it was counted (a page
/// without a selector that has a next page).
pub fn metadata<T>(page: &Page<T>) -> Value {
    let mut metadata = json!({"resourceVersion": page.revision.to_string()});
    if let (Some(next), Some(map)) = (&page.next, metadata.as_object_mut()) {
        map.insert("continue".into(), json!(next));
        if page.remaining > 0 {
            map.insert("remainingItemCount".into(), json!(page.remaining));
        }
    }
    metadata
}

/// The List object; the items move in (`json!` would deep-copy them).
pub fn body(kind: &KindInfo, page: Page) -> Value {
    let metadata = metadata(&page);
    let mut body = serde_json::Map::new();
    body.insert("kind".into(), json!(format!("{}List", kind.kind)));
    body.insert("apiVersion".into(), json!(kind.api_version()));
    body.insert("metadata".into(), metadata);
    body.insert("items".into(), Value::Array(page.items));
    Value::Object(body)
}

/// The List object of a page of stored JSON, spliced into the envelope
/// [`body`] gives: the same bytes as encoding the decoded page.
pub fn response(kind: &KindInfo, page: Page<ItemsJson>) -> Response<Body> {
    respond::bytes(200, "application/json", bytes(kind, page))
}

fn bytes(kind: &KindInfo, page: Page<ItemsJson>) -> Vec<u8> {
    let Page {
        items,
        revision,
        next,
        remaining,
    } = page;
    let envelope = Page {
        items: Vec::new(),
        revision,
        next,
        remaining,
    };
    let mut bytes = serde_json::to_vec(&body(kind, envelope)).unwrap_or_default();
    // The envelope ends with its empty `"items":[]}`.
    let close = bytes.split_off(bytes.len().saturating_sub(2));
    bytes.reserve(items.json.len() + close.len() + 1);
    bytes.extend_from_slice(&items.json);
    bytes.extend_from_slice(&close);
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::server::filter;
    use crate::server::query::Params;
    use crate::store::{ObjectKey, Store, StoreOptions};
    use petctl_model::kinds::by_name;

    fn pod(namespace: &str, name: &str, i: usize) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace,
                "labels": {"app": if i.is_multiple_of(3) { "db" } else { "web" }, "n": i.to_string()},
                "annotations": {"note": "caf\u{e9} \"quoted\" \\ </script> \u{1}"}},
            "spec": {"nodeName": format!("node-{}", i % 2), "priority": i, "weight": 0.5 * i as f64,
                "containers": [{"name": "c", "image": "nginx"}]},
            "status": {"phase": if i.is_multiple_of(4) { "Pending" } else { "Running" }},
        })
    }

    /// Every page of `query` (following continue tokens, with a write
    /// between pages when `write_between`), as the decoded path encodes it
    /// and as the stored-JSON path splices it.
    fn both_ways(
        store: &Store,
        registry: &Registry,
        query: &str,
        write_between: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let pods = by_name("pods").unwrap();
        let params = Params::parse(query);
        let namespace = params.get("namespace").map(str::to_string);
        let filter = filter::from_params(pods, namespace.as_deref(), &params).unwrap();
        let selective = ["labelSelector", "fieldSelector"]
            .iter()
            .any(|p| params.get(p).is_some());
        let mut request = ListRequest {
            kind: pods,
            namespace,
            filter: selective.then_some(filter),
            limit: params.limit().unwrap(),
            token: None,
        };
        let mut pages = Vec::new();
        for round in 0.. {
            let decoded: Page = request.page(registry).unwrap();
            let spliced: Page<ItemsJson> = request.page(registry).unwrap();
            assert_eq!(decoded.next, spliced.next, "{query}");
            let next = decoded.next.clone();
            let mut old = serde_json::to_vec(&body(pods, decoded)).unwrap();
            old.push(b'\n');
            pages.push((old, bytes(pods, spliced)));
            match next {
                Some(token) => request.token = Some(token),
                None => break,
            }
            if write_between {
                let key = ObjectKey::new("", "pods", "a", &format!("p{round:02}"));
                store
                    .update(&key, pod("a", &format!("p{round:02}"), 99), None)
                    .unwrap();
                let name = format!("q{}", store.current_revision());
                store
                    .create(&ObjectKey::new("", "pods", "a", &name), pod("a", &name, 1))
                    .unwrap();
            }
        }
        pages
    }

    #[test]
    fn the_spliced_list_is_byte_identical_to_the_decoded_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("s.redb"), StoreOptions::default()).unwrap();
        let registry = Registry::new(Arc::clone(&store));
        for (i, (namespace, name)) in (0..30)
            .map(|i| ("a", format!("p{i:02}")))
            .chain((0..7).map(|i| ("b", format!("p{i}"))))
            .enumerate()
        {
            let key = ObjectKey::new("", "pods", namespace, &name);
            store.create(&key, pod(namespace, &name, i)).unwrap();
        }
        let queries = [
            "",
            "namespace=a",
            "limit=7",
            "limit=7&namespace=a",
            "labelSelector=app%3Dweb",
            "labelSelector=app%3Dweb&limit=4",
            "labelSelector=app%20in%20(db)&limit=3&namespace=b",
            "fieldSelector=spec.nodeName%3Dnode-1&limit=5",
            "fieldSelector=status.phase!%3DPending,metadata.namespace%3Da",
            "labelSelector=app%3Dnone",
            "limit=100",
        ];
        let mut pages = 0;
        for query in queries {
            for write_between in [false, true] {
                for (old, new) in both_ways(&store, &registry, query, write_between) {
                    assert!(
                        old == new,
                        "{query}: {} against {}",
                        String::from_utf8_lossy(&old),
                        String::from_utf8_lossy(&new)
                    );
                    pages += 1;
                }
            }
        }
        assert!(pages > 40, "{pages} pages");
    }

    #[test]
    fn a_get_is_the_stored_bytes_of_what_it_decodes_to() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("s.redb"), StoreOptions::default()).unwrap();
        let registry = Registry::new(Arc::clone(&store));
        let pods = by_name("pods").unwrap();
        for i in 0..12 {
            let name = format!("p{i}");
            store
                .create(&ObjectKey::new("", "pods", "a", &name), pod("a", &name, i))
                .unwrap();
            let target = crate::registry::Target {
                kind: pods,
                namespace: "a".into(),
                name,
            };
            let decoded = serde_json::to_vec(&registry.get(&target).unwrap()).unwrap();
            assert_eq!(
                String::from_utf8(registry.get_json(&target).unwrap()).unwrap(),
                String::from_utf8(decoded).unwrap()
            );
        }
    }

    /// The one difference: serde_json's default parser may round a float
    /// in its last bit (1.4000000000000001 reads as 1.4), so a decoded list
    /// printed the rounded number where the spliced one prints what was
    /// stored, as kube-apiserver (Go's exact parser) would. The two are
    /// JSON-equal as serde_json reads them.
    #[test]
    fn a_float_is_served_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("s.redb"), StoreOptions::default()).unwrap();
        let registry = Registry::new(Arc::clone(&store));
        let mut object = pod("a", "p", 1);
        object["spec"]["weight"] = json!(0.1 * 14.0);
        store
            .create(&ObjectKey::new("", "pods", "a", "p"), object)
            .unwrap();
        let [(old, new)]: [(Vec<u8>, Vec<u8>); 1] =
            both_ways(&store, &registry, "", false).try_into().unwrap();
        let text = String::from_utf8(new.clone()).unwrap();
        assert!(text.contains(r#""weight":1.4000000000000001"#), "{text}");
        let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
        assert_eq!(parse(&old), parse(&new));
    }
}
