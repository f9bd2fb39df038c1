//! A controller's writes that do not read one another's outcome, made in
//! one commit ([`Registry::write_together`]) with the cache kept in step
//! with each, as [`Ctx::create`] and [`Ctx::update`] keep it.
//!
//! [`Registry::write_together`]: crate::registry::Registry::write_together

use std::sync::Arc;

use serde_json::Value;

use super::cache::Key;
use super::runner::{kind_info, options_for, target, typed, write_manager, Ctx};
use crate::registry::error::ApiError;
use crate::registry::{meta, Admission, Intent};

/// One write of [`Ctx::write_together`].
pub enum Write {
    Create {
        kind: &'static str,
        namespace: String,
        body: Value,
    },
    /// An update of the object, or of its status, preconditioned on the
    /// object's resourceVersion.
    Update {
        kind: &'static str,
        status: bool,
        object: Value,
    },
}

impl Ctx {
    /// Makes `writes` in one commit (see [`Registry::write_together`]),
    /// keeping the cache in step with each as [`Ctx::create`] and
    /// [`Ctx::update`] do; each one's outcome, in order.
    pub fn write_together(
        &mut self,
        writes: Vec<Write>,
        admission: Admission,
    ) -> Vec<Result<Arc<Value>, ApiError>> {
        let mut settled = Vec::with_capacity(writes.len());
        let mut intents = Vec::with_capacity(writes.len());
        for write in writes {
            let (kind, key, intent) = match self.intent(write) {
                Ok(intent) => intent,
                Err(err) => {
                    settled.push(Err(err));
                    continue;
                }
            };
            settled.push(Ok((kind, key)));
            intents.push(intent);
        }
        let mut outcomes = self.registry.write_together(intents, admission).into_iter();
        settled
            .into_iter()
            .map(|settled| {
                let (kind, key) = settled?;
                let outcome = outcomes
                    .next()
                    .unwrap_or_else(|| Err(ApiError::internal("a write has no outcome")));
                self.settle(kind, &key, outcome)
            })
            .collect()
    }

    fn intent(&self, write: Write) -> Result<(&'static str, Key, Intent), ApiError> {
        Ok(match write {
            Write::Create {
                kind,
                namespace,
                body,
            } => {
                let info = kind_info(kind)?;
                let options = self.create_options(kind, &body);
                let body = typed(info, body);
                let key = Key::new(kind, &namespace, meta::name(&body));
                let intent = Intent::Create {
                    kind: info,
                    namespace,
                    body,
                    options,
                };
                (kind, key, intent)
            }
            Write::Update {
                kind,
                status,
                object,
            } => {
                let info = kind_info(kind)?;
                let key = Key::of(kind, &object);
                let intent = Intent::Replace {
                    target: target(info, &key.namespace, &key.name),
                    status,
                    options: options_for(write_manager(kind, &object, self.manager)),
                    body: object,
                };
                (kind, key, intent)
            }
        })
    }
}
