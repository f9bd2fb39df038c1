//! Kubeconfig files: loading and merging them the way kubectl does, and
//! resolving the context, cluster, user and namespace to use, with the
//! command-line overrides applied.
//!
//! Merging follows client-go's loading rules: with a list of files
//! (`KUBECONFIG`), the first file to define a cluster, user or context by
//! name wins, and the first non-empty `current-context` wins. Relative paths
//! in a file are resolved against that file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

/// A kubeconfig file (`kind: Config`, apiVersion v1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<NamedCluster>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub contexts: Vec<NamedContext>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub current_context: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<NamedUser>,
}

fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedCluster {
    pub name: String,
    #[serde(default)]
    pub cluster: Cluster,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedContext {
    pub name: String,
    #[serde(default)]
    pub context: Context,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedUser {
    pub name: String,
    #[serde(default)]
    pub user: AuthInfo,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Cluster {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server: String,
    pub certificate_authority: Option<String>,
    pub certificate_authority_data: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
    pub proxy_url: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disable_compression: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Context {
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuthInfo {
    pub client_certificate: Option<String>,
    pub client_certificate_data: Option<String>,
    pub client_key: Option<String>,
    pub client_key_data: Option<String>,
    pub token: Option<String>,
    #[serde(rename = "tokenFile")]
    pub token_file: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub exec: Option<ExecConfig>,
}

/// An exec credential plugin (client.authentication.k8s.io).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecConfig {
    #[serde(default)]
    pub api_version: String,
    pub command: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub args: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub env: Vec<ExecEnvVar>,
    pub install_hint: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub provide_cluster_info: bool,
    /// Never, IfAvailable or Always; defaults to IfAvailable.
    pub interactive_mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecEnvVar {
    pub name: String,
    pub value: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where kubeconfig files come from, in kubectl's order of precedence. The
/// CLI fills this in from flags and the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadingRules {
    /// `--kubeconfig`: only this file, which must exist.
    pub explicit: Option<PathBuf>,
    /// `KUBECONFIG`, split: merged, missing files skipped.
    pub env_list: Vec<PathBuf>,
    /// `~/.kube/config`, used when neither of the above is given.
    pub home: Option<PathBuf>,
}

impl LoadingRules {
    /// Only the file at `path`, as `--kubeconfig` names one.
    pub fn only(path: PathBuf) -> LoadingRules {
        LoadingRules {
            explicit: Some(path),
            ..Default::default()
        }
    }

    /// The files to read, in precedence order.
    pub fn files(&self) -> Vec<PathBuf> {
        if let Some(explicit) = &self.explicit {
            return vec![explicit.clone()];
        }
        let listed = self.listed();
        if !listed.is_empty() {
            return listed;
        }
        self.home.iter().cloned().collect()
    }

    /// The `KUBECONFIG` entries, empty ones and repeats left out; an empty
    /// `KUBECONFIG` counts as unset, as in client-go.
    fn listed(&self) -> Vec<PathBuf> {
        let mut seen: Vec<PathBuf> = Vec::new();
        for path in &self.env_list {
            if !path.as_os_str().is_empty() && !seen.contains(path) {
                seen.push(path.clone());
            }
        }
        seen
    }
}

/// The merged configuration and which files it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Kubeconfig,
    pub files: Vec<PathBuf>,
}

impl Loaded {
    /// True when no file defined anything: kubectl would fall back to
    /// in-cluster config, petctl then to the local control plane.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Reads and merges the files named by `rules`.
pub fn load(rules: &LoadingRules) -> anyhow::Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in rules.files() {
        let explicit = rules.explicit.as_deref() == Some(path.as_path());
        let bytes = match crate::auth::read_capped(&path, "kubeconfig") {
            Ok(bytes) => bytes,
            Err(err)
                if !explicit
                    && err
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
            {
                continue
            }
            Err(err) => return Err(err),
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!("invalid kubeconfig {}: not UTF-8 text", path.display())
        })?;
        let mut file =
            parse(&text).with_context(|| format!("invalid kubeconfig {}", path.display()))?;
        resolve_paths(&mut file, path.parent().unwrap_or(Path::new(".")));
        merge_into(&mut loaded.config, file);
        loaded.files.push(path);
    }
    // kubectl skips missing KUBECONFIG entries, and with none left would
    // fall back to another cluster; a list that names no file at all is a
    // typo, never a choice of the local control plane.
    let listed = rules.listed();
    if rules.explicit.is_none() && !listed.is_empty() && loaded.files.is_empty() {
        let names: Vec<String> = listed.iter().map(|p| p.display().to_string()).collect();
        bail!("KUBECONFIG names no file that exists: {}", names.join(", "));
    }
    Ok(loaded)
}

/// Parses one kubeconfig file. An empty file is an empty config.
pub fn parse(text: &str) -> anyhow::Result<Kubeconfig> {
    if text.trim().is_empty() {
        return Ok(Kubeconfig::default());
    }
    let config: Kubeconfig =
        serde_yaml_ng::from_str(text).map_err(|err| anyhow::anyhow!("{err}"))?;
    if !config.kind.is_empty() && config.kind != "Config" {
        bail!("kind is {:?}, expected \"Config\"", config.kind);
    }
    Ok(config)
}

/// First definition of each name wins; the first non-empty current-context
/// wins.
fn merge_into(merged: &mut Kubeconfig, file: Kubeconfig) {
    fn add<T>(into: &mut Vec<T>, from: Vec<T>, name: impl Fn(&T) -> &str) {
        for item in from {
            if !into.iter().any(|have| name(have) == name(&item)) {
                into.push(item);
            }
        }
    }
    add(&mut merged.clusters, file.clusters, |c| &c.name);
    add(&mut merged.contexts, file.contexts, |c| &c.name);
    add(&mut merged.users, file.users, |u| &u.name);
    if merged.current_context.is_empty() {
        merged.current_context = file.current_context;
    }
    if merged.preferences.is_none() {
        merged.preferences = file.preferences;
    }
}

/// Makes the file references in `config` absolute, relative to `dir`. As in
/// client-go, an exec command is a file reference only when it contains a
/// path separator; a bare name is looked up on PATH.
fn resolve_paths(config: &mut Kubeconfig, dir: &Path) {
    let absolute = |p: &mut Option<String>| {
        if let Some(path) = p.as_mut().filter(|s| !s.is_empty()) {
            if Path::new(path.as_str()).is_relative() {
                *path = dir.join(path.as_str()).to_string_lossy().into_owned();
            }
        }
    };
    for cluster in &mut config.clusters {
        absolute(&mut cluster.cluster.certificate_authority);
    }
    for user in &mut config.users {
        let user = &mut user.user;
        absolute(&mut user.client_certificate);
        absolute(&mut user.client_key);
        absolute(&mut user.token_file);
        if let Some(exec) = &mut user.exec {
            if exec.command.contains('/') {
                let mut command = Some(std::mem::take(&mut exec.command));
                absolute(&mut command);
                exec.command = command.unwrap_or_default();
            }
        }
    }
}

/// Command-line overrides: kubectl's `--context`, `--cluster`, `--user`,
/// `-n`, `--server`, `--token`, `--certificate-authority` and
/// `--insecure-skip-tls-verify`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub certificate_authority: Option<String>,
    pub insecure_skip_tls_verify: bool,
}

/// client-go's words for a CA beside insecure-skip-tls-verify.
const INSECURE_WITH_CA: &str =
    "specifying a root certificates file with the insecure flag is not allowed";

/// The context petctl will use, with the cluster and user it names.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub context_name: String,
    pub cluster_name: String,
    pub user_name: String,
    pub namespace: String,
    pub cluster: Cluster,
    pub user: AuthInfo,
}

/// Picks the context, cluster and user, applying `overrides`, with kubectl's
/// error messages for names that do not exist.
pub fn resolve(config: &Kubeconfig, overrides: &Overrides) -> anyhow::Result<Resolved> {
    let context_name = overrides
        .context
        .clone()
        .unwrap_or_else(|| config.current_context.clone());
    let context = if context_name.is_empty() {
        Context::default()
    } else {
        match config.contexts.iter().find(|c| c.name == context_name) {
            Some(c) => c.context.clone(),
            None => bail!(
                "context {context_name:?} not found in the kubeconfig{}",
                available(config.contexts.iter().map(|c| c.name.as_str()))
            ),
        }
    };
    let cluster_name = overrides.cluster.clone().unwrap_or(context.cluster);
    let user_name = overrides.user.clone().unwrap_or(context.user);
    let mut cluster = match config.clusters.iter().find(|c| c.name == cluster_name) {
        Some(c) => c.cluster.clone(),
        None if cluster_name.is_empty() => Cluster::default(),
        None => bail!(
            "cluster {cluster_name:?} not found in the kubeconfig{}",
            available(config.clusters.iter().map(|c| c.name.as_str()))
        ),
    };
    let mut user = match config.users.iter().find(|u| u.name == user_name) {
        Some(u) => u.user.clone(),
        None if user_name.is_empty() => AuthInfo::default(),
        None => bail!(
            "user {user_name:?} not found in the kubeconfig{}",
            available(config.users.iter().map(|u| u.name.as_str()))
        ),
    };
    if let Some(server) = &overrides.server {
        cluster.server = server.clone();
    }
    if let Some(ca) = &overrides.certificate_authority {
        cluster.certificate_authority = Some(ca.clone());
        cluster.certificate_authority_data = None;
    }
    // As clientcmd: the flag clears a CA from the kubeconfig, but a CA and
    // the insecure setting side by side are refused, as client-go's
    // tlsConfigFor refuses them.
    if overrides.insecure_skip_tls_verify {
        if overrides.certificate_authority.is_some() {
            bail!("{INSECURE_WITH_CA} (--certificate-authority and --insecure-skip-tls-verify)");
        }
        cluster.insecure_skip_tls_verify = true;
        cluster.certificate_authority = None;
        cluster.certificate_authority_data = None;
    }
    let has_ca = |v: &Option<String>| v.as_deref().is_some_and(|c| !c.is_empty());
    if cluster.insecure_skip_tls_verify
        && (has_ca(&cluster.certificate_authority) || has_ca(&cluster.certificate_authority_data))
    {
        bail!("{INSECURE_WITH_CA} (cluster {cluster_name:?} sets certificate-authority and insecure-skip-tls-verify)");
    }
    if let Some(token) = &overrides.token {
        user.token = Some(token.clone());
        user.token_file = None;
    }
    let namespace = overrides
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| (!context.namespace.is_empty()).then(|| context.namespace.clone()))
        .unwrap_or_else(|| "default".to_string());
    if cluster.server.is_empty() {
        bail!("no server found for cluster {cluster_name:?}: set one in the kubeconfig or pass --server");
    }
    Ok(Resolved {
        context_name,
        cluster_name,
        user_name,
        namespace,
        cluster,
        user,
    })
}

