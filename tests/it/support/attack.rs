//! Slow and hostile clients of a local control plane: raw TLS connections
//! that stop halfway through a request or sit idle, and what the server
//! spends on them (CPU time and open files, read from /proc).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::LocalServer;

/// The start of a request header that never ends.
pub const HALF_A_HEADER: &[u8] = b"GET /api HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow";

/// TLS to `server` as a client trusting its CA, offering `alpn`.
pub struct Dialer {
    connector: TlsConnector,
    address: String,
}

impl Dialer {
    pub fn new(server: &LocalServer, alpn: &[&[u8]]) -> Self {
        use rustls::pki_types::pem::PemObject;
        let ca = std::fs::read(server.state_dir().join("ca.crt")).expect("read ca.crt");
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from_pem_slice(&ca).expect("parse ca.crt"))
            .expect("add the CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Dialer {
            connector: TlsConnector::from(Arc::new(config)),
            address: server
                .url
                .strip_prefix("https://")
                .expect("an https URL")
                .to_string(),
        }
    }

    /// A connection whose TLS handshake is done.
    pub async fn connect(&self) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(&self.address).await?;
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("server name");
        self.connector.connect(name, tcp).await
    }

    /// Opens `n` connections, `parallel` at a time, each of which sends
    /// `prefix` after its handshake and then nothing. Returns those whose
    /// handshake was done and the time each was opened.
    pub async fn stalled(
        self: &Arc<Self>,
        n: usize,
        parallel: usize,
        prefix: &'static [u8],
    ) -> Vec<(Instant, TlsStream<TcpStream>)> {
        let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (dialer, gate) = (self.clone(), gate.clone());
                tokio::spawn(async move {
                    let _turn = gate.acquire().await.ok()?;
                    let mut tls = tokio::time::timeout(Duration::from_secs(60), dialer.connect())
                        .await
                        .ok()?
                        .ok()?;
                    let opened = Instant::now();
                    tls.write_all(prefix).await.ok()?;
                    tls.flush().await.ok()?;
                    Some((opened, tls))
                })
            })
            .collect();
        let mut open = Vec::new();
        for task in tasks {
            if let Ok(Some(conn)) = task.await {
                open.push(conn);
            }
        }
        open
    }
}

/// One stalled connection of a flood: when its handshake was done, when
/// the server closed it (None: still open when the flood gave up), and
/// what the server sent.
pub struct Stalled {
    pub opened: Instant,
    pub closed: Option<Instant>,
    pub sent: Vec<u8>,
}

/// A flood of stalled connections running on its runtime.
pub struct Flood {
    pub connections: Vec<tokio::task::JoinHandle<Option<Stalled>>>,
    /// How many handshakes are done so far.
    pub opened: tokio::sync::watch::Receiver<usize>,
}

impl Dialer {
    /// Starts `n` connections, `parallel` at a time, each of which sends
    /// `prefix` after its handshake, then nothing, and waits up to `within`
    /// for the server to close it. Call within a runtime.
    pub fn flood(
        self: &Arc<Self>,
        n: usize,
        parallel: usize,
        prefix: &'static [u8],
        within: Duration,
    ) -> Flood {
        let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
        let (count, opened) = tokio::sync::watch::channel(0usize);
        let count = Arc::new(count);
        let connections = (0..n)
            .map(|_| {
                let (dialer, gate, count) = (self.clone(), gate.clone(), count.clone());
                tokio::spawn(async move {
                    let turn = gate.acquire_owned().await.ok()?;
                    let mut tls = tokio::time::timeout(within, dialer.connect())
                        .await
                        .ok()?
                        .ok()?;
                    let opened = Instant::now();
                    count.send_modify(|n| *n += 1);
                    drop(turn);
                    tls.write_all(prefix).await.ok()?;
                    tls.flush().await.ok()?;
                    let (sent, closed) = until_closed(&mut tls, within).await;
                    Some(Stalled {
                        opened,
                        closed,
                        sent,
                    })
                })
            })
            .collect();
        Flood {
            connections,
            opened,
        }
    }
}

/// Reads until the server closes `stream` or `within` passes: what it
/// sent, and when it closed (None: still open).
pub async fn until_closed<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    within: Duration,
) -> (Vec<u8>, Option<Instant>) {
    let mut sent = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(n) => sent.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let closed = tokio::time::timeout(within, read).await.ok();
    (sent, closed)
}

/// Sends one whole HTTP/1.1 request on `stream` and reads its answer (a
/// Content-Length body): the status line.
pub async fn exchange<S>(stream: &mut S, path: &str, token: &str) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    stream.flush().await.expect("flush");
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("read the answer");
        assert!(
            n > 0,
            "closed mid-answer: {}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length answer");
            if body.len() >= length {
                return head.lines().next().unwrap_or_default().to_string();
            }
        }
    }
}

/// The CPU time (user + system) process `pid` has used.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the command name (which may hold spaces) in parentheses:
    // state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')').expect("a stat line").1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
}

fn clock_ticks() -> u64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("run getconf CLK_TCK");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK is a number")
}

/// How many files process `pid` has open.
pub fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("list /proc/PID/fd")
        .count()
}

/// The server's CPU use between two readings, as a fraction of one core.
pub struct CpuWindow {
    pid: u32,
    cpu: Duration,
    at: Instant,
}

impl CpuWindow {
    pub fn start(pid: u32) -> Self {
        CpuWindow {
            pid,
            cpu: cpu_time(pid),
            at: Instant::now(),
        }
    }

    /// CPU time used since the start, its share of the wall time, and the
    /// wall time.
    pub fn finish(&self) -> (Duration, f64, Duration) {
        let cpu = cpu_time(self.pid).saturating_sub(self.cpu);
        let wall = self.at.elapsed();
        (cpu, cpu.as_secs_f64() / wall.as_secs_f64(), wall)
    }
}

/// One GET of `path` with the server's token, given up after `within`:
/// the status, or why there was none.
pub fn get_within(server: &LocalServer, path: &str, within: Duration) -> Result<u16, String> {
    let request = server
        .client()
        .get(format!("{}{path}", server.url))
        .bearer_auth(server.token())
        .timeout(within);
    super::runtime().block_on(async move {
        let response = request.send().await.map_err(|e| format!("{e:?}"))?;
        Ok(response.status().as_u16())
    })
}
