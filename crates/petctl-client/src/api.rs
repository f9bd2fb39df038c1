//! Typed verbs on a resource, after kube-core's `Api` and kubectl's
//! `resource.Helper`: a handle names a kind and a namespace, and its verbs
//! (get, list, create, replace, patch, delete, watch) build the paths and
//! queries, pick the content type and decide which writes the transport may
//! repeat. Every caller outside this crate goes through them.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::Error;
use super::request::{object_path, path, DeleteOptions, ListParams, PatchType, WriteParams};
use super::transport::{Client, Method, Response};
use super::watch::Watcher;
use petctl_model::kinds::KindInfo;

/// How many objects one list page asks for.
const PAGE: u32 = 500;

const JSON: &str = "application/json";

/// One kind in one namespace (all namespaces, or a cluster-scoped kind,
/// when None), or a collection found by discovery.
#[derive(Clone)]
pub struct Api<'c> {
    client: &'c Client,
    /// None for a resource found by discovery, outside the kinds table.
    kind: Option<&'static KindInfo>,
    namespace: Option<String>,
    /// The collection's path.
    collection: String,
}

/// One page of a list, decoded with its items as `T`.
#[derive(serde::Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Page<T> {
    // A list with nothing in it may say `"items": null`.
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    items: Vec<T>,
    #[serde(default)]
    metadata: PageMeta,
}

#[derive(serde::Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    continue_token: Option<String>,
    #[serde(rename = "resourceVersion", default)]
    resource_version: String,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize;
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A written object and the server's `Warning`s about it.
#[derive(Debug, Clone)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
}

impl Client {
    /// The verbs on `kind` in `namespace`.
    pub fn api(&self, kind: &'static KindInfo, namespace: Option<&str>) -> Api<'_> {
        Api {
            client: self,
            kind: Some(kind),
            namespace: namespace.map(str::to_string),
            collection: path(kind, namespace, None, None),
        }
    }

    /// The verbs on a collection found by discovery (`/apis/g/v/namespaces/ns/plural`).
    pub fn api_at(&self, collection: impl Into<String>) -> Api<'_> {
        Api {
            client: self,
            kind: None,
            namespace: None,
            collection: collection.into(),
        }
    }

    /// GET a path outside the resource tree (`/version`, `/petctl/status`).
    pub async fn get_path<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.send(Method::GET, path, None)
            .await?
            .json(self.server())
    }

    /// POST a review (SelfSubjectAccessReview and the like) to a path of a
    /// create-only resource; nothing is stored, so nothing is retried.
    pub async fn review(&self, path: &str, review: &Value) -> Result<Value, Error> {
        self.send(
            Method::POST,
            path,
            Some((JSON, review.to_string().into_bytes())),
        )
        .await?
        .json(self.server())
    }

    /// LIST a collection, every page of it.
    pub async fn list_objects(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        params: &ListParams,
    ) -> Result<Vec<Value>, Error> {
        self.api(kind, namespace).list(params).await
    }
}

