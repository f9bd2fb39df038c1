//! Listing one page at a time: the (namespace, name) order, `limit`, and
//! the opaque continue token that resumes a list at the revision it began:
//! later pages show the objects as they were then, rebuilt from the event
//! log, and a token older than the log is 410 Expired. A page holds its
//! objects decoded, or ([`ItemsJson`]) their stored JSON as it is, decoded
//! only where a selector reads them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::ApiError;
use super::meta;
use super::{Page, Registry};
use crate::store::{EventType, Revision, Scanned, StoreError};
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
        self.list_page(kind, namespace, Some(matches), limit, continue_token)
    }

    /// [`Registry::list`] with the selector optional. Without one, the
    /// objects after a full page are counted from their keys alone, undecoded,
    /// for `remainingItemCount`; with one the count stays 0, as upstream
    /// sets it only for an empty predicate (apiserver storage/etcd3/store.go
    /// GetList: "Instead of returning inaccurate count for non-empty
    /// selectors, we return nil").
    pub fn list_page<I: Items>(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        selector: Option<&dyn Fn(&Value) -> bool>,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<Page<I>, ApiError> {
        let internal = |e: StoreError| ApiError::internal(format!("{e:?}"));
        let resume = match continue_token {
            Some(token) if !token.is_empty() => Some(decode_continue(token)?),
            _ => None,
        };
        let after = resume
            .as_ref()
            .map(|(_, ns, name)| (ns.as_str(), name.as_str()));
        // Pages straight from the store's ordered keys, decoding only what
        // the selector or the items need; right as long as nothing was
        // written since the token's revision (always, for a first page).
        let mut pager = Pager::new(selector, limit);
        let current = self
            .store
            .scan(kind.group, kind.plural, namespace, after, &mut |o| {
                pager.offer(Offered::stored(o))
            })
            .map_err(internal)?;
        let rev = resume
            .as_ref()
            .map_or(current, |(rev, ..)| (*rev).max(1).min(current));
        if rev == current {
            return Ok(pager.page(current));
        }
        let (_, ns, name) = resume.unwrap_or_default();
        if rev < self.store.compacted_revision() {
            return Err(expired_continue(current, &ns, &name));
        }
        // Written since: the whole kind as it was at the token's revision,
        // rebuilt from the event log (this decodes every object).
        let (items, current) = self
            .store
            .list(kind.group, kind.plural, namespace)
            .map_err(internal)?;
        let mut items = self
            .at_revision(kind, namespace, items, rev)?
            .ok_or_else(|| expired_continue(current, &ns, &name))?;
        items.sort_by(|a, b| {
            (meta::namespace(a), meta::name(a)).cmp(&(meta::namespace(b), meta::name(b)))
        });
        let mut pager = Pager::new(selector, limit);
        for object in items {
            if (meta::namespace(&object), meta::name(&object)) <= (ns.as_str(), name.as_str()) {
                continue;
            }
            if !pager.offer(Offered::decoded(object)).map_err(internal)? {
                break;
            }
        }
        Ok(pager.page(rev))
    }

    /// The objects of `kind` as they were at `revision`, from `current` (a
    /// newer list) with every later change undone through the event log:
    /// a continued list reads the revision of its first page, as etcd does.
    /// None when an object's state at `revision` is older than the log.
    fn at_revision(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        current: Vec<Value>,
        revision: Revision,
    ) -> Result<Option<Vec<Value>>, ApiError> {
        let id = |o: &Value| (meta::namespace(o).to_string(), meta::name(o).to_string());
        let mut objects: BTreeMap<(String, String), Value> =
            current.into_iter().map(|o| (id(&o), o)).collect();
        // Per object: its last state at or before `revision` that the log
        // holds, and the first change after it. The log is read one event
        // at a time, keeping only this kind's.
        let mut before = BTreeMap::new();
        let mut first_after = BTreeMap::new();
        let mut note = |event: crate::store::StoreEvent| {
            if event.key.group != kind.group
                || event.key.resource != kind.plural
                || namespace.is_some_and(|ns| event.key.namespace != ns)
            {
                return true;
            }
            let key = (event.key.namespace, event.key.name);
            if event.revision <= revision {
                let state = (event.event_type != EventType::Deleted)
                    .then(|| std::sync::Arc::unwrap_or_clone(event.object));
                before.insert(key, state);
            } else {
                first_after.entry(key).or_insert(event.event_type);
            }
            true
        };
        match self
            .store
            .visit_events(self.store.compacted_revision(), &mut note)
        {
            Ok(()) => {}
            Err(StoreError::Compacted { .. }) => return Ok(None),
            Err(e) => return Err(ApiError::internal(format!("{e:?}"))),
        }
        for (key, first) in first_after {
            let state = match before.remove(&key) {
                Some(state) => state,
                None if first == EventType::Added => None,
                None => return Ok(None),
            };
            match state {
                Some(object) => objects.insert(key, object),
                None => objects.remove(&key),
            };
        }
        Ok(Some(objects.into_values().collect()))
    }
}

