//! One streaming session: the sandboxed process and a WebSocket joined by
//! the channel protocol until the process ends (its exit travels on the
//! error channel), the client goes (the process tree is killed), the pod
//! is deleted, or the server shuts down.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::frame::{self, Exit, Incoming, Protocol};
use super::pty::{Pty, Sizer};
use crate::sandbox::Spec;

/// Which streams the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// Attach, not exec: the exit code is not the stream's to report.
    pub attach: bool,
}

/// Why a session ended before its process did.
pub enum Interrupt {
    PodGone,
    Shutdown,
}

/// Runs `spec` and relays its streams over `ws` until the process exits;
/// returns how it ended (None when the client went away first).
pub async fn run<S>(
    ws: WebSocketStream<S>,
    protocol: Protocol,
    spec: &Spec,
    streams: Streams,
    interrupt: impl std::future::Future<Output = Interrupt>,
) -> Option<Exit>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut incoming) = ws.split();
    let (output_tx, mut output) = mpsc::channel::<(u8, Vec<u8>)>(16);
    let (stdin_tx, stdin_rx) = mpsc::channel::<Vec<u8>>(16);
    let started = start(spec, streams, output_tx, stdin_rx);
    let (mut child, sizer) = match started {
        Ok(started) => started,
        Err(err) => {
            let exit = Exit::Error(format!("failed to start the sandbox: {err}"));
            finish(&mut sink, protocol, &exit, &spec.command).await;
            return Some(exit);
        }
    };
    let mut stdin = Some(stdin_tx);
    let mut exited: Option<Exit> = None;
    let mut outputs_open = true;
    tokio::pin!(interrupt);
    loop {
        if exited.is_some() && !outputs_open {
            break;
        }
        tokio::select! {
            message = incoming.next() => match message {
                Some(Ok(Message::Binary(data))) => match frame::parse(protocol, &data) {
                    Incoming::Stdin(data) => {
                        if let Some(tx) = &stdin {
                            let _ = tx.send(data).await;
                        }
                    }
                    Incoming::StdinClosed => stdin = None,
                    Incoming::Resize { width, height } => {
                        if let Some(sizer) = &sizer {
                            let _ = sizer.resize(width, height);
                        }
                    }
                    Incoming::Ignored => {}
                },
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    return None;
                }
                Some(Ok(_)) => {}
            },
            chunk = output.recv(), if outputs_open => match chunk {
                Some((channel, data)) => {
                    if sink.send(Message::binary(frame::frame(channel, &data))).await.is_err() {
                        let _ = child.start_kill();
                        let _ = child.wait().await;
                        return None;
                    }
                }
                None => outputs_open = false,
            },
            status = child.wait(), if exited.is_none() => {
                exited = Some(match status {
                    Ok(status) => Exit::Code(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))),
                    Err(err) => Exit::Error(format!("failed to wait for the command: {err}")),
                });
            }
            why = &mut interrupt, if exited.is_none() => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                exited = Some(Exit::Error(match why {
                    Interrupt::PodGone => "the pod was deleted".to_string(),
                    Interrupt::Shutdown => "the local control plane is shutting down".to_string(),
                }));
            }
        }
    }
    let exit = exited.unwrap_or(Exit::Code(0));
    // An attached stream just ends with its process: the kubelet reports
    // success, and the exit code reaches kubectl through the pod's status.
    let shown = match (&exit, streams.attach) {
        (Exit::Code(_), true) => Exit::Code(0),
        _ => exit.clone(),
    };
    finish(&mut sink, protocol, &shown, &spec.command).await;
    Some(exit)
}

/// The exit status on the error channel, then a normal close.
async fn finish<S>(sink: &mut S, protocol: Protocol, exit: &Exit, command: &[String])
where
    S: futures_util::Sink<Message> + Unpin,
{
    if let Some(message) = frame::exit_message(protocol, exit, command) {
        let _ = sink
            .send(Message::binary(frame::frame(frame::ERROR, &message)))
            .await;
    }
    // client-go takes anything but a normal closure (1000) for an error.
    let normal = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = sink.send(Message::Close(Some(normal))).await;
    let _ = sink.close().await;
}

/// Spawns the sandbox with its streams wired to `output` and `stdin`.
fn start(
    spec: &Spec,
    streams: Streams,
    output: mpsc::Sender<(u8, Vec<u8>)>,
    stdin: mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<(tokio::process::Child, Option<Sizer>)> {
    let argv = crate::sandbox::argv(spec, &crate::sandbox::RealFs);
    let mut command = tokio::process::Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .kill_on_drop(true);
    if streams.tty {
        let (pty, [i, o, e]) = Pty::open()?;
        command.stdin(i).stdout(o).stderr(e);
        let child = command.spawn()?;
        // The terminal side now lives only in the child: the controller
        // reads EOF once the process tree is gone.
        drop(command);
        let sizer = pty.sizer()?;
        tokio::spawn(pump_out(pty.output, frame::STDOUT, output));
        if streams.stdin {
            tokio::spawn(pump_in(pty.input, stdin));
        }
        return Ok((child, Some(sizer)));
    }
    let piped = |wanted: bool| {
        if wanted {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    command
        .stdin(piped(streams.stdin))
        .stdout(piped(streams.stdout))
        .stderr(piped(streams.stderr));
    let mut child = command.spawn()?;
    if let Some(out) = child.stdout.take() {
        tokio::spawn(pump_out(out, frame::STDOUT, output.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(pump_out(err, frame::STDERR, output));
    }
    if let Some(input) = child.stdin.take() {
        tokio::spawn(pump_in(input, stdin));
    }
    Ok((child, None))
}

async fn pump_out(mut from: impl AsyncRead + Unpin, channel: u8, to: mpsc::Sender<(u8, Vec<u8>)>) {
    let mut buf = vec![0u8; 32 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 || to.send((channel, buf[..n].to_vec())).await.is_err() {
            return;
        }
    }
}

/// Writes stdin until the client closes it (v5) or goes; dropping the
/// pipe is the command's EOF.
async fn pump_in(mut to: impl AsyncWrite + Unpin, mut from: mpsc::Receiver<Vec<u8>>) {
    while let Some(data) = from.recv().await {
        if to.write_all(&data).await.is_err() || to.flush().await.is_err() {
            return;
        }
    }
}
