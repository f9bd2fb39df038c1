//! Listing one page at a time: the (namespace, name) order, `limit`, and
//! the opaque continue token that resumes a list at the revision it began.

use serde_json::Value;

use super::error::ApiError;
use super::meta;
use super::{Page, Registry};
use crate::store::Revision;
use petctl_model::kinds::KindInfo;

impl Registry {
    /// Lists a kind, in one namespace or all, filtered by `matches`, one page
    /// at a time in (namespace, name) order.
    pub fn list(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        matches: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page, ApiError> {
        let (items, revision) = self
            .store
            .list(kind.group, kind.plural, namespace)
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        let mut items: Vec<Value> = items.into_iter().filter(|o| matches(o)).collect();
        items.sort_by(|a, b| {
            (meta::namespace(a), meta::name(a)).cmp(&(meta::namespace(b), meta::name(b)))
        });
        let (revision, start) = match continue_token {
            Some(token) if !token.is_empty() => {
                let (rev, ns, name) = decode_continue(token)?;
                if rev < self.store.compacted_revision() {
                    return Err(expired_continue(revision, &ns, &name));
                }
                let start = items
                    .iter()
                    .position(|o| {
                        (meta::namespace(o), meta::name(o)) > (ns.as_str(), name.as_str())
                    })
                    .unwrap_or(items.len());
                (rev.max(1).min(revision), start)
            }
            _ => (revision, 0),
        };
        let mut page: Vec<Value> = items.into_iter().skip(start).collect();
        let mut next = None;
        let mut remaining = 0;
        if let Some(limit) = limit.filter(|l| *l > 0) {
            if page.len() > limit {
                remaining = page.len() - limit;
                page.truncate(limit);
                if let Some(last) = page.last() {
                    next = Some(encode_continue(
                        revision,
                        meta::namespace(last),
                        meta::name(last),
                    ));
                }
            }
        }
        Ok(Page {
            items: page,
            revision,
            next,
            remaining,
        })
    }
}

/// The 410 for a continue token older than the compaction, as etcd3's
/// GetList answers it (apiserver storage/etcd3/store.go): the Status carries
/// a token that goes on after the same object at the current revision.
fn expired_continue(current: Revision, namespace: &str, name: &str) -> ApiError {
    let mut err = ApiError::gone(EXPIRED_CONTINUE);
    err.list_continue = Some(encode_continue(current, namespace, name));
    err
}

const EXPIRED_CONTINUE: &str = "The provided continue parameter is too old to display a \
    consistent list result. You can start a new list without the continue parameter, or use the \
    continue token in this response to retrieve the remainder of the results. Continuing with the \
    provided token results in an inconsistent list - objects that were created, modified, or \
    deleted between the time the first chunk was returned and now may show up in the list.";

fn encode_continue(revision: Revision, namespace: &str, name: &str) -> String {
    format!("{revision}/{namespace}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Result<(Revision, String, String), ApiError> {
    let invalid = || ApiError::bad_request(format!("invalid continue token {token:?}"));
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes.ok_or_else(invalid)?).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '/');
    let rev = parts
        .next()
        .and_then(|r| r.parse().ok())
        .ok_or_else(invalid)?;
    let ns = parts.next().ok_or_else(invalid)?.to_string();
    let name = parts.next().ok_or_else(invalid)?.to_string();
    Ok((rev, ns, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ObjectKey, Store, StoreOptions};
    use petctl_model::kinds::by_name;
    use serde_json::json;

    #[test]
    fn a_continue_token_older_than_the_compaction_is_410_with_a_fresh_token() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            event_window: 5,
            compaction_slack: 1,
            ..StoreOptions::default()
        };
        let store = Store::open_with(&dir.path().join("s.redb"), options).unwrap();
        let registry = Registry::new(store.clone());
        let cm = by_name("configmaps").unwrap();
        let key = |name: &str| ObjectKey {
            group: String::new(),
            resource: "configmaps".into(),
            namespace: "default".into(),
            name: name.into(),
        };
        let object = |name: &str| json!({"metadata": {"name": name, "namespace": "default"}});
        for name in ["a", "b", "c"] {
            store.create(&key(name), object(name)).unwrap();
        }
        let all = |_: &Value| true;
        let first = registry
            .list(cm, Some("default"), &all, Some(1), None)
            .unwrap();
        let token = first.next.expect("a continue token");
        let fresh = registry
            .list(cm, Some("default"), &all, Some(1), Some(&token))
            .unwrap();
        assert_eq!(meta::name(&fresh.items[0]), "b");

        for _ in 0..10 {
            store.update(&key("a"), object("a"), None).unwrap();
        }
        let err = registry
            .list(cm, Some("default"), &all, Some(1), Some(&token))
            .unwrap_err();
        assert_eq!((err.code, err.reason), (410, "Expired"));
        let status = err.to_status();
        assert!(status["message"]
            .as_str()
            .unwrap()
            .starts_with("The provided continue parameter is too old to display a consistent list result. You can start"));
        let again = status["metadata"]["continue"].as_str().expect("a fresh token");
        let rest = registry
            .list(cm, Some("default"), &all, None, Some(again))
            .unwrap();
        let names: Vec<&str> = rest.items.iter().map(meta::name).collect();
        assert_eq!(names, ["b", "c"]);
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_garbage() {
        let token = encode_continue(42, "default", "web-1");
        assert_eq!(
            decode_continue(&token).unwrap(),
            (42, "default".into(), "web-1".into())
        );
        for bad in ["zz", "abc", "", "3132"] {
            assert_eq!(decode_continue(bad).unwrap_err().code, 400, "{bad}");
        }
    }
}
