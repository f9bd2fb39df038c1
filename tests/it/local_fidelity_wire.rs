//! The local control plane answers as kube-apiserver does on the wire and
//! in the query: bad list and watch parameters, resourceVersions the store
//! has not reached, percent-encoded paths, a broken chunked body and
//! thousands of headers (the last two sent over raw TLS, since no HTTP
//! client sends them).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{runtime, LocalServer};

const CM: &str = "/api/v1/namespaces/default/configmaps";

fn configmap(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

/// The list's resourceVersion: the store's revision when it was read.
fn revision(server: &LocalServer) -> u64 {
    server.get(CM).json()["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .expect("a list resourceVersion")
}

/// Sends `request` as it is over TLS (HTTP/1.1) and returns all the server
/// answered until it closed the connection or `within` passed.
fn raw_exchange(server: &LocalServer, request: Vec<u8>, within: Duration) -> String {
    let dialer = crate::support::attack::Dialer::new(server, &[b"http/1.1"]);
    runtime().block_on(async move {
        let mut tls = dialer.connect().await.expect("TLS handshake");
        let exchange = async {
            // The server may answer and close before it has read everything.
            let _ = tls.write_all(&request).await;
            let _ = tls.flush().await;
            let mut answer = Vec::new();
            let _ = tls.read_to_end(&mut answer).await;
            answer
        };
        let answer = tokio::time::timeout(within, exchange)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&answer).into_owned()
    })
}

/// The status line and the body of a raw HTTP/1.1 answer.
fn status_and_body(answer: &str) -> (String, String) {
    let status = answer.lines().next().unwrap_or("").to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// handlers/get.go decodes the query with the parameter codec: a
/// timeoutSeconds that is no integer is strconv's error in a 400; a
/// resourceVersion that is no number is `storage.ValidateListOptions`'s.
#[test]
fn lists_and_watches_refuse_bad_numbers() {
    let server = LocalServer::start();
    let bad_rv = "invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax";
    let bad_timeout = "strconv.ParseInt: parsing \"abc\": invalid syntax";
    for (query, message) in [
        ("resourceVersion=abc", bad_rv),
        ("watch=1&resourceVersion=abc", bad_rv),
        ("timeoutSeconds=abc", bad_timeout),
        ("watch=1&timeoutSeconds=abc", bad_timeout),
    ] {
        server
            .get(&format!("{CM}?{query}"))
            .expect_status(400, "BadRequest", message);
    }
    server
        .get("/api/v1/watch/namespaces/default/configmaps?resourceVersion=abc")
        .expect_status(400, "BadRequest", bad_rv);
}

/// A list at a resourceVersion the store has not reached waits for it
/// (`waitUntilFreshAndBlock`, 3 s) and then fails as the cacher does:
/// 504, a ResourceVersionTooLarge cause, Retry-After 1.
#[test]
fn a_list_from_the_future_times_out_as_too_large() {
    let server = LocalServer::start();
    let current = revision(&server);
    let future = current + 1000;
    let started = Instant::now();
    let response = server.get(&format!("{CM}?resourceVersion={future}"));
    assert!(started.elapsed() >= Duration::from_secs(3), "no wait");
    let status = response.json();
    let message = status["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with(&format!(
            "Timeout: Too large resource version: {future}, current: "
        )),
        "{}",
        response.body
    );
    assert_eq!(response.status, 504, "{}", response.body);
    assert_eq!(status["reason"], "Timeout");
    assert_eq!(
        status["details"],
        json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
               "retryAfterSeconds": 1})
    );
    assert_eq!(response.headers["retry-after"], "1");

    // One the store reaches while the list waits is served.
    let waiting = {
        let path = format!("{CM}?resourceVersion={}", current + 1);
        let client = server.client();
        let url = format!("{}{path}", server.url);
        let token = server.token();
        std::thread::spawn(move || {
            runtime().block_on(async move {
                let response = client.get(url).bearer_auth(token).send().await.unwrap();
                response.status().as_u16()
            })
        })
    };
    assert_eq!(server.post_json(CM, &configmap("later")).status, 201);
    assert_eq!(waiting.join().unwrap(), 200);
}

