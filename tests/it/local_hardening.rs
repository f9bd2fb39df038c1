//! Connection hardening of the local API server: the header-read and idle
//! timeouts as Go's net/http applies them, the per-address cap, the
//! backoff when out of file descriptors, and HTTP/2 answers sent before
//! the body is read. The floods are bounded: the server keeps serving and
//! stays below 10 % of a core.

use std::os::unix::process::CommandExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::support::attack::{
    cpu_time, exchange, get_within, open_files, until_closed, CpuWindow, Dialer, Stalled,
    HALF_A_HEADER,
};
use crate::support::LocalServer;

const HTTP1: &[&[u8]] = &[b"http/1.1"];

/// A server whose timeouts (and anything else in `env`) are shortened.
/// A server started with `local up` flags: pairs of flag and value.
fn server_with(flags: &[(&str, &str)]) -> LocalServer {
    LocalServer::start_configured(|cmd| {
        for (flag, value) in flags {
            cmd.arg(flag).arg(value);
        }
    })
}

fn attack_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build runtime")
}

/// The server log's lines that mention `text`.
fn log_lines(server: &LocalServer, text: &str) -> Vec<String> {
    std::fs::read_to_string(server.state_dir().join("server.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(text))
        .map(str::to_string)
        .collect()
}

/// Go's ReadHeaderTimeout does not run while a kept-alive HTTP/1.1
/// connection waits for its next request: IdleTimeout does. hyper's own
/// header_read_timeout would close this connection after the header
/// timeout.
#[test]
fn an_idle_keep_alive_connection_outlives_the_header_timeout_until_the_idle_timeout() {
    let server = server_with(&[("--header-timeout", "1s"), ("--idle-timeout", "4s")]);
    let (dialer, token) = (Dialer::new(&server, HTTP1), server.token());
    crate::support::runtime().block_on(async move {
        let mut conn = dialer.connect().await.expect("connect");
        assert_eq!(exchange(&mut conn, "/api", &token).await, "HTTP/1.1 200 OK");
        let (sent, closed) = until_closed(&mut conn, Duration::from_millis(2500)).await;
        assert_eq!(
            (sent.len(), closed),
            (0, None),
            "closed while idle before the idle timeout"
        );
        assert_eq!(exchange(&mut conn, "/api", &token).await, "HTTP/1.1 200 OK");
        let answered = Instant::now();
        let (sent, closed) = until_closed(&mut conn, Duration::from_secs(20)).await;
        let idle = closed.expect("closed after the idle timeout") - answered;
        assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
        assert!(
            (Duration::from_millis(3500)..Duration::from_secs(8)).contains(&idle),
            "closed after {idle:?} idle, not the idle timeout's 4s"
        );
    });
}

/// A header that does not end within the header timeout closes the
/// connection without an answer, as Go's server does; on a kept-alive
/// connection its clock starts with the next request's first bytes.
#[test]
fn half_a_header_is_closed_after_the_header_timeout() {
    let server = server_with(&[("--header-timeout", "2s"), ("--idle-timeout", "60s")]);
    let (dialer, token) = (Dialer::new(&server, HTTP1), server.token());
    crate::support::runtime().block_on(async move {
        let mut first = dialer.connect().await.expect("connect");
        let mut kept = dialer.connect().await.expect("connect");
        assert_eq!(exchange(&mut kept, "/api", &token).await, "HTTP/1.1 200 OK");
        for conn in [&mut first, &mut kept] {
            let started = Instant::now();
            conn.write_all(HALF_A_HEADER).await.expect("send");
            conn.flush().await.expect("flush");
            let (sent, closed) = until_closed(conn, Duration::from_secs(20)).await;
            let waited = closed.expect("closed after the header timeout") - started;
            assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
            assert!(
                (Duration::from_millis(1500)..Duration::from_secs(6)).contains(&waited),
                "closed after {waited:?}, not the header timeout's 2s"
            );
        }
    });
}

/// What an attack did, for the assertions and the failure message.
struct Flood {
    opened: usize,
    /// The longest time from a connection's handshake to its close.
    longest: Duration,
    cpu: Duration,
    share: f64,
    wall: Duration,
    peak_files: usize,
}

/// Opens `n` stalled connections (TLS done, half a header), asks for /api
/// once half of them are open, and waits until the server has closed them
/// all.
fn flood(server: &LocalServer, n: usize, within: Duration) -> Flood {
    let dialer = Arc::new(Dialer::new(server, HTTP1));
    let rt = attack_runtime();
    let pid = server.pid();
    let window = CpuWindow::start(pid);
    let attack = {
        let _entered = rt.enter();
        dialer.flood(n, 50, HALF_A_HEADER, within)
    };
    let mut opened = attack.opened.clone();
    rt.block_on(async {
        tokio::time::timeout(within, opened.wait_for(|open| *open >= n / 2))
            .await
            .expect("half the flood opened in time")
            .expect("the flood runs");
    });
    let peak_files = open_files(pid);
    let during = get_within(server, "/api", within);
    assert_eq!(during, Ok(200), "no answer during the attack");
    let stalled: Vec<Stalled> = rt.block_on(async move {
        let mut stalled = Vec::new();
        for connection in attack.connections {
            if let Ok(Some(conn)) = connection.await {
                stalled.push(conn);
            }
        }
        stalled
    });
    let (cpu, share, wall) = window.finish();
    for conn in &stalled {
        assert!(
            conn.sent.is_empty(),
            "{}",
            String::from_utf8_lossy(&conn.sent)
        );
    }
    let opened = stalled.len();
    let still_open = stalled.iter().filter(|c| c.closed.is_none()).count();
    assert_eq!(
        still_open, 0,
        "{still_open} of {opened} stalled connections still open after {within:?}"
    );
    let longest = stalled
        .iter()
        .filter_map(|c| c.closed.map(|at| at.saturating_duration_since(c.opened)))
        .max()
        .unwrap_or_default();
    Flood {
        opened,
        longest,
        cpu,
        share,
        wall,
        peak_files,
    }
}

impl std::fmt::Display for Flood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} stalled connections, held at most {:?}; server CPU {:?} over {:?} ({:.1} % of a core); {} files open with half the flood open",
            self.opened,
            self.longest,
            self.cpu,
            self.wall,
            self.share * 100.0,
            self.peak_files
        )
    }
}

