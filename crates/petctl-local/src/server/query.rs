//! Query parameters of API requests: list, watch, write and delete options.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::registry::apply::FieldManager;
use crate::registry::error::{ApiError, Cause};
use crate::registry::{DeleteOptions, FieldValidation, PropagationPolicy, WriteOptions};
use crate::store::Revision;
use petctl_model::field_path::FieldPath;

/// The decoded query string, and the User-Agent that names the field
/// manager of a write without `fieldManager`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    query: Vec<(String, String)>,
    user_agent: Option<String>,
}

impl Params {
    pub fn parse(query: &str) -> Self {
        Params {
            query: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            user_agent: None,
        }
    }

    pub fn with_user_agent(mut self, user_agent: Option<&str>) -> Self {
        self.user_agent = user_agent.map(str::to_string);
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("1" | "true" | "True"))
    }

    pub fn write_options(&self) -> Result<WriteOptions, ApiError> {
        let dry_run = match self.get("dryRun") {
            None | Some("") => false,
            Some("All") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "dryRun: Unsupported value: \"{other}\": supported values: \"All\""
                )))
            }
        };
        Ok(WriteOptions {
            dry_run,
            field_validation: FieldValidation::parse(self.get("fieldValidation").unwrap_or(""))?,
            manager: FieldManager {
                field_manager: self.get("fieldManager").map(str::to_string),
                user_agent: self.user_agent.clone(),
                force: self.get("force").map(|_| self.flag("force")),
                ..FieldManager::default()
            },
        })
    }

    pub fn limit(&self) -> Result<Option<usize>, ApiError> {
        self.number("limit")
            .map(|n| n.map(|n| usize::try_from(n.max(0)).unwrap_or(usize::MAX)))
    }

    pub fn timeout(&self) -> Result<Option<Duration>, ApiError> {
        Ok(self
            .number("timeoutSeconds")?
            .map(|n| Duration::from_secs(u64::try_from(n.max(0)).unwrap_or(0))))
    }

    /// An integer parameter. A bad one is the 400 of the parameter codec,
    /// which reports `strconv.ParseInt`'s error as it is
    /// (`Convert_Slice_string_To_Pointer_int64` in
    /// apimachinery/pkg/runtime/conversion.go; handlers/get.go wraps it in
    /// NewBadRequest).
    fn number(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|err| {
                ApiError::bad_request(format!(
                    "strconv.ParseInt: parsing {text:?}: {}",
                    go_parse_error(&err)
                ))
            }),
        }
    }

    /// The `resourceVersion` of a list or watch: None for "" and "0" (any
    /// state will do). One that is not a number is refused as
    /// `storage.ValidateListOptions` refuses it
    /// (staging/src/k8s.io/apiserver/pkg/storage/util.go, on
    /// `APIObjectVersioner.ParseResourceVersion`).
    pub fn resource_version(&self) -> Result<Option<Revision>, ApiError> {
        match self.get("resourceVersion") {
            None | Some("") | Some("0") => Ok(None),
            Some(text) => text.parse::<Revision>().map(Some).map_err(|err| {
                ApiError::bad_request(format!(
                    "invalid resource version: resourceVersion: Invalid value: {text:?}: strconv.ParseUint: parsing {text:?}: {}",
                    go_parse_error(&err)
                ))
            }),
        }
    }

    /// The DeleteOptions of a DELETE: decoded from the body when there is
    /// one, else from the query, never a mix of the two; then validated
    /// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/delete.go,
    /// `ValidateDeleteOptions` in apimachinery/pkg/apis/meta/internalversion/validation).
    pub fn delete_options(&self, body: Option<&Value>) -> Result<DeleteOptions, ApiError> {
        let options = match body {
            Some(body) => {
                if let Some(kind) = body.get("kind").and_then(Value::as_str) {
                    if kind != "DeleteOptions" {
                        return Err(ApiError::bad_request(format!(
                            "{kind} in version \"v1\" cannot be handled as a DeleteOptions"
                        )));
                    }
                }
                if let Some(policy) = body.get("propagationPolicy").and_then(Value::as_str) {
                    parse_propagation(policy)?;
                }
                DeleteOptions::deserialize(body).map_err(|err| {
                    ApiError::bad_request(format!("unable to decode DeleteOptions: {err}"))
                })?
            }
            None => DeleteOptions {
                grace_period_seconds: self.number("gracePeriodSeconds")?,
                propagation_policy: self
                    .get("propagationPolicy")
                    .map(parse_propagation)
                    .transpose()?,
                orphan_dependents: self.get("orphanDependents").map(|v| v == "true"),
                dry_run: self.all("dryRun"),
                preconditions: None,
            },
        };
        if options.orphan_dependents.is_some() {
            if let Some(policy) = options.propagation_policy {
                return Err(invalid_delete_options(Cause::invalid(
                    FieldPath::parse("propagationPolicy"),
                    &json!(format!("{policy:?}")),
                    "orphanDependents and deletionPropagation cannot be both set",
                )));
            }
        }
        if options.dry_run.iter().any(|d| d != "All") {
            return Err(invalid_delete_options(Cause::new(
                "FieldValueNotSupported",
                "dryRun",
                format!(
                    "Unsupported value: {}: supported values: \"All\"",
                    json!(options.dry_run)
                ),
            )));
        }
        Ok(options)
    }

    /// Every value of a repeated parameter (`dryRun=All&dryRun=All`).
    fn all(&self, key: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// How Go's strconv names a failed integer parse.
fn go_parse_error(err: &std::num::ParseIntError) -> &'static str {
    match err.kind() {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
            "value out of range"
        }
        _ => "invalid syntax",
    }
}

