//! Typed-by-kind shortcuts over the transport: get one object, list a
//! collection (following `continue` pages). Every caller in ops goes
//! through these, so paths and paging live in one place.

use serde_json::Value;

use super::error::Error;
use super::request::{path, ListParams};
use super::transport::Client;
use petctl_model::kinds::KindInfo;

/// How many objects one list page asks for.
const PAGE: u32 = 500;

impl Client {
    /// GET one object.
    pub async fn get_object(
        &self,
        kind: &KindInfo,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, Error> {
        let url = path(kind, namespace, Some(name), None);
        self.send(reqwest::Method::GET, &url, None)
            .await?
            .json(self.server())
    }

    /// LIST a collection (all namespaces when `namespace` is None), every
    /// page of it, with the list's resourceVersion.
    pub async fn list_with_version(
        &self,
        kind: &KindInfo,
        namespace: Option<&str>,
        params: &ListParams,
    ) -> Result<(Vec<Value>, String), Error> {
        let mut items = Vec::new();
        let mut params = params.clone();
        params.limit = Some(params.limit.unwrap_or(PAGE));
        loop {
            let url = format!(
                "{}{}",
                path(kind, namespace, None, None),
                params.query(false)
            );
            let list: Value = self
                .send(reqwest::Method::GET, &url, None)
                .await?
                .json(self.server())?;
            if let Some(page) = list.get("items").and_then(Value::as_array) {
                items.extend(page.iter().cloned());
            }
            let meta = list.get("metadata");
            match meta
                .and_then(|m| m.get("continue"))
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
            {
                Some(token) => params.continue_token = Some(token.to_string()),
                None => {
                    let rv = meta
                        .and_then(|m| m.get("resourceVersion"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    return Ok((items, rv));
                }
            }
        }
    }

    /// LIST a collection, every page of it.
    pub async fn list_objects(
        &self,
        kind: &KindInfo,
        namespace: Option<&str>,
        params: &ListParams,
    ) -> Result<Vec<Value>, Error> {
        Ok(self.list_with_version(kind, namespace, params).await?.0)
    }
}
