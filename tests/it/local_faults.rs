//! Fault injection flags of `petctl local up`: failures, latency and cut
//! watches, while health checks and watches are spared from failures; and
//! the one-shot, deterministic `--fail-next`.

use std::time::{Duration, Instant};

use crate::support::LocalServer;

#[test]
fn every_request_fails_at_rate_one_but_health_checks_pass() {
    let server = LocalServer::start_with(&["--fault-rate", "1"]);
    let client = server.client();
    let url = format!("{}/api/v1/namespaces", server.url);
    let token = server.token();
    let outcomes = crate::support::runtime().block_on(async move {
        let mut outcomes = Vec::new();
        for _ in 0..40 {
            let result = client.get(&url).bearer_auth(&token).send().await;
            outcomes.push(match result {
                Ok(r) => (
                    r.status().as_u16(),
                    r.headers()
                        .get("retry-after")
                        .map(|v| v.to_str().unwrap_or("").to_string()),
                ),
                Err(_) => (0, None),
            });
        }
        outcomes
    });
    assert!(
        outcomes
            .iter()
            .all(|(code, _)| [0, 429, 500].contains(code)),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|(code, _)| *code == 500),
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|(code, retry)| *code == 429 && retry.as_deref() == Some("1")),
        "{outcomes:?}"
    );
    assert_eq!(
        server.request_as(None, "GET", "/readyz", None, b"").status,
        200
    );
    let watch = server.get("/api/v1/namespaces?watch=1&timeoutSeconds=1");
    assert_eq!(watch.status, 200);
    assert_eq!(watch.body.lines().count(), 4, "{}", watch.body);
}

#[test]
fn latency_is_added_and_watches_are_cut() {
    let server =
        LocalServer::start_with(&["--fault-latency", "300ms", "--watch-drop-after", "500ms"]);
    let started = Instant::now();
    assert_eq!(server.get("/api").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    let watch = server.get("/api/v1/namespaces?watch=1&timeoutSeconds=30");
    assert_eq!(watch.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn fail_next_fails_the_first_matching_request_once() {
    let server = LocalServer::start_with(&[
        "--fail-next",
        "list:namespaces:500",
        "--fail-next",
        "create:namespaces:409",
    ]);
    server.get("/api/v1/namespaces/default").json();
    server.get("/api/v1/namespaces").expect_status(
        500,
        "InternalError",
        "injected fault (--fail-next list:namespaces:500)",
    );
    assert_eq!(server.get("/api/v1/namespaces").status, 200);
    let namespace =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}});
    server
        .post_json("/api/v1/namespaces", &namespace)
        .expect_status(
            409,
            "Conflict",
            "injected fault (--fail-next create:namespaces:409)",
        );
    assert_eq!(
        server.post_json("/api/v1/namespaces", &namespace).status,
        201
    );
    let log = server.log_tail();
    assert!(
        log.contains("--fail-next list:namespaces:500: the next such request fails once")
            && log.contains("injected fault (--fail-next list:namespaces:500): GET /api/v1/namespaces answered 500")
            && log.contains("fault seed "),
        "{log}"
    );
}
