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
use crate::registry::{meta, Intent};

/// A write's stored object, or why it failed.
pub type Outcome = Result<Arc<Value>, ApiError>;

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
    /// Makes `groups` of writes in one commit (see
    /// [`Registry::write_together`]), keeping the cache in step with each
    /// as [`Ctx::create`] and [`Ctx::update`] do; each one's outcome, by
    /// group and in order.
    ///
    /// [`Registry::write_together`]: crate::registry::Registry::write_together
    pub fn write_together(&mut self, groups: Vec<Vec<Write>>) -> Vec<Vec<Outcome>> {
        let mut keys = Vec::with_capacity(groups.len());
        let mut intents = Vec::with_capacity(groups.len());
        for group in groups {
            let size = group.len();
            let made: Result<Vec<_>, _> = group.into_iter().map(|w| self.intent(w)).collect();
            match made {
                Ok(made) => {
                    let (written, group): (Vec<_>, Vec<_>) = made
                        .into_iter()
                        .map(|(kind, key, intent)| ((kind, key), intent))
                        .unzip();
                    keys.push(Ok(written));
                    intents.push(group);
                }
                Err(err) => keys.push(Err((err, size))),
            }
        }
        let mut outcomes = self.registry.write_together(intents).into_iter();
        keys.into_iter()
            .map(|written| match written {
                Err((err, size)) => vec![Err(err); size],
                Ok(written) => {
                    let mut group = outcomes.next().unwrap_or_default().into_iter();
                    written
                        .into_iter()
                        .map(|(kind, key)| {
                            let outcome = group.next().unwrap_or_else(|| {
                                Err(ApiError::internal("a write has no outcome"))
                            });
                            self.settle(kind, &key, outcome)
                        })
                        .collect()
                }
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
