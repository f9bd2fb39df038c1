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
            .map(|(_, _, ns, name)| (ns.as_str(), name.as_str()));
        // How many objects come before the page, where known: a first page
        // has none, a token made by a page without a selector says.
        let before = match &resume {
            None => Some(0),
            Some((_, before, ..)) => *before,
        };
        // Pages straight from the store's ordered keys, decoding only what
        // the selector or the items need; right as long as nothing was
        // written since the token's revision (always, for a first page).
        // Without a selector the page stops once full, the objects after
        // it counted from the store's counts; if those have moved on
        // meanwhile, they are walked instead.
        let mut stop_when_full = selector.is_none() && before.is_some();
        let (current, rev) = loop {
            let mut pager = Pager::new(selector, limit, stop_when_full);
            let current = self
                .store
                .scan(kind.group, kind.plural, namespace, after, &mut |o| {
                    pager.offer(Offered::stored(o))
                })
                .map_err(internal)?;
            let rev = resume
                .as_ref()
                .map_or(current, |(rev, ..)| (*rev).max(1).min(current));
            // Written since the token's revision, but none of it to this
            // resource (a Lease, an Event): the live keys are its state then.
            if rev != current && !self.unchanged_since(kind, namespace, rev) {
                break (current, rev);
            }
            if pager.stopped {
                let before = before.unwrap_or(0);
                let counts = self.store.counts();
                let total = counts.at(kind.group, kind.plural, namespace, current);
                let Some(total) = total else {
                    stop_when_full = false;
                    continue;
                };
                pager.remaining = total.saturating_sub(before + pager.len);
            }
            return Ok(pager.page(rev, before));
        };
        let (_, _, ns, name) = resume.unwrap_or_default();
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
        let mut pager = Pager::new(selector, limit, false);
        let mut skipped = 0;
        for object in items {
            if (meta::namespace(&object), meta::name(&object)) <= (ns.as_str(), name.as_str()) {
                skipped += 1;
                continue;
            }
            if !pager.offer(Offered::decoded(object)).map_err(internal)? {
                break;
            }
        }
        Ok(pager.page(rev, Some(skipped)))
    }

    /// Whether no object of `kind` (in `namespace`, when given) was written
    /// after `revision`: only the event log's keys are read. A log that no
    /// longer reaches back that far counts as written.
    fn unchanged_since(
        &self,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        revision: Revision,
    ) -> bool {
        let touched = |key: &crate::store::ObjectKey| {
            key.group == kind.group
                && key.resource == kind.plural
                && namespace.is_none_or(|ns| key.namespace == ns)
        };
        matches!(self.store.changed_since(revision, &touched), Ok(false))
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
    /// Whether to stop at the first object after a full page rather than
    /// count the objects after it (no selector only).
    stop_when_full: bool,
    /// Stopped so: `remaining` is for the caller to set.
    stopped: bool,
}

impl<'a, I: Items> Pager<'a, I> {
    fn new(
        selector: Option<&'a dyn Fn(&Value) -> bool>,
        limit: Option<usize>,
        stop_when_full: bool,
    ) -> Self {
        Pager {
            selector,
            limit: limit.filter(|l| *l > 0),
            items: I::default(),
            len: 0,
            last: None,
            more: false,
            remaining: 0,
            stop_when_full,
            stopped: false,
        }
    }

    /// Takes the next object; false once nothing further can change the page.
    fn offer(&mut self, mut offered: Offered<'_>) -> Result<bool, StoreError> {
        let full = self.limit.is_some_and(|l| self.len >= l);
        match (full, self.selector) {
            (true, None) => {
                self.more = true;
                self.stopped = self.stop_when_full;
                self.remaining += 1;
                return Ok(!self.stopped);
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

    /// The page; `before` is how many objects came before it, which its
    /// token passes on for a page without a selector.
    fn page(self, revision: Revision, before: Option<usize>) -> Page<I> {
        let before = before
            .filter(|_| self.selector.is_none())
            .map(|before| before + self.len);
        let next = self
            .last
            .filter(|_| self.more)
            .map(|(namespace, name)| encode_continue(revision, before, &namespace, &name));
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
    err.list_continue = Some(encode_continue(current, None, namespace, name));
    err
}

const EXPIRED_CONTINUE: &str = "The provided continue parameter is too old to display a \
    consistent list result. You can start a new list without the continue parameter, or use the \
    continue token in this response to retrieve the remainder of the results. Continuing with the \
    provided token results in an inconsistent list - objects that were created, modified, or \
    deleted between the time the first chunk was returned and now may show up in the list.";

/// The token `REV[+BEFORE]/NAMESPACE/NAME`, hex-encoded: BEFORE is how many
/// objects came before the next page, where known.
fn encode_continue(
    revision: Revision,
    before: Option<usize>,
    namespace: &str,
    name: &str,
) -> String {
    let before = before.map(|b| format!("+{b}")).unwrap_or_default();
    format!("{revision}{before}/{namespace}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A token's revision, objects before its page (if it says), namespace and
/// name.
type Continue = (Revision, Option<usize>, String, String);

fn decode_continue(token: &str) -> Result<Continue, ApiError> {
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
    let first = parts.next().ok_or_else(invalid)?;
    let (rev, before) = match first.split_once('+') {
        Some((rev, before)) => (rev, Some(before.parse().map_err(|_| invalid())?)),
        None => (first, None),
    };
    let rev = rev.parse().map_err(|_| invalid())?;
    let ns = parts.next().ok_or_else(invalid)?.to_string();
    let name = parts.next().ok_or_else(invalid)?.to_string();
    Ok((rev, before, ns, name))
}

#[cfg(test)]
#[path = "paging_tests.rs"]
mod tests;