/// What a page holds of its objects.
pub trait Items: Default {
    /// Whether an item is made from the decoded object.
    const DECODED: bool;
    fn push(&mut self, offered: Offered<'_>) -> Result<(), StoreError>;
}

impl Items for Vec<Value> {
    const DECODED: bool = true;

    fn push(&mut self, mut offered: Offered<'_>) -> Result<(), StoreError> {
        offered.object()?;
        self.extend(offered.object);
        Ok(())
    }
}

/// A page's objects as the comma-separated JSON of a list's `items` array:
/// the stored bytes of each (what decoding and encoding it would give), so
/// that a LIST copies bytes instead of building and encoding a tree.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ItemsJson {
    pub json: Vec<u8>,
    pub len: usize,
}

impl Items for ItemsJson {
    const DECODED: bool = false;

    fn push(&mut self, offered: Offered<'_>) -> Result<(), StoreError> {
        if self.len > 0 {
            self.json.push(b',');
        }
        match (offered.stored, &offered.object) {
            (Some(stored), _) => self.json.extend_from_slice(stored.json()?),
            (None, object) => serde_json::to_writer(&mut self.json, object)
                .map_err(|e| StoreError::Backend(format!("cannot encode an object: {e}")))?,
        }
        self.len += 1;
        Ok(())
    }
}

/// One object offered to a page: as stored, or decoded, or both once
/// something has read it.
pub struct Offered<'s> {
    stored: Option<Scanned<'s>>,
    object: Option<Value>,
}

impl<'s> Offered<'s> {
    fn stored(stored: Scanned<'s>) -> Self {
        Offered {
            stored: Some(stored),
            object: None,
        }
    }

    fn decoded(object: Value) -> Self {
        Offered {
            stored: None,
            object: Some(object),
        }
    }

    /// The object, decoded on first use.
    fn object(&mut self) -> Result<&Value, StoreError> {
        let object = match (self.object.take(), &self.stored) {
            (Some(object), _) => object,
            (None, Some(stored)) => stored.object()?,
            (None, None) => Value::Null,
        };
        Ok(self.object.insert(object))
    }

    fn id(&self) -> Result<(String, String), StoreError> {
        match (&self.object, &self.stored) {
            (Some(object), _) => Ok((
                meta::namespace(object).to_string(),
                meta::name(object).to_string(),
            )),
            (None, Some(stored)) => stored.id(),
            (None, None) => Ok(Default::default()),
        }
    }
}

/// Collects one page from objects offered in order: the first `limit`
/// that match, then whether any more match (and, without a selector, how
/// many objects follow, counted without decoding them).
struct Pager<'a, I> {
    selector: Option<&'a dyn Fn(&Value) -> bool>,
    limit: Option<usize>,
    items: I,
    len: usize,
    /// The namespace and name of the last item, where a next page resumes.
    last: Option<(String, String)>,
    more: bool,
    remaining: usize,
}

impl<'a, I: Items> Pager<'a, I> {
    fn new(selector: Option<&'a dyn Fn(&Value) -> bool>, limit: Option<usize>) -> Self {
        Pager {
            selector,
            limit: limit.filter(|l| *l > 0),
            items: I::default(),
            len: 0,
            last: None,
            more: false,
            remaining: 0,
        }
    }

    /// Takes the next object; false once nothing further can change the page.
    fn offer(&mut self, mut offered: Offered<'_>) -> Result<bool, StoreError> {
        let full = self.limit.is_some_and(|l| self.len >= l);
        match (full, self.selector) {
            (true, None) => {
                self.more = true;
                self.remaining += 1;
                return Ok(true);
            }
            (true, Some(matches)) => {
                self.more = matches(offered.object()?);
                return Ok(!self.more);
            }
            (false, selector) => {
                if selector.is_some() || I::DECODED {
                    offered.object()?;
                }
                let matches = match (selector, &offered.object) {
                    (Some(matches), Some(object)) => matches(object),
                    _ => true,
                };
                if matches {
                    if self.limit.is_some() {
                        self.last = Some(offered.id()?);
                    }
                    self.items.push(offered)?;
                    self.len += 1;
                }
            }
        }
        Ok(true)
    }