/// The slowloris that held 500 connections for over a minute: each is
/// closed after the header timeout (or sooner, by the cap), a real request
/// is answered during and after the attack, and the server idles.
#[test]
fn five_hundred_stalled_headers_are_closed_and_the_server_keeps_serving() {
    let server = server_with(&[("--header-timeout", "3s")]);
    let flood = flood(&server, 500, Duration::from_secs(30));
    eprintln!("slowloris: {flood}");
    assert!(flood.opened >= 450, "{flood}");
    assert!(flood.peak_files <= 256 + 40, "{flood}");
    assert!(flood.longest < Duration::from_secs(6), "{flood}");
    assert!(flood.share < 0.10, "{flood}");
    assert_eq!(
        get_within(&server, "/api", Duration::from_secs(10)),
        Ok(200)
    );
    // No line per connection: evictions are one line per episode.
    let log = std::fs::read_to_string(server.state_dir().join("server.log")).unwrap_or_default();
    assert!(log.lines().count() < 60, "{log}");
}

/// At the cap, a new connection closes the one that waited longest without
/// a request; a connection serving a request (a watch) is never closed.
#[test]
fn at_the_cap_connections_without_a_request_make_room() {
    let server = server_with(&[
        ("--header-timeout", "30s"),
        ("--max-connections-per-address", "20"),
    ]);
    let dialer = Arc::new(Dialer::new(&server, HTTP1));
    let token = server.token();
    let rt = attack_runtime();
    let (mut watch, oldest, newest) = rt.block_on(async {
        let mut watch = dialer.connect().await.expect("connect");
        let request = format!(
            "GET /api/v1/namespaces?watch=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        watch.write_all(request.as_bytes()).await.expect("send");
        watch.flush().await.expect("flush");
        let (answer, closed) = until_closed(&mut watch, Duration::from_secs(2)).await;
        assert!(closed.is_none(), "the watch ended");
        assert!(
            String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200 OK"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let oldest = dialer.stalled(19, 19, HALF_A_HEADER).await;
        let newest = dialer.stalled(10, 1, HALF_A_HEADER).await;
        (watch, oldest, newest)
    });
    assert_eq!((oldest.len(), newest.len()), (19, 10));
    let closed = |conns: Vec<(
        Instant,
        tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    )>,
                  within: Duration| {
        rt.block_on(async move {
            let waits = conns.into_iter().map(|(_, mut conn)| async move {
                until_closed(&mut conn, within).await.1.is_some()
            });
            let closed = futures_util::future::join_all(waits).await;
            closed.into_iter().filter(|c| *c).count()
        })
    };
    // The ten newest made room by closing ten of the older stalled ones.
    assert_eq!(closed(oldest, Duration::from_secs(3)), 10);
    assert_eq!(closed(newest, Duration::from_millis(300)), 0);
    let (_, ended) = rt.block_on(until_closed(&mut watch, Duration::from_millis(300)));
    assert!(ended.is_none(), "the watch was closed");
    assert_eq!(
        get_within(&server, "/api", Duration::from_secs(10)),
        Ok(200)
    );
    let lines = log_lines(&server, "reached the cap of 20");
    assert_eq!(lines.len(), 1, "{lines:?}");
}

/// Started with 64 open files allowed, the server runs out of descriptors
/// under 500 stalled connections: it backs off (one log line per episode,
/// no spinning), makes room by closing the connections that waited longest
/// without a request, and keeps answering.
#[test]
fn out_of_file_descriptors_the_server_backs_off_and_keeps_serving() {
    let server = LocalServer::start_configured(|cmd| {
        cmd.args(["--header-timeout", "3s"]);
        // SAFETY: setrlimit is async-signal-safe and touches no memory of
        // the parent.
        unsafe {
            cmd.pre_exec(|| {
                let limit = nix::libc::rlimit {
                    rlim_cur: 64,
                    rlim_max: 64,
                };
                if nix::libc::setrlimit(nix::libc::RLIMIT_NOFILE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    });
    let before = cpu_time(server.pid());
    let flood = flood(&server, 500, Duration::from_secs(60));
    eprintln!("EMFILE: {flood} (CPU before the flood {before:?})");
    assert!(flood.share < 0.10, "{flood}");
    assert_eq!(
        get_within(&server, "/api", Duration::from_secs(10)),
        Ok(200)
    );
    let episodes = log_lines(&server, "accept failed");
    assert!(
        (1..=3).contains(&episodes.len()),
        "{} accept failure lines: {episodes:?}",
        episodes.len()
    );
    assert!(episodes[0].contains("Too many open files"), "{episodes:?}");
}

/// kube-apiserver answers 401 or 413 before it reads a request body; over
/// HTTP/2 the stream then ends with RST_STREAM(NO_ERROR), so the client
/// gets the answer, not a reset, and the connection goes on.
#[test]
fn http2_answers_before_the_body_is_read_reach_the_client() {
    let server = LocalServer::start();
    let client = server.client();
    let url = format!("{}/api/v1/namespaces/default/configmaps", server.url);
    let token = server.token();
    let big = vec![b' '; 8 << 20];
    let answers = crate::support::runtime().block_on(async move {
        let mut answers = Vec::new();
        for token in [None, Some(token.as_str())] {
            let mut request = client
                .post(&url)
                .header("content-type", "application/json")
                .body(big.clone());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("an answer, not a reset");
            answers.push((response.version(), response.status().as_u16()));
        }
        let after = client
            .get(url.replace("/namespaces/default/configmaps", ""))
            .bearer_auth(&token)
            .send()
            .await
            .expect("the connection still serves");
        answers.push((after.version(), after.status().as_u16()));
        answers
    });
    let h2 = reqwest::Version::HTTP_2;
    assert_eq!(answers, [(h2, 401), (h2, 413), (h2, 200)]);
}

/// An HTTP/2 connection with no open stream is not closed by the header
/// timeout once its preface is in; after the idle timeout the server sends
/// GOAWAY (NO_ERROR) and closes it, as x/net/http2's idle timer does.
#[test]
fn an_idle_http2_connection_gets_goaway_after_the_idle_timeout() {
    let server = server_with(&[("--header-timeout", "1s"), ("--idle-timeout", "3s")]);
    let dialer = Dialer::new(&server, &[b"h2"]);
    let (frames, idle) = crate::support::runtime().block_on(async move {
        let mut conn = dialer.connect().await.expect("connect");
        assert_eq!(conn.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        // The client preface and an empty SETTINGS frame.
        let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        preface.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
        conn.write_all(&preface).await.expect("send the preface");
        conn.flush().await.expect("flush");
        let started = Instant::now();
        let closed = tokio::time::timeout(Duration::from_secs(20), answer_until_closed(&mut conn))
            .await
            .ok();
        let idle = closed.as_ref().map(|_| started.elapsed());
        (closed.unwrap_or_default(), idle)
    });
    let idle = idle.expect("closed after the idle timeout");
    assert!(
        (Duration::from_millis(2500)..Duration::from_secs(7)).contains(&idle),
        "closed after {idle:?}, not the idle timeout's 3s"
    );
    let goaway = frames
        .iter()
        .find(|(kind, _)| *kind == 0x7)
        .unwrap_or_else(|| panic!("no GOAWAY in {frames:?}"));
    // GOAWAY: last stream id (4 bytes), then the error code: 0 is NO_ERROR.
    assert_eq!(&goaway.1[4..8], &[0, 0, 0, 0], "{frames:?}");
}

/// Reads HTTP/2 frames as a client that does nothing but acknowledge
/// SETTINGS and answer PINGs (hyper's graceful shutdown waits for a ping's
/// answer), until the server closes: the frames, as (type, payload).
async fn answer_until_closed<S>(conn: &mut S) -> Vec<(u8, Vec<u8>)>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncReadExt;
    let (mut frames, mut buffer, mut chunk) = (Vec::new(), Vec::new(), [0u8; 4096]);
    loop {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return frames,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        while buffer.len() >= 9 {
            let length =
                usize::from(buffer[0]) << 16 | usize::from(buffer[1]) << 8 | usize::from(buffer[2]);
            if buffer.len() < 9 + length {
                break;
            }
            let (kind, flags) = (buffer[3], buffer[4]);
            let payload = buffer[9..9 + length].to_vec();
            buffer.drain(..9 + length);
            let answer = match (kind, flags & 0x1) {
                (0x4, 0) => Some(vec![0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]),
                (0x6, 0) => Some([&[0, 0, 8, 0x6, 0x1, 0, 0, 0, 0][..], &payload].concat()),
                _ => None,
            };
            if let Some(answer) = answer {
                let _ = conn.write_all(&answer).await;
                let _ = conn.flush().await;
            }
            frames.push((kind, payload));
        }
    }
}
