//! Discovery: which set kinds the server serves — PetSet (apps/v1alpha1,
//! Kubernetes 1.3/1.4), StatefulSet (apps/v1, and the older apps/v1beta1 and
//! v1beta2) — cached on disk like kubectl's discovery cache, with a TTL, and
//! refreshed on a miss.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::Error;
use super::transport::{Client, Method};

/// How long a cached discovery answer is trusted (kubectl: 6 hours).
pub const CACHE_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// What the server serves, as far as petctl cares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    /// `group/version` → resource plural names (no subresources).
    pub resources: Vec<(String, Vec<String>)>,
}

impl Served {
    pub fn serves(&self, group_version: &str, plural: &str) -> bool {
        self.resources
            .iter()
            .any(|(gv, names)| gv == group_version && names.iter().any(|n| n == plural))
    }

    pub fn petsets(&self) -> bool {
        self.serves("apps/v1alpha1", "petsets")
    }

    /// The newest StatefulSet version served, if any.
    pub fn statefulset_version(&self) -> Option<&'static str> {
        ["apps/v1", "apps/v1beta2", "apps/v1beta1"]
            .into_iter()
            .find(|gv| self.serves(gv, "statefulsets"))
    }
}

/// Where the cache for one server lives: `DIR/<host_port>/served.json`.
pub fn cache_file(cache_dir: &Path, server: &str) -> PathBuf {
    let host: String = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache_dir.join(host).join("served.json")
}

/// The cached answer, when it is younger than the TTL.
pub fn read_cache(file: &Path, now: SystemTime) -> Option<Served> {
    let modified = std::fs::metadata(file).ok()?.modified().ok()?;
    if now.duration_since(modified).ok()? > CACHE_TTL {
        return None;
    }
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

fn write_cache(file: &Path, served: &Served) {
    // The cache is an optimisation: failing to write it is not an error.
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(bytes) = serde_json::to_vec(served) {
        let _ = std::fs::write(file, bytes);
    }
}

/// Asks the server which apps versions and resources it serves.
pub async fn fetch(client: &Client) -> Result<Served, Error> {
    let groups: Value = client
        .send(Method::GET, "/apis", None)
        .await
        .map_err(|e| not_kubernetes(client, e))?
        .json(client.server())?;
    if groups.get("kind").and_then(Value::as_str) != Some("APIGroupList") {
        return Err(Error::NotKubernetes {
            server: client.server().to_string(),
            reason: "/apis did not answer with an APIGroupList".into(),
        });
    }
    let mut served = Served::default();
    let apps_versions: Vec<String> = groups["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["name"] == "apps")
        .flat_map(|g| g["versions"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["groupVersion"].as_str().map(str::to_string))
        .collect();
    for gv in apps_versions {
        let list: Value = client
            .send(Method::GET, &format!("/apis/{gv}"), None)
            .await?
            .json(client.server())?;
        let names = list["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .filter(|n| !n.contains('/'))
            .map(str::to_string)
            .collect();
        served.resources.push((gv, names));
    }
    Ok(served)
}

fn not_kubernetes(client: &Client, err: Error) -> Error {
    match err {
        Error::Api { code: 404, .. } => Error::NotKubernetes {
            server: client.server().to_string(),
            reason: "it has no /apis endpoint".into(),
        },
        other => other,
    }
}

/// Discovery through the cache. `fresh` bypasses it (a miss: the kind the
/// caller wanted was not in the cached answer).
pub async fn served(
    client: &Client,
    cache_dir: Option<&Path>,
    fresh: bool,
) -> Result<Served, Error> {
    let file = cache_dir.map(|d| cache_file(d, client.server()));
    if let (Some(file), false) = (&file, fresh) {
        if let Some(cached) = read_cache(file, SystemTime::now()) {
            return Ok(cached);
        }
    }
    let served = fetch(client).await?;
    if let Some(file) = &file {
        write_cache(file, &served);
    }
    Ok(served)
}

/// The plural name and scope of `kind` in `api_version`, from the server's
/// resource list, for kinds that are not in petctl's own table.
pub async fn resource(
    client: &Client,
    api_version: &str,
    kind: &str,
) -> Result<Option<(String, bool)>, Error> {
    let path = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    let list: Value = match client.send(Method::GET, &path, None).await {
        Ok(resp) => resp.json(client.server())?,
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err),
    };
    Ok(list["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["kind"] == kind && r["name"].as_str().is_some_and(|n| !n.contains('/')))
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["namespaced"].as_bool().unwrap_or(true),
            )
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(pairs: &[(&str, &[&str])]) -> Served {
        Served {
            resources: pairs
                .iter()
                .map(|(gv, names)| {
                    (
                        gv.to_string(),
                        names.iter().map(|n| n.to_string()).collect(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn set_kinds() {
        let old = served(&[("apps/v1alpha1", &["petsets"])]);
        assert!(old.petsets());
        assert_eq!(old.statefulset_version(), None);
        let new = served(&[
            ("apps/v1", &["statefulsets", "deployments"]),
            ("apps/v1beta1", &["statefulsets"]),
        ]);
        assert!(!new.petsets());
        assert_eq!(new.statefulset_version(), Some("apps/v1"));
    }

    #[test]
    fn cache_expires() {
        let dir = tempfile::tempdir().unwrap();
        let file = cache_file(dir.path(), "https://127.0.0.1:6443");
        assert!(file.ends_with("127.0.0.1_6443/served.json"));
        let s = served(&[("apps/v1", &["statefulsets"])]);
        write_cache(&file, &s);
        assert_eq!(read_cache(&file, SystemTime::now()), Some(s));
        assert_eq!(
            read_cache(
                &file,
                SystemTime::now() + CACHE_TTL + Duration::from_secs(1)
            ),
            None
        );
    }
}
