//! Image pulls that fail, for images matching --unpullable-images: the
//! kubelet's pull error (ErrImagePull), then its back-off
//! (ImagePullBackOff) until the next pull, with the events the real
//! kubelet's image manager records.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::status::{pod_status, pull_error, Sim};
use super::{container_names, glob_matches, image_of, Kubelet, COMPONENT};
use crate::controllers::cache::Key;
use crate::controllers::events;
use crate::controllers::runner::{Ctx, Next};
use crate::registry::error::ApiError;
use crate::registry::meta;

/// How soon after a failed pull the kubelet's next sync finds the image
/// backing off.
const NEXT_SYNC: Duration = Duration::from_millis(500);

impl Kubelet {
    /// The containers whose image matches --unpullable-images.
    pub(super) fn unpullable(&self, pod: &Value) -> Vec<String> {
        container_names(pod)
            .into_iter()
            .filter(|container| {
                let image = image_of(pod, container);
                self.options
                    .unpullable_images
                    .iter()
                    .any(|g| glob_matches(g, &image))
            })
            .collect()
    }

    /// One step of a pod whose image cannot be pulled: a pull that fails
    /// (ErrImagePull), or the back-off after it (ImagePullBackOff).
    pub(super) fn fail_pull(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        pod: &Value,
        containers: &[String],
    ) -> Result<Next, ApiError> {
        let now = Instant::now();
        let backoff = self.backoff();
        let clock = self.clocks.entry(key.clone()).or_default();
        clock.uid = meta::uid(pod).to_string();
        if let Some(due) = clock.next_pull.filter(|due| *due > now) {
            return Ok(Next::At(due));
        }
        let pulled =
            meta::str_at(pod, "/status/containerStatuses/0/state/waiting/reason") == "ErrImagePull";
        let (sim, due) = if pulled {
            (
                Sim::PullFailing { backing_off: true },
                now + backoff.nth(clock.pulls),
            )
        } else {
            clock.pulls += 1;
            (Sim::PullFailing { backing_off: false }, now + NEXT_SYNC)
        };
        clock.next_pull = Some(due);
        Self::write_status(ctx, pod, pod_status(pod, sim, None, &meta::now()));
        for container in containers {
            let image = image_of(pod, container);
            if pulled {
                let message = format!("Back-off pulling image \"{image}\"");
                events::normal(ctx, pod, COMPONENT, "BackOff", message);
                let message = "Error: ImagePullBackOff".to_string();
                events::warning(ctx, pod, COMPONENT, "Failed", message);
            } else {
                let message = format!("Pulling image \"{image}\"");
                events::normal(ctx, pod, COMPONENT, "Pulling", message);
                let message = format!("Failed to pull image \"{image}\": {}", pull_error(&image));
                events::warning(ctx, pod, COMPONENT, "Failed", message);
                let message = "Error: ErrImagePull".to_string();
                events::warning(ctx, pod, COMPONENT, "Failed", message);
            }
        }
        Ok(Next::At(due))
    }
}
