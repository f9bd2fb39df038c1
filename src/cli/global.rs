//! The global flags every command takes: kubeconfig selection and overrides,
//! as kubectl has them, and verbosity. Turns them, with the environment,
//! into loading rules and overrides for the client.

use std::path::PathBuf;

use crate::client::kubeconfig::{LoadingRules, Overrides};

#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Use the local control plane (started in the background if needed), whatever the kubeconfig says
    #[arg(long, global = true, conflicts_with = "kubeconfig")]
    pub local: bool,
    /// The kubeconfig context to use
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// The namespace; defaults to the context's namespace, else "default"
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// The address and port of the API server
    #[arg(short = 's', long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token for authentication to the API server
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Path to a certificate file for the certificate authority
    #[arg(long, global = true, value_name = "PATH")]
    pub certificate_authority: Option<String>,
    /// Do not verify the server's certificate (insecure)
    #[arg(long, global = true)]
    pub insecure_skip_tls_verify: bool,
    /// How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]
    #[arg(long, global = true, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)
    #[arg(
        short = 'v',
        long = "v",
        global = true,
        value_name = "LEVEL",
        default_value_t = 0
    )]
    pub verbosity: u8,
}

impl GlobalArgs {
    /// kubectl's loading rules: `--kubeconfig`, else `KUBECONFIG`, else
    /// `~/.kube/config`.
    pub fn loading_rules(&self) -> LoadingRules {
        let env_list = std::env::var_os("KUBECONFIG")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        LoadingRules {
            explicit: self.kubeconfig.clone(),
            env_list,
            home: std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")),
        }
    }

    pub fn overrides(&self) -> Overrides {
        Overrides {
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            namespace: self.namespace.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            certificate_authority: self.certificate_authority.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
        }
    }
}
