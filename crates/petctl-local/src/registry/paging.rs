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