fn parse_propagation(policy: &str) -> Result<PropagationPolicy, ApiError> {
    match policy {
        "Orphan" => Ok(PropagationPolicy::Orphan),
        "Background" => Ok(PropagationPolicy::Background),
        "Foreground" => Ok(PropagationPolicy::Foreground),
        other => Err(invalid_delete_options(Cause::new(
            "FieldValueNotSupported",
            "propagationPolicy",
            format!("Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""),
        ))),
    }
}

/// `errors.NewInvalid(schema.GroupKind{Group: "meta.k8s.io", Kind: "DeleteOptions"}, "", errs)`.
fn invalid_delete_options(cause: Cause) -> ApiError {
    ApiError::new(
        422,
        "Invalid",
        format!(
            "DeleteOptions.meta.k8s.io \"\" is invalid: {}: {}",
            cause.field, cause.message
        ),
    )
    .with_details(json!({
        "group": "meta.k8s.io",
        "kind": "DeleteOptions",
        "causes": [{"reason": cause.reason, "message": cause.message, "field": cause.field}],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delete_options_come_from_query_and_body() {
        let params = Params::parse("gracePeriodSeconds=5&propagationPolicy=Orphan&dryRun=All");
        let options = params.delete_options(None).unwrap();
        assert_eq!(options.grace_period_seconds, Some(5));
        assert_eq!(options.propagation(), PropagationPolicy::Orphan);
        assert!(options.is_dry_run());
        // A body replaces the query entirely, as in handlers/delete.go.
        let body = json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                          "propagationPolicy": "Foreground", "preconditions": {"uid": "u1"}});
        let options = params.delete_options(Some(&body)).unwrap();
        assert_eq!(options.grace_period_seconds, Some(0));
        assert_eq!(options.propagation(), PropagationPolicy::Foreground);
        assert_eq!(options.precondition_uid(), Some("u1"));
        assert!(!options.is_dry_run());
        let orphan = json!({"orphanDependents": false});
        let options = params.delete_options(Some(&orphan)).unwrap();
        assert_eq!(options.propagation(), PropagationPolicy::Background);
        for (query, body) in [
            ("propagationPolicy=Sideways", None),
            ("", Some(json!({"propagationPolicy": "Sideways"}))),
            (
                "",
                Some(json!({"propagationPolicy": "Orphan", "orphanDependents": true})),
            ),
            ("dryRun=Some", None),
        ] {
            let err = Params::parse(query)
                .delete_options(body.as_ref())
                .unwrap_err();
            assert_eq!(err.code, 422, "{query} {body:?}");
            assert!(err
                .message
                .starts_with("DeleteOptions.meta.k8s.io \"\" is invalid: "));
        }
        assert_eq!(
            Params::parse("")
                .delete_options(Some(&json!({"kind": "Pod"})))
                .unwrap_err()
                .code,
            400
        );
    }

    #[test]
    fn write_options() {
        let options = Params::parse("dryRun=All&fieldValidation=Strict")
            .write_options()
            .unwrap();
        assert!(options.dry_run);
        assert_eq!(options.field_validation, FieldValidation::Strict);
        assert_eq!(
            Params::parse("dryRun=Some")
                .write_options()
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            Params::parse("fieldValidation=Loud")
                .write_options()
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            Params::parse("limit=x").limit().unwrap_err().message,
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            Params::parse("timeoutSeconds=99999999999999999999")
                .timeout()
                .unwrap_err()
                .message,
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            Params::parse("resourceVersion=0")
                .resource_version()
                .unwrap(),
            None
        );
        assert_eq!(
            Params::parse("resourceVersion=7")
                .resource_version()
                .unwrap(),
            Some(7)
        );
        assert_eq!(
            Params::parse("resourceVersion=-1").resource_version().unwrap_err().message,
            "invalid resource version: resourceVersion: Invalid value: \"-1\": strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(Params::parse("limit=3").limit().unwrap(), Some(3));
    }
}
