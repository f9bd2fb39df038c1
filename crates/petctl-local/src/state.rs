//! The local control plane's state directory: where it lives, the files in
//! it (kubeconfig, CA, token, pid, log, database) and writing them safely.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The name of the kubeconfig cluster, user and context.
pub const CONTEXT: &str = "petctl-local";

/// One method a file of the directory, returning its path.
macro_rules! files {
    ($($method:ident: $file:literal),+ $(,)?) => {
        $(pub fn $method(&self) -> PathBuf {
            self.root.join($file)
        })+
    };
}

/// The files of one local control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    pub root: PathBuf,
}

/// Where the state directory is when `--state-dir` is not given:
/// `$PETCTL_LOCAL_DIR`, else `$XDG_STATE_HOME/petctl/local`, else
/// `$HOME/.local/state/petctl/local`.
pub fn default_dir(
    petctl_local_dir: Option<PathBuf>,
    xdg_state_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf> {
    let non_empty = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = non_empty(petctl_local_dir) {
        return Ok(dir);
    }
    if let Some(state) = non_empty(xdg_state_home).filter(|p| p.is_absolute()) {
        return Ok(state.join("petctl/local"));
    }
    match non_empty(home) {
        Some(home) => Ok(home.join(".local/state/petctl/local")),
        None => bail!("cannot find a state directory: set PETCTL_LOCAL_DIR, XDG_STATE_HOME or HOME, or pass --state-dir"),
    }
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StateDir { root: root.into() }
    }

    /// Creates the directory (mode 0700) if it is missing, and makes an
    /// existing one 0700.
    pub fn create(&self) -> Result<()> {
        create_private_dir(&self.root)
            .with_context(|| format!("failed to create state directory {}", self.root.display()))?;
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("failed to restrict state directory {}", self.root.display()))
    }

    files! {
        kubeconfig: "kubeconfig", ca_key: "ca.key", ca_cert: "ca.crt", token: "token",
        pid: "server.pid", log: "server.log", lock: "server.lock", database: "store.redb",
    }

    /// Opens (creating, 0600) the lock file the running server holds.
    pub fn open_lock(&self) -> Result<fs::File> {
        let open = || {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(self.lock())?;
            restrict(&file)?;
            Ok::<_, std::io::Error>(file)
        };
        open().with_context(|| format!("failed to open {}", self.lock().display()))
    }

    /// The bearer token, created on first use and kept across restarts so a
    /// kubeconfig handed out earlier keeps working.
    pub fn load_or_create_token(&self) -> Result<String> {
        let path = self.token();
        match fs::read_to_string(&path) {
            Ok(token) if !token.trim().is_empty() => {
                restrict_path(&path)?;
                return Ok(token.trim().to_string());
            }
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err).with_context(|| format!("failed to read {}", path.display()))
            }
        }
        let token = new_token()?;
        write_private(&path, token.as_bytes())?;
        Ok(token)
    }

    /// The pid recorded by a running server, if any.
    pub fn read_pid(&self) -> Result<Option<i32>> {
        match fs::read_to_string(self.pid()) {
            Ok(text) => text
                .trim()
                .parse()
                .map(Some)
                .with_context(|| format!("{} does not hold a pid", self.pid().display())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => {
                Err(err).with_context(|| format!("failed to read {}", self.pid().display()))
            }
        }
    }

    /// The last `lines` lines of server.log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(self.log()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// 32 random bytes, hex encoded.
fn new_token() -> Result<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("failed to generate a token: no system randomness"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Directories the server creates (the state dir, volumes): 0700 from the
/// start, whatever the umask.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

/// Makes an open file 0600 (fchmod): the mode given to `open` is narrowed
/// by the umask, and a file that already existed keeps its mode.
pub fn restrict(file: &fs::File) -> std::io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

/// Makes the existing file at `path` 0600.
pub fn restrict_path(path: &Path) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("failed to restrict {}", path.display()))
}

/// Writes `contents` to `path` with mode 0600, atomically (temp file + rename).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomically(path, contents, 0o600)
}

/// Writes `contents` to `path` with `mode`, atomically (temp file + rename).
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed `mode`.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().with_context(|| format!("failed to write {}", path.display()))
}

/// How a kubeconfig user authenticates to the local control plane.
pub enum Credential<'a> {
    /// The administrator's bearer token.
    Token(&'a str),
    /// A client certificate issued by the local CA, and its key (PEM).
    Certificate { cert_pem: &'a str, key_pem: &'a str },
}

/// The administrator's kubeconfig for the local control plane: one cluster,
/// user and context, all named `petctl-local`.
pub fn kubeconfig_yaml(server: &str, ca_pem: &str, token: &str) -> String {
    user_kubeconfig_yaml(server, ca_pem, CONTEXT, CONTEXT, Credential::Token(token))
}

/// A kubeconfig for the local control plane's cluster with one user and
/// one context.
pub fn user_kubeconfig_yaml(
    server: &str,
    ca_pem: &str,
    user: &str,
    context: &str,
    credential: Credential<'_>,
) -> String {
    let ca_data = base64_encode(ca_pem.as_bytes());
    let (user, context) = (yaml_scalar(user), yaml_scalar(context));
    let credential = match credential {
        Credential::Token(token) => format!("token: {token}"),
        Credential::Certificate { cert_pem, key_pem } => format!(
            "client-certificate-data: {}\n    client-key-data: {}",
            base64_encode(cert_pem.as_bytes()),
            base64_encode(key_pem.as_bytes())
        ),
    };
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
    certificate-authority-data: {ca_data}
users:
- name: {user}
  user:
    {credential}
contexts:
- name: {context}
  context:
    cluster: {CONTEXT}
    user: {user}
    namespace: default
current-context: {context}
preferences: {{}}
"
    )
}

/// A name as a YAML scalar: plain when that is unambiguous, else quoted.
fn yaml_scalar(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if plain {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// The server URL and token from a kubeconfig written by [`kubeconfig_yaml`].
pub fn read_kubeconfig(text: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(name).map(|v| v.trim().to_string()))
    };
    Some((field("server:")?, field("token:")?))
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_follows_precedence() {
        let p = |s: &str| Some(PathBuf::from(s));
        for (local, xdg, home, want) in [
            (p("/x"), p("/s"), p("/h"), Some("/x")),
            (None, p("/s"), p("/h"), Some("/s/petctl/local")),
            (
                Some(PathBuf::new()),
                p("/s"),
                p("/h"),
                Some("/s/petctl/local"),
            ),
            (
                None,
                p("relative"),
                p("/h"),
                Some("/h/.local/state/petctl/local"),
            ),
            (None, None, p("/h"), Some("/h/.local/state/petctl/local")),
            (None, None, None, None),
        ] {
            let got = default_dir(local, xdg, home).ok();
            assert_eq!(got, want.map(PathBuf::from));
        }
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), want);
        }
    }

    #[test]
    fn kubeconfig_round_trips_server_and_token() {
        let text = kubeconfig_yaml("https://127.0.0.1:6443", "PEM", "tok");
        assert_eq!(
            read_kubeconfig(&text),
            Some(("https://127.0.0.1:6443".to_string(), "tok".to_string()))
        );
        assert!(text.contains("current-context: petctl-local"));
    }
}