impl<'c> Api<'c> {
    /// None for a resource found by discovery.
    pub fn kind(&self) -> Option<&'static KindInfo> {
        self.kind
    }

    pub fn client(&self) -> &'c Client {
        self.client
    }

    fn path(&self, name: Option<&str>, subresource: Option<&str>) -> String {
        match self.kind {
            Some(kind) => path(kind, self.namespace.as_deref(), name, subresource),
            None => object_path(&self.collection, name, subresource),
        }
    }

    fn decode<T: DeserializeOwned>(&self, response: Response) -> Result<T, Error> {
        response.json(self.client.server())
    }

    /// GET one object.
    pub async fn get<T: DeserializeOwned>(&self, name: &str) -> Result<T, Error> {
        self.get_subresource(name, None).await
    }

    /// GET one object or a subresource of it (`scale`, `status`).
    pub async fn get_subresource<T: DeserializeOwned>(
        &self,
        name: &str,
        subresource: Option<&str>,
    ) -> Result<T, Error> {
        let url = self.path(Some(name), subresource);
        let response = self.client.send(Method::GET, &url, None).await?;
        self.decode(response)
    }

    /// One page of a list, as the server sent it (items and metadata).
    pub async fn list_page(&self, params: &ListParams) -> Result<Value, Error> {
        let url = format!("{}{}", self.path(None, None), params.query(false));
        let response = self.client.send(Method::GET, &url, None).await?;
        self.decode(response)
    }

    /// LIST, every page of it, with the list's resourceVersion.
    pub async fn list_with_version(
        &self,
        params: &ListParams,
    ) -> Result<(Vec<Value>, String), Error> {
        let mut items = Vec::new();
        let rv = self
            .for_each_page(params, |page: Vec<Value>| items.extend(page))
            .await?;
        Ok((items, rv))
    }

    /// LIST in pages of 500 (as kubectl's `--chunk-size` default) unless
    /// `params` names a limit (0: all at once), each
    /// page's items decoded straight into `T` (a small typed view keeps
    /// only the fields a caller prints) and handed to `on_page` before the
    /// next page is asked for, so only one page is held at a time. Returns
    /// the list's resourceVersion.
    pub async fn for_each_page<T: DeserializeOwned>(
        &self,
        params: &ListParams,
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<String, Error> {
        let mut params = params.clone();
        params.limit = Some(params.limit.unwrap_or(PAGE));
        loop {
            let url = format!("{}{}", self.path(None, None), params.query(false));
            let response = self.client.send(Method::GET, &url, None).await?;
            let page: Page<T> = self.decode(response)?;
            on_page(page.items);
            match page.metadata.continue_token.filter(|c| !c.is_empty()) {
                Some(token) => params.continue_token = Some(token),
                None => return Ok(page.metadata.resource_version),
            }
        }
    }

    /// LIST, every page of it.
    pub async fn list(&self, params: &ListParams) -> Result<Vec<Value>, Error> {
        Ok(self.list_with_version(params).await?.0)
    }

    /// POST a new object. Not repeated by the transport after an ambiguous
    /// failure: that could create it twice (see ops' create_retry).
    pub async fn create(&self, object: &Value, params: &WriteParams) -> Result<Written, Error> {
        let url = format!("{}{}", self.path(None, None), params.query());
        let body = Some((JSON, object.to_string().into_bytes()));
        let response = self.client.send(Method::POST, &url, body).await?;
        self.written(response)
    }

    /// PUT an object, or a subresource of it. A body that carries its
    /// resourceVersion is a guarded write: repeated, it answers 409.
    pub async fn replace(
        &self,
        name: &str,
        subresource: Option<&str>,
        object: &Value,
        params: &WriteParams,
    ) -> Result<Written, Error> {
        let url = format!("{}{}", self.path(Some(name), subresource), params.query());
        let body = Some((JSON, object.to_string().into_bytes()));
        let guarded = object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty());
        let response = self
            .client
            .send_repeatable(Method::PUT, &url, body, guarded)
            .await?;
        self.written(response)
    }

    /// PATCH an object. A JSON Patch with a `test` operation, or a patch
    /// that names the resourceVersion, is a guarded write the transport
    /// may repeat: repeated after it was applied, it fails its precondition.
    pub async fn patch(
        &self,
        name: &str,
        patch_type: PatchType,
        patch: &Value,
        params: &WriteParams,
    ) -> Result<Written, Error> {
        let url = format!("{}{}", self.path(Some(name), None), params.query());
        let body = Some((patch_type.content_type(), patch.to_string().into_bytes()));
        let guarded = is_guarded(patch_type, patch);
        let response = self
            .client
            .send_repeatable(Method::PATCH, &url, body, guarded)
            .await?;
        self.written(response)
    }

    /// DELETE an object with its options (propagation, preconditions,
    /// grace period, dry run). The answer is the object as it was deleted,
    /// or marked for deletion, or a Status.
    pub async fn delete(&self, name: &str, options: &DeleteOptions) -> Result<Value, Error> {
        let url = self.path(Some(name), None);
        let response = self
            .client
            .send(Method::DELETE, &url, Some((JSON, options.body())))
            .await?;
        self.decode(response)
    }

    /// POST `pods/{name}/eviction` (policy/v1 Eviction) with `options` as
    /// its deleteOptions. Like a create, repeated only where the server
    /// cannot have acted (throttled, connection refused); a budget's 429
    /// is not repeated: it is for the caller to wait on (a watch of the
    /// budget).
    pub async fn evict(&self, name: &str, options: &DeleteOptions) -> Result<Value, Error> {
        let url = self.path(Some(name), Some("eviction"));
        let delete_options = serde_json::to_value(options).unwrap_or_default();
        let eviction = serde_json::json!({
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": self.namespace},
            "deleteOptions": delete_options,
        });
        let body = Some((JSON, eviction.to_string().into_bytes()));
        let response = self.client.send(Method::POST, &url, body).await?;
        self.decode(response)
    }

    /// A list-then-watch of this collection (None for a resource found by
    /// discovery, which petctl never watches).
    pub fn watch(&self, params: ListParams) -> Option<Watcher<'c>> {
        Some(Watcher::new(
            self.client,
            self.kind?,
            self.namespace.as_deref(),
            params,
        ))
    }

    fn written(&self, response: Response) -> Result<Written, Error> {
        let warnings = response.warnings();
        Ok(Written {
            object: self.decode(response)?,
            warnings,
        })
    }
}

/// Whether a patch carries its own precondition.
fn is_guarded(patch_type: PatchType, patch: &Value) -> bool {
    match patch_type {
        PatchType::Json => patch
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op["op"] == "test")),
        _ => patch
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guarded_patches() {
        let test = json!([{"op":"test","path":"/metadata/uid","value":"u"},{"op":"replace","path":"/spec/replicas","value":2}]);
        assert!(is_guarded(PatchType::Json, &test));
        assert!(!is_guarded(
            PatchType::Json,
            &json!([{"op":"replace","path":"/spec/replicas","value":2}])
        ));
        assert!(is_guarded(
            PatchType::Merge,
            &json!({"metadata":{"resourceVersion":"7"},"spec":{"replicas":2}})
        ));
        assert!(!is_guarded(
            PatchType::StrategicMerge,
            &json!({"spec":{"replicas":2}})
        ));
    }
}
