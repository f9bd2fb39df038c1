//! Query parameters of API requests: list, watch, write and delete options.

use std::time::Duration;

use serde_json::Value;

use crate::registry::apply::FieldManager;
use crate::registry::error::ApiError;
use crate::registry::{DeleteOptions, FieldValidation, Propagation, WriteOptions};

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

    fn number(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "{key}: Invalid value: \"{text}\": must be an integer"
                ))
            }),
        }
    }

    /// DeleteOptions from the query, overridden by those in the body.
    pub fn delete_options(&self, body: Option<&Value>) -> Result<DeleteOptions, ApiError> {
        let mut options = DeleteOptions {
            grace_period_seconds: self.number("gracePeriodSeconds")?,
            propagation: match self.get("propagationPolicy") {
                Some(policy) => parse_propagation(policy)?,
                None if self.flag("orphanDependents") => Propagation::Orphan,
                None => Propagation::Background,
            },
            ..DeleteOptions::default()
        };
        let Some(body) = body else { return Ok(options) };
        if let Some(kind) = body.get("kind").and_then(Value::as_str) {
            if kind != "DeleteOptions" {
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"v1\" cannot be handled as a DeleteOptions"
                )));
            }
        }
        if let Some(grace) = body.get("gracePeriodSeconds") {
            options.grace_period_seconds = grace.as_i64().or(options.grace_period_seconds);
        }
        if let Some(policy) = body.get("propagationPolicy").and_then(Value::as_str) {
            options.propagation = parse_propagation(policy)?;
        } else if body.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
            options.propagation = Propagation::Orphan;
        }
        let text = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        options.precondition_uid = text("/preconditions/uid");
        options.precondition_resource_version = text("/preconditions/resourceVersion");
        if body
            .pointer("/dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            return Ok(options);
        }
        Ok(options)
    }
}

fn parse_propagation(policy: &str) -> Result<Propagation, ApiError> {
    match policy {
        "Orphan" => Ok(Propagation::Orphan),
        "Background" => Ok(Propagation::Background),
        "Foreground" => Ok(Propagation::Foreground),
        other => Err(ApiError::bad_request(format!(
            "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delete_options_come_from_query_and_body() {
        let params = Params::parse("gracePeriodSeconds=5&propagationPolicy=Orphan");
        let options = params.delete_options(None).unwrap();
        assert_eq!(options.grace_period_seconds, Some(5));
        assert_eq!(options.propagation, Propagation::Orphan);
        let body = json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                          "propagationPolicy": "Foreground", "preconditions": {"uid": "u1"}});
        let options = params.delete_options(Some(&body)).unwrap();
        assert_eq!(options.grace_period_seconds, Some(0));
        assert_eq!(options.propagation, Propagation::Foreground);
        assert_eq!(options.precondition_uid.as_deref(), Some("u1"));
        assert_eq!(
            Params::parse("propagationPolicy=Sideways")
                .delete_options(None)
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
        assert_eq!(Params::parse("limit=x").limit().unwrap_err().code, 400);
        assert_eq!(Params::parse("limit=3").limit().unwrap(), Some(3));
    }
}
