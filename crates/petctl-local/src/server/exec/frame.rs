//! kubectl's remotecommand protocols over WebSocket: which subprotocol a
//! client and the server agree on, and the framing of their messages —
//! each binary message is one channel byte and its data
//! (staging/src/k8s.io/apimachinery/pkg/util/remotecommand/constants.go,
//! staging/src/k8s.io/apiserver/pkg/util/wsstream/conn.go).

use serde_json::{json, Value};

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const ERROR: u8 = 3;
pub const RESIZE: u8 = 4;
/// v5's signal that the client closed one of its streams (stdin).
pub const CLOSE: u8 = 255;

/// The channel.k8s.io subprotocols served, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Status errors, resize, and the CLOSE signal for stdin's end.
    V5,
    /// Status errors (the exit code) and resize.
    V4,
    /// Plain-text errors and resize.
    V3,
    /// Plain-text errors.
    V2,
    Base,
}

const SERVED: [Protocol; 5] = [
    Protocol::V5,
    Protocol::V4,
    Protocol::V3,
    Protocol::V2,
    Protocol::Base,
];

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V5 => "v5.channel.k8s.io",
            Protocol::V4 => "v4.channel.k8s.io",
            Protocol::V3 => "v3.channel.k8s.io",
            Protocol::V2 => "v2.channel.k8s.io",
            Protocol::Base => "channel.k8s.io",
        }
    }

    /// The first of the client's `Sec-WebSocket-Protocol` values that is
    /// served, as wsstream's handshake picks it.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Option<Protocol> {
        offered
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .find_map(|name| SERVED.into_iter().find(|p| p.name() == name))
    }

    /// Every served name, for the error that lists them.
    pub fn served() -> Vec<&'static str> {
        SERVED.iter().map(|p| p.name()).collect()
    }

    fn status_errors(self) -> bool {
        matches!(self, Protocol::V5 | Protocol::V4)
    }
}

/// One binary message for `channel`.
pub fn frame(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(data.len() + 1);
    message.push(channel);
    message.extend_from_slice(data);
    message
}

/// What a client's message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    Stdin(Vec<u8>),
    /// v5: the client's stdin ended.
    StdinClosed,
    Resize {
        width: u16,
        height: u16,
    },
    /// Anything else (an empty message, an unknown channel, a bad size).
    Ignored,
}

pub fn parse(protocol: Protocol, message: &[u8]) -> Incoming {
    match message.split_first() {
        Some((&STDIN, data)) => Incoming::Stdin(data.to_vec()),
        Some((&RESIZE, data)) if !matches!(protocol, Protocol::V2 | Protocol::Base) => {
            // remotecommand.TerminalSize has no JSON tags: {"Width":…,"Height":…}.
            let size: Value = serde_json::from_slice(data).unwrap_or(Value::Null);
            let dim = |k: &str| {
                size.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|v| u16::try_from(v).ok())
            };
            match (dim("Width"), dim("Height")) {
                (Some(width), Some(height)) => Incoming::Resize { width, height },
                _ => Incoming::Ignored,
            }
        }
        Some((&CLOSE, [STDIN, ..])) if protocol == Protocol::V5 => Incoming::StdinClosed,
        _ => Incoming::Ignored,
    }
}

/// How the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// It could not run, or was killed for a reason of the server's.
    Error(String),
}

/// The error channel's message for `exit` (None: nothing is sent), as the
/// kubelet writes it (pkg/kubelet/cri/streaming/remotecommand/httpstream.go,
/// `v4WriteStatusFunc`; v1–v3 send the error's text only).
pub fn exit_message(protocol: Protocol, exit: &Exit, command: &[String]) -> Option<Vec<u8>> {
    let status = match exit {
        Exit::Code(0) if protocol.status_errors() => json!({"metadata": {}, "status": "Success"}),
        Exit::Code(0) => return None,
        Exit::Code(code) => {
            let message = format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            );
            if !protocol.status_errors() {
                return Some(message.into_bytes());
            }
            json!({
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
            })
        }
        Exit::Error(message) if !protocol.status_errors() => {
            return Some(message.clone().into_bytes())
        }
        Exit::Error(message) => json!({
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "InternalError",
            "code": 500,
        }),
    };
    Some(status.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_first_served_protocol_wins() {
        assert_eq!(
            Protocol::negotiate(["v5.channel.k8s.io, v4.channel.k8s.io"]),
            Some(Protocol::V5)
        );
        assert_eq!(
            Protocol::negotiate([
                "base64.channel.k8s.io",
                "v4.channel.k8s.io,v5.channel.k8s.io"
            ]),
            Some(Protocol::V4)
        );
        assert_eq!(
            Protocol::negotiate(["channel.k8s.io"]),
            Some(Protocol::Base)
        );
        assert_eq!(
            Protocol::negotiate(["SPDY/3.1", "base64.channel.k8s.io"]),
            None
        );
    }

    #[test]
    fn messages_carry_their_channel_first() {
        assert_eq!(frame(STDOUT, b"web-0\n"), b"\x01web-0\n");
        assert_eq!(
            parse(Protocol::V5, b"\x00hi\n"),
            Incoming::Stdin(b"hi\n".to_vec())
        );
        assert_eq!(parse(Protocol::V5, &[CLOSE, STDIN]), Incoming::StdinClosed);
        assert_eq!(parse(Protocol::V4, &[CLOSE, STDIN]), Incoming::Ignored);
        assert_eq!(
            parse(Protocol::V4, b"\x04{\"Width\":120,\"Height\":40}"),
            Incoming::Resize {
                width: 120,
                height: 40
            }
        );
        assert_eq!(
            parse(Protocol::V2, b"\x04{\"Width\":1,\"Height\":1}"),
            Incoming::Ignored
        );
        assert_eq!(
            parse(Protocol::V5, b"\x04{\"Width\":-1}"),
            Incoming::Ignored
        );
        assert_eq!(parse(Protocol::V5, b""), Incoming::Ignored);
    }

    #[test]
    fn the_exit_code_travels_as_a_status_cause() {
        let command = ["sh".to_string(), "-c".into(), "exit 3".into()];
        let failed = exit_message(Protocol::V5, &Exit::Code(3), &command).unwrap();
        let status: Value = serde_json::from_slice(&failed).unwrap();
        assert_eq!(status["status"], "Failure");
        assert_eq!(status["reason"], "NonZeroExitCode");
        assert_eq!(
            status["details"]["causes"][0],
            json!({"reason": "ExitCode", "message": "3"})
        );
        let ok = exit_message(Protocol::V4, &Exit::Code(0), &command).unwrap();
        assert_eq!(ok, br#"{"metadata":{},"status":"Success"}"#);
        assert_eq!(exit_message(Protocol::V3, &Exit::Code(0), &command), None);
        assert_eq!(
            exit_message(Protocol::V3, &Exit::Code(3), &command).unwrap(),
            b"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
        );
    }
}
