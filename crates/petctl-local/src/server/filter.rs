//! Which objects a list, watch or deletecollection selects: namespace,
//! labelSelector and fieldSelector.

use std::sync::Arc;

use serde_json::Value;

use super::query::Params;
use crate::registry::error::ApiError;
use crate::registry::meta;
use petctl_model::kinds::KindInfo;
use petctl_model::selector::{FieldSelector, LabelSelector};

/// A predicate over stored objects, shareable with a watch task.
pub type Filter = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// The filter of a request's selectors; an unparsable selector is a 400.
pub fn from_params(
    kind: &KindInfo,
    namespace: Option<&str>,
    params: &Params,
) -> Result<Filter, ApiError> {
    let labels = match params.get("labelSelector") {
        Some(text) if !text.trim().is_empty() => {
            Some(LabelSelector::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))?)
        }
        _ => None,
    };
    let fields = match params.get("fieldSelector") {
        Some(text) if !text.trim().is_empty() => Some(
            FieldSelector::parse(text)
                .and_then(|s| s.for_kind(kind.kind))
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
        ),
        _ => None,
    };
    let namespace = namespace.map(str::to_string);
    Ok(Arc::new(move |object: &Value| {
        namespace
            .as_deref()
            .is_none_or(|ns| meta::namespace(object) == ns)
            && labels
                .as_ref()
                .is_none_or(|s| s.matches_json(object.pointer("/metadata/labels")))
            && fields.as_ref().is_none_or(|s| s.matches(object))
    }))
}