/// A watch from a resourceVersion not reached yet is a normal watch whose
/// first events are those after that version, as the watch cache serves
/// it (`getAllEventsSinceLocked` in cacher/watch_cache.go).
#[test]
fn a_watch_from_the_future_starts_there() {
    let server = LocalServer::start();
    let from = revision(&server) + 2;
    let client = server.client();
    // The stream is read until two events or the watch's own timeout.
    let url = format!(
        "{}{CM}?watch=1&resourceVersion={from}&timeoutSeconds=5",
        server.url
    );
    let token = server.token();
    let watcher = std::thread::spawn(move || {
        runtime().block_on(async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let mut stream = response.bytes_stream();
            let mut text = String::new();
            use futures_util::StreamExt;
            while let Some(Ok(chunk)) = stream.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.matches('\n').count() >= 2 {
                    break;
                }
            }
            text
        })
    });
    // Whether the watch is open yet or not: it replays from the log.
    for name in ["a", "b", "c", "d"] {
        assert_eq!(server.post_json(CM, &configmap(name)).status, 201);
    }
    let text = watcher.join().unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for event in &events {
        assert_eq!(event["type"], "ADDED", "{text}");
        let rv: u64 = event["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv > from, "{rv} <= {from}: {text}");
    }
}

/// Go's net/http hands the apiserver the decoded path (URL.Path).
#[test]
fn path_segments_are_percent_decoded() {
    let server = LocalServer::start();
    assert_eq!(server.post_json(CM, &configmap("web-0")).status, 201);
    let got = server.get("/api/v1/namespaces/default/configmaps/web%2D0");
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json()["metadata"]["name"], "web-0");
    let got = server.get("/api/v1/namespaces/%64efault/config%6Daps/web%2d0");
    assert_eq!(got.status, 200, "{}", got.body);
    let deleted = server.request(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/web%2D0",
        None,
        b"",
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(server.get(&format!("{CM}/web-0")).status, 404);
}

/// A chunk size that is no hex number is a broken request: 400, not the
/// 413 of a body over the limit.
#[test]
fn a_broken_chunked_body_is_a_bad_request() {
    let server = LocalServer::start();
    let token = server.token();
    let request = format!(
        "POST {CM} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         zz\r\n{{}}\r\n0\r\n\r\n"
    );
    let answer = raw_exchange(&server, request.into_bytes(), Duration::from_secs(10));
    let (status, body) = status_and_body(&answer);
    assert_eq!(status, "HTTP/1.1 400 Bad Request", "{answer}");
    let body: Value = serde_json::from_str(body.trim()).unwrap_or_else(|_| json!({}));
    assert_eq!(body["kind"], "Status", "{answer}");
    assert_eq!(body["reason"], "BadRequest", "{answer}");
    assert_eq!(body["code"], 400, "{answer}");
    // The server still serves.
    assert_eq!(server.get(CM).status, 200);
}

/// kube-apiserver takes request headers up to `MaxHeaderBytes` (1 MiB,
/// net/http counts bytes, not headers): 5000 headers are served, over
/// HTTP/1.1 and HTTP/2 alike, and a header block over 1 MiB gets 431
/// Request Header Fields Too Large, not a dropped connection.
#[test]
fn thousands_of_headers_are_served_and_too_many_bytes_get_431() {
    let server = LocalServer::start();
    let token = server.token();
    let raw = |count: usize, value: &str| {
        let mut request =
            format!("GET {CM} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n");
        for i in 0..count {
            request.push_str(&format!("X-Filler-{i}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let answer = raw_exchange(&server, request.into_bytes(), Duration::from_secs(10));
        status_and_body(&answer).0
    };
    assert_eq!(raw(5000, "v"), "HTTP/1.1 200 OK");
    assert_eq!(
        raw(5000, &"v".repeat(250)),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    assert_eq!(server.get(CM).status, 200);

    let http2 = |count: usize, value: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        for i in 0..count {
            headers.insert(
                reqwest::header::HeaderName::from_bytes(format!("x-filler-{i}").as_bytes())
                    .unwrap(),
                reqwest::header::HeaderValue::from_str(value).unwrap(),
            );
        }
        let client = server.client();
        let url = format!("{}{CM}", server.url);
        let token = server.token();
        runtime().block_on(async move {
            client
                .get(url)
                .bearer_auth(token)
                .headers(headers)
                .send()
                .await
                .map(|r| (r.version(), r.status().as_u16()))
                .map_err(|e| format!("{e:?}"))
        })
    };
    assert_eq!(http2(5000, "v"), Ok((reqwest::Version::HTTP_2, 200)));
    assert_eq!(
        http2(5000, &"v".repeat(250)),
        Ok((reqwest::Version::HTTP_2, 431))
    );
}
