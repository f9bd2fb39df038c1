//! Label and field selectors as Kubernetes parses, prints and matches them,
//! shared by the client (building `labelSelector=` / `fieldSelector=`) and
//! the local control plane (filtering lists and watches).
//!
//! Parse errors carry kube-apiserver's wording (apimachinery `labels` and
//! `fields` packages), so the local control plane answers like a real one.

mod field;
mod label;
mod lexer;

pub use field::{field_value, supported_fields, FieldOperator, FieldSelector, FieldTerm};
pub use label::{LabelSelector, Operator, Requirement};

/// A selector that cannot be used; the message is the server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Unparsable or invalid selector text (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// A field selector names a field the resource cannot be selected by
    /// (HTTP 400).
    #[error("field label not supported: {0}")]
    UnsupportedField(String),
}
