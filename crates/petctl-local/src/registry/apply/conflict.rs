//! Apply conflicts: fields another manager owns that an apply would set
//! to a different value, reported as kube-apiserver does
//! (`handlers/fieldmanager/internal/conflict.go`: 409, reason Conflict,
//! one `FieldManagerConflict` cause per field).

use serde_json::json;

use super::fieldset::{self, Path};
use super::managed::Manager;
use crate::registry::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: Manager,
    pub path: Path,
}

/// The 409 for `conflicts` (never empty).
pub fn conflict_error(conflicts: &[Conflict]) -> ApiError {
    let causes: Vec<_> = conflicts
        .iter()
        .map(|c| {
            json!({
                "type": "FieldManagerConflict",
                "message": format!("conflict with {}", c.manager.describe(None)),
                "field": fieldset::display(&c.path),
            })
        })
        .collect();
    ApiError::new(409, "Conflict", message(conflicts)).with_details(json!({ "causes": causes }))
}

fn message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager.describe(None),
            fieldset::display(&only.path)
        );
    }
    let mut managers: Vec<String> = conflicts.iter().map(|c| c.manager.describe(None)).collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for manager in managers {
        lines.push(format!("conflicts with {manager}:"));
        for conflict in conflicts
            .iter()
            .filter(|c| c.manager.describe(None) == manager)
        {
            lines.push(format!("- {}", fieldset::display(&conflict.path)));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::apply::managed::Operation;

    fn manager(name: &str, operation: Operation) -> Manager {
        Manager {
            name: name.into(),
            operation,
            subresource: String::new(),
            api_version: "apps/v1".into(),
        }
    }

    fn path(elements: &[&str]) -> Path {
        elements.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_conflict_is_named_in_the_message_and_its_cause() {
        let err = conflict_error(&[Conflict {
            manager: manager("kubectl", Operation::Update),
            path: path(&["f:spec", "f:replicas"]),
        }]);
        assert_eq!(err.code, 409);
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas"
        );
        let status = err.to_status();
        assert_eq!(status["reason"], "Conflict");
        assert_eq!(
            status["details"]["causes"],
            json!([{"type": "FieldManagerConflict", "message": "conflict with \"kubectl\" using apps/v1", "field": ".spec.replicas"}])
        );
    }

    #[test]
    fn several_conflicts_are_listed_by_manager() {
        let err = conflict_error(&[
            Conflict {
                manager: manager("b", Operation::Apply),
                path: path(&["f:spec", "f:replicas"]),
            },
            Conflict {
                manager: manager("a", Operation::Apply),
                path: path(&["f:spec", "f:paused"]),
            },
            Conflict {
                manager: manager("b", Operation::Apply),
                path: path(&["f:spec", "f:minReadySeconds"]),
            },
        ]);
        assert_eq!(
            err.message,
            "Apply failed with 3 conflicts: conflicts with \"a\":\n- .spec.paused\nconflicts with \"b\":\n- .spec.replicas\n- .spec.minReadySeconds"
        );
    }
}