fn available<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<_> = names.collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (it has: {})", names.join(", "))
    }
}

/// Placeholder kubectl prints instead of embedded certificate and key data.
pub const DATA_OMITTED: &str = "DATA+OMITTED";
/// Placeholder kubectl prints instead of tokens and passwords.
pub const REDACTED: &str = "REDACTED";

impl Cluster {
    fn redact(&mut self) {
        if self.certificate_authority_data.is_some() {
            self.certificate_authority_data = Some(DATA_OMITTED.into());
        }
    }
}

impl AuthInfo {
    /// Replaces every secret with kubectl's placeholders.
    pub fn redact(&mut self) {
        for (field, with) in [
            (&mut self.client_certificate_data, DATA_OMITTED),
            (&mut self.client_key_data, DATA_OMITTED),
            (&mut self.token, REDACTED),
            (&mut self.password, REDACTED),
        ] {
            if field.is_some() {
                *field = Some(with.to_string());
            }
        }
        if let Some(exec) = &mut self.exec {
            for var in &mut exec.env {
                var.value = REDACTED.into();
            }
        }
    }
}

impl Kubeconfig {
    /// The same config with every secret replaced by kubectl's placeholders.
    pub fn redacted(mut self) -> Self {
        for cluster in &mut self.clusters {
            cluster.cluster.redact();
        }
        for user in &mut self.users {
            user.user.redact();
        }
        self
    }
}

impl Resolved {
    /// The minified kubeconfig (`config view --minify`): just this context,
    /// its cluster and its user, with the overrides applied.
    pub fn minified(&self) -> Kubeconfig {
        Kubeconfig {
            api_version: "v1".into(),
            kind: "Config".into(),
            clusters: vec![NamedCluster {
                name: self.cluster_name.clone(),
                cluster: self.cluster.clone(),
            }],
            contexts: vec![NamedContext {
                name: self.context_name.clone(),
                context: Context {
                    cluster: self.cluster_name.clone(),
                    user: self.user_name.clone(),
                    namespace: self.namespace.clone(),
                },
            }],
            current_context: self.context_name.clone(),
            preferences: Some(serde_json::json!({})),
            users: vec![NamedUser {
                name: self.user_name.clone(),
                user: self.user.clone(),
            }],
        }
    }
}

/// Names in a kubeconfig, for messages and completion.
pub fn context_names(config: &Kubeconfig) -> BTreeMap<String, String> {
    config
        .contexts
        .iter()
        .map(|c| (c.name.clone(), c.context.cluster.clone()))
        .collect()
}