    fn page(self, revision: Revision) -> Page<I> {
        let next = self
            .last
            .filter(|_| self.more)
            .map(|(namespace, name)| encode_continue(revision, &namespace, &name));
        Page {
            items: self.items,
            revision,
            next,
            remaining: self.remaining,
        }
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
    use std::sync::Arc;

    use crate::store::{ObjectKey, Store, StoreOptions};
    use petctl_model::kinds::by_name;
    use serde_json::json;

    fn key(name: &str) -> ObjectKey {
        ObjectKey {
            group: String::new(),
            resource: "configmaps".into(),
            namespace: "default".into(),
            name: name.into(),
        }
    }

    fn object(name: &str, data: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "default"}, "data": {"v": data}})
    }

    /// A registry on a store of config maps a, b and c, keeping `window`
    /// events, and the continue token after the first page of one.
    fn three_config_maps(window: u64) -> (tempfile::TempDir, Arc<Store>, Registry, String) {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            event_window: window,
            compaction_slack: 1,
            ..StoreOptions::default()
        };
        let store = Store::open_with(&dir.path().join("s.redb"), options).unwrap();
        let registry = Registry::new(store.clone());
        for name in ["a", "b", "c"] {
            store.create(&key(name), object(name, "old")).unwrap();
        }
        let first = registry
            .list(configmaps(), Some("default"), &all, Some(1), None)
            .unwrap();
        let token = first.next.expect("a continue token");
        (dir, store, registry, token)
    }

    fn configmaps() -> &'static KindInfo {
        by_name("configmaps").unwrap()
    }

    fn all(_: &Value) -> bool {
        true
    }

    #[test]
    fn later_pages_show_the_revision_of_the_first() {
        let (_dir, store, registry, token) = three_config_maps(100);
        store.update(&key("b"), object("b", "new"), None).unwrap();
        store.delete(&key("c"), None).unwrap();
        store.create(&key("d"), object("d", "new")).unwrap();
        let rest = registry
            .list(configmaps(), Some("default"), &all, None, Some(&token))
            .unwrap();
        let seen: Vec<(&str, &Value)> = rest
            .items
            .iter()
            .map(|o| (meta::name(o), &o["data"]["v"]))
            .collect();
        assert_eq!(seen, [("b", &json!("old")), ("c", &json!("old"))]);
        assert_eq!(rest.revision, 3);
    }

    #[test]
    fn a_state_older_than_the_log_is_410_not_a_guess() {
        let (_dir, store, registry, _) = three_config_maps(5);
        for n in 0..10 {
            store
                .create(&key(&format!("z{n}")), object("z", ""))
                .unwrap();
        }
        // b's state at the token's revision was written before the log.
        let token = registry
            .list(configmaps(), Some("default"), &all, Some(1), None)
            .unwrap()
            .next
            .unwrap();
        store.update(&key("b"), object("b", "new"), None).unwrap();
        let err = registry
            .list(configmaps(), Some("default"), &all, None, Some(&token))
            .unwrap_err();
        assert_eq!((err.code, err.reason), (410, "Expired"));
    }

    #[test]
    fn a_continue_token_older_than_the_compaction_is_410_with_a_fresh_token() {
        let (_dir, store, registry, token) = three_config_maps(5);
        let cm = configmaps();

        for n in 0..10 {
            store
                .update(&key("a"), object("a", &n.to_string()), None)
                .unwrap();
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
        let again = status["metadata"]["continue"]
            .as_str()
            .expect("a fresh token");
        let rest = registry
            .list(cm, Some("default"), &all, None, Some(again))
            .unwrap();
        let names: Vec<&str> = rest.items.iter().map(meta::name).collect();
        assert_eq!(names, ["b", "c"]);
    }

    fn names(page: &Page) -> Vec<&str> {
        page.items.iter().map(meta::name).collect()
    }

    #[test]
    fn pages_walk_the_keys_from_the_token_and_count_what_follows() {
        let (_dir, store, registry, _) = three_config_maps(100);
        for name in ["d", "e"] {
            store.create(&key(name), object(name, "old")).unwrap();
        }
        let cm = configmaps();
        let first = registry
            .list_page(cm, Some("default"), None, Some(2), None)
            .unwrap();
        assert_eq!((names(&first), first.remaining), (vec!["a", "b"], 3));
        let second = registry
            .list_page(cm, Some("default"), None, Some(2), first.next.as_deref())
            .unwrap();
        assert_eq!((names(&second), second.remaining), (vec!["c", "d"], 1));
        let last = registry
            .list_page(cm, Some("default"), None, Some(2), second.next.as_deref())
            .unwrap();
        assert_eq!((names(&last), last.next.as_deref()), (vec!["e"], None));
        assert_eq!(last.revision, first.revision);
        let everything = registry.list_page(cm, None, None, None, None).unwrap();
        assert_eq!(names(&everything), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn a_selector_filters_before_the_limit_counts() {
        let (_dir, store, registry, _) = three_config_maps(100);
        for (name, v) in [("d", "new"), ("e", "old"), ("f", "new")] {
            store.create(&key(name), object(name, v)).unwrap();
        }
        let cm = configmaps();
        let new = |o: &Value| o["data"]["v"] == "new";
        let first = registry
            .list_page(cm, Some("default"), Some(&new), Some(1), None)
            .unwrap();
        // Upstream leaves remainingItemCount out for a selector.
        assert_eq!((names(&first), first.remaining), (vec!["d"], 0));
        let rest = registry
            .list_page(
                cm,
                Some("default"),
                Some(&new),
                Some(1),
                first.next.as_deref(),
            )
            .unwrap();
        assert_eq!((names(&rest), rest.next.as_deref()), (vec!["f"], None));
    }

    #[test]
    fn a_token_from_another_namespace_starts_at_the_range() {
        let (_dir, _store, registry, _) = three_config_maps(100);
        let cm = configmaps();
        for (ns, want) in [("a", vec!["a", "b", "c"]), ("zzz", vec![])] {
            let token = encode_continue(3, ns, "b");
            let page = registry
                .list_page(cm, Some("default"), None, None, Some(&token))
                .unwrap();
            assert_eq!(names(&page), want, "{ns}");
        }
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
