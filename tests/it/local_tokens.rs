//! Service account tokens as kube-apiserver issues and takes them:
//! `kubectl create token` (TokenRequest) answers a signed ES256 JWT with
//! upstream's claims, the server authenticates it as
//! `system:serviceaccount:NS:NAME` (`kubectl auth whoami`, `get pods` with a
//! kubeconfig that has only the CA), and a tampered or expired token, one of
//! another audience, and one whose account or pod went are 401.

use std::path::PathBuf;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use crate::local_namespaces::{await_gone, await_object};
use crate::local_patch::watch_until;
use crate::support::{kubectl_or_skip, kubectl_with, run_command, LocalServer, Run};

const WAIT: std::time::Duration = std::time::Duration::from_secs(60);
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// The JSON of one part of a compact JWS.
fn part(token: &str, index: usize) -> Value {
    let text = token.split('.').nth(index).expect("a JWS part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).expect("base64url")).expect("json")
}

/// A kubeconfig with the server and its CA but no credentials, so the
/// only way in is `--token`.
fn ca_only_kubeconfig(server: &LocalServer) -> PathBuf {
    let path = server.dir.path().join("ca-only.kubeconfig");
    let ca = server.state_dir().join("ca.crt");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: nobody\n  user: {{}}\ncontexts:\n- name: local\n  context:\n    cluster: local\n    user: nobody\ncurrent-context: local\n",
        server.url,
        ca.display()
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

/// kubectl with only the CA and `--token`.
fn kubectl_as(kubectl: &PathBuf, server: &LocalServer, token: &str, args: &[&str]) -> Run {
    let home = server.dir.path().join("kubectl-home");
    let _ = std::fs::create_dir_all(&home);
    let mut cmd = std::process::Command::new(kubectl);
    cmd.arg(format!("--token={token}"))
        .args(args)
        .env("KUBECONFIG", ca_only_kubeconfig(server))
        .env("HOME", &home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    // The token is left out of the command shown on failure.
    run_command(
        cmd,
        format!("kubectl --token=<token> {}", args.join(" ")),
        None,
    )
}

/// Signs `claims` with the server's own key, as a forger who stole it (or
/// a clock gone past `exp`) would.
fn sign_with_server_key(server: &LocalServer, claims: &Value, kid: &str) -> String {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let pem = std::fs::read_to_string(server.state_dir().join("sa.key")).expect("read sa.key");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body).expect("pem base64");
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
        .expect("a P-256 key");
    let header = json!({"alg": "ES256", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = pair.sign(&rng, input.as_bytes()).expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn kubectl_creates_a_token_the_server_takes_as_the_service_account() {
    let Some(kubectl) =
        kubectl_or_skip("kubectl_creates_a_token_the_server_takes_as_the_service_account")
    else {
        return;
    };
    let server = LocalServer::start();
    let k = |args: &[&str]| kubectl_with(&kubectl, &server, args, None);
    k(&["create", "namespace", "shop"]).expect_success();
    let accounts = "/api/v1/namespaces/shop/serviceaccounts";
    let account = await_object(&server, accounts, "default");

    let created = k(&["create", "token", "default", "-n", "shop"]);
    created.expect_success();
    let token = created.stdout.clone();
    // Without a newline when stdout is no terminal, as kubectl writes it.
    assert_eq!(token.trim(), token, "only the token");
    let header = part(&token, 0);
    assert_eq!(header["alg"], "ES256");
    assert!(
        header["kid"].as_str().is_some_and(|k| k.len() == 43),
        "{header}"
    );
    let claims = part(&token, 1);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], "system:serviceaccount:shop:default");
    assert_eq!(claims["aud"], json!([ISSUER]));
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["nbf"], iat);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 3600, "{claims}");
    assert!((iat - now()).abs() < 60, "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert_eq!(
        claims["kubernetes.io"],
        json!({"namespace": "shop",
               "serviceaccount": {"name": "default", "uid": account["metadata"]["uid"]}})
    );

    let pods = kubectl_as(&kubectl, &server, &token, &["get", "pods", "-n", "shop"]);
    pods.expect_success();
    assert_eq!(pods.stderr, "No resources found in shop namespace.\n");
    let whoami = kubectl_as(&kubectl, &server, &token, &["auth", "whoami", "-o", "json"]);
    whoami.expect_success();
    let review: Value = serde_json::from_str(&whoami.stdout).expect("whoami json");
    assert_eq!(review["kind"], "SelfSubjectReview");
    assert_eq!(
        review["status"]["userInfo"]["username"],
        "system:serviceaccount:shop:default"
    );
    assert_eq!(
        review["status"]["userInfo"]["uid"],
        account["metadata"]["uid"]
    );
    assert_eq!(
        review["status"]["userInfo"]["extra"],
        json!({"authentication.kubernetes.io/credential-id": [format!("JTI={}", claims["jti"].as_str().unwrap())]})
    );
    let table = kubectl_as(&kubectl, &server, &token, &["auth", "whoami"]);
    table.expect_success();
    let rows: Vec<Vec<&str>> = table
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let uid = account["metadata"]["uid"].as_str().unwrap();
    let credential = format!("[JTI={}]", claims["jti"].as_str().unwrap());
    assert_eq!(
        rows,
        [
            vec!["ATTRIBUTE", "VALUE"],
            vec!["Username", "system:serviceaccount:shop:default"],
            vec!["UID", uid],
            vec![
                "Groups",
                "[system:serviceaccounts",
                "system:serviceaccounts:shop",
                "system:authenticated]"
            ],
            vec![
                "Extra:",
                "authentication.kubernetes.io/credential-id",
                &credential
            ],
        ],
        "{table}"
    );
    assert_eq!(
        review["status"]["userInfo"]["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:shop",
            "system:authenticated"
        ])
    );
    // A service account is no administrator.
    let write = kubectl_as(
        &kubectl,
        &server,
        &token,
        &["create", "configmap", "x", "-n", "shop"],
    );
    write.expect_code(1);
    assert!(
        write.stderr.starts_with("error: failed to create configmap: configmaps is forbidden: User \"system:serviceaccount:shop:default\" cannot create resource \"configmaps\""),
        "{write}"
    );

    let longer = k(&["create", "token", "default", "-n", "shop", "--duration=20m"]);
    longer.expect_success();
    let claims = part(longer.stdout.trim(), 1);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        1200
    );
    let short = k(&["create", "token", "default", "-n", "shop", "--duration=5m"]);
    short.expect_code(1);
    assert_eq!(
        short.stderr,
        "error: failed to create token: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n"
    );
    let missing = k(&["create", "token", "nobody", "-n", "shop"]);
    missing.expect_code(1);
    assert_eq!(
        missing.stderr,
        "error: failed to create token: serviceaccounts \"nobody\" not found\n"
    );

    // One changed character of the payload, the signature no longer holds.
    let (head, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut forged = part(&token, 1);
    forged["sub"] = json!("system:serviceaccount:kube-system:default");
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged.to_string())
    );
    let refused = kubectl_as(&kubectl, &server, &tampered, &["get", "pods", "-n", "shop"]);
    refused.expect_code(1);
    assert_eq!(
        refused.stderr,
        "error: You must be logged in to the server (Unauthorized)\n"
    );

    // The account deleted and made again by its controller: a new uid,
    // and the old token no longer names it.
    k(&["delete", "serviceaccount", "default", "-n", "shop"]).expect_success();
    watch_until(&server, accounts, "a new default account", WAIT, |o| {
        o["metadata"]["name"] == "default" && o["metadata"]["uid"] != account["metadata"]["uid"]
    });
    let stale = kubectl_as(&kubectl, &server, &token, &["get", "pods", "-n", "shop"]);
    stale.expect_code(1);
    assert_eq!(
        stale.stderr,
        "error: You must be logged in to the server (Unauthorized)\n"
    );
    // Bound to a pod, through kubectl's flags (and its protobuf body).
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0"},
                     "spec": {"containers": [{"name": "main", "image": "nginx"}]}});
    let pod = server
        .post_json("/api/v1/namespaces/shop/pods", &pod)
        .json();
    let pod_uid = pod["metadata"]["uid"].as_str().unwrap().to_string();
    let bound_to = |uid: &str| {
        k(&[
            "create",
            "token",
            "default",
            "-n",
            "shop",
            "--bound-object-kind=Pod",
            "--bound-object-name=web-0",
            &format!("--bound-object-uid={uid}"),
        ])
    };
    let bound = bound_to(&pod_uid);
    bound.expect_success();
    assert_eq!(
        part(&bound.stdout, 1)["kubernetes.io"]["pod"],
        json!({"name": "web-0", "uid": pod_uid})
    );
    let wrong = bound_to("0000");
    wrong.expect_code(1);
    assert_eq!(
        wrong.stderr,
        "error: failed to create token: Operation cannot be fulfilled on Pod \"web-0\": the UID in the bound object reference (0000) does not match the UID in record. The object might have been deleted and then recreated\n"
    );

    let fresh = k(&["create", "token", "default", "-n", "shop"]);
    fresh.expect_success();
    kubectl_as(
        &kubectl,
        &server,
        fresh.stdout.trim(),
        &["get", "pods", "-n", "shop"],
    )
    .expect_success();

    let log = std::fs::read_to_string(server.state_dir().join("server.log")).unwrap();
    assert!(!log.contains(&token), "a token in the server log");
    assert!(log.contains("service account token rejected"), "{log}");
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(server.state_dir().join("sa.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
}

fn token_request(
    server: &LocalServer,
    namespace: &str,
    name: &str,
    spec: Value,
) -> crate::support::Response {
    let body =
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec});
    server.post_json(
        &format!("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"),
        &body,
    )
}

fn delete(server: &LocalServer, path: &str) {
    let deleted = server.request("DELETE", path, None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
}

#[test]
fn bound_expired_and_foreign_tokens_over_https() {
    let server = LocalServer::start();
    let account = await_object(
        &server,
        "/api/v1/namespaces/default/serviceaccounts",
        "default",
    );
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0"},
                     "spec": {"containers": [{"name": "main", "image": "nginx"}]}});
    let created = server.post_json("/api/v1/namespaces/default/pods", &pod);
    assert_eq!(created.status, 201, "{}", created.body);
    let pod = watch_until(
        &server,
        "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-0",
        "web-0 scheduled",
        WAIT,
        |p| p["spec"]["nodeName"].is_string(),
    );
    let bound = json!({"kind": "Pod", "apiVersion": "v1", "name": "web-0",
                       "uid": pod["metadata"]["uid"]});
    let issued = token_request(
        &server,
        "default",
        "default",
        json!({"boundObjectRef": bound, "expirationSeconds": 600,
                                      "audiences": [ISSUER, "vault"]}),
    );
    assert_eq!(issued.status, 201, "{}", issued.body);
    let answer = issued.json();
    assert_eq!(answer["kind"], "TokenRequest");
    assert_eq!(answer["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(answer["metadata"]["name"], "default");
    assert_eq!(answer["metadata"]["namespace"], "default");
    assert_eq!(answer["metadata"]["uid"], account["metadata"]["uid"]);
    assert_eq!(answer["spec"]["expirationSeconds"], 600);
    assert_eq!(answer["spec"]["audiences"], json!([ISSUER, "vault"]));
    let token = answer["status"]["token"].as_str().unwrap().to_string();
    let claims = part(&token, 1);
    let node = pod["spec"]["nodeName"].as_str().unwrap();
    let node_uid = server.get(&format!("/api/v1/nodes/{node}")).json()["metadata"]["uid"].clone();
    assert_eq!(
        claims["kubernetes.io"],
        json!({"namespace": "default",
               "serviceaccount": {"name": "default", "uid": account["metadata"]["uid"]},
               "pod": {"name": "web-0", "uid": pod["metadata"]["uid"]},
               "node": {"name": node, "uid": node_uid}})
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    let whoami = |token: &str| {
        server.request_as(
            Some(token),
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some("application/json"),
            br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
        )
    };
    let review = whoami(&token);
    assert_eq!(review.status, 201, "{}", review.body);
    let key = |k: &str| format!("authentication.kubernetes.io/{k}");
    let extra = &review.json()["status"]["userInfo"]["extra"];
    assert_eq!(extra[key("pod-name")], json!(["web-0"]));
    assert_eq!(extra[key("pod-uid")], json!([pod["metadata"]["uid"]]));
    assert_eq!(extra[key("node-name")], json!([node]));
    assert_eq!(extra[key("node-uid")], json!([node_uid]));
    assert_eq!(
        extra[key("credential-id")],
        json!([format!("JTI={}", claims["jti"].as_str().unwrap())])
    );

    // The server's refusals, worded as upstream's.
    let mut wrong = bound.clone();
    wrong["uid"] = json!("0000");
    token_request(&server, "default", "default", json!({"boundObjectRef": wrong})).expect_status(
        409,
        "Conflict",
        "Operation cannot be fulfilled on Pod \"web-0\": the UID in the bound object reference (0000) does not match the UID in record. The object might have been deleted and then recreated",
    );
    let builder =
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder"}});
    assert_eq!(
        server
            .post_json("/api/v1/namespaces/default/serviceaccounts", &builder)
            .status,
        201
    );
    token_request(&server, "default", "builder", json!({"boundObjectRef": bound})).expect_status(
        400,
        "BadRequest",
        "cannot bind token for serviceaccount \"builder\" to pod running with different serviceaccount name.",
    );
    let map = json!({"kind": "ConfigMap", "apiVersion": "v1", "name": "x"});
    token_request(
        &server,
        "default",
        "default",
        json!({"boundObjectRef": map}),
    )
    .expect_status(
        400,
        "BadRequest",
        "cannot bind token to object of type /v1, Kind=ConfigMap",
    );
    let read = server.get("/api/v1/namespaces/default/serviceaccounts/default/token");
    assert_eq!(read.status, 405, "{}", read.body);
    let core = server.get("/api/v1").json();
    let entry = core["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|e| e["name"] == "serviceaccounts/token"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        entry,
        json!({"name": "serviceaccounts/token", "singularName": "", "namespaced": true,
               "group": "authentication.k8s.io", "version": "v1", "kind": "TokenRequest",
               "verbs": ["create"]})
    );

    // Signed by the right key, but expired past the leeway, or for another
    // audience, or not yet valid.
    let kid = part(&token, 0)["kid"].as_str().unwrap().to_string();
    let mut claims = part(&token, 1);
    claims["kubernetes.io"]
        .as_object_mut()
        .unwrap()
        .remove("pod");
    claims["kubernetes.io"]
        .as_object_mut()
        .unwrap()
        .remove("node");
    assert_eq!(
        whoami(&sign_with_server_key(&server, &claims, &kid)).status,
        201
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now() - 61);
    let mut foreign = claims.clone();
    foreign["aud"] = json!(["vault"]);
    let mut early = claims.clone();
    early["nbf"] = json!(now() + 120);
    for bad in [expired, foreign, early] {
        let refused = whoami(&sign_with_server_key(&server, &bad, &kid));
        refused.expect_status(401, "Unauthorized", "Unauthorized");
    }

    // The pod it is bound to goes, and so does the token's worth.
    delete(
        &server,
        "/api/v1/namespaces/default/pods/web-0?gracePeriodSeconds=0",
    );
    await_gone(&server, "/api/v1/namespaces/default/pods", "web-0");
    whoami(&token).expect_status(401, "Unauthorized", "Unauthorized");

    // No token in a terminating namespace (NamespaceLifecycle).
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "going"}});
    assert_eq!(server.post_json("/api/v1/namespaces", &body).status, 201);
    let keeper = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "keeper", "finalizers": ["example.com/hold"]}});
    let made = server.post_json("/api/v1/namespaces/going/serviceaccounts", &keeper);
    assert_eq!(made.status, 201, "{}", made.body);
    delete(&server, "/api/v1/namespaces/going");
    token_request(&server, "going", "keeper", json!({})).expect_status(
        403,
        "Forbidden",
        "serviceaccounts \"keeper\" is forbidden: unable to create new content in namespace going because it is being terminated",
    );

    // Bound to a secret: good while it exists, 401 once it went.
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}});
    let secret = server
        .post_json("/api/v1/namespaces/default/secrets", &secret)
        .json();
    let to_secret = json!({"kind": "Secret", "apiVersion": "v1", "name": "creds"});
    let issued = token_request(
        &server,
        "default",
        "default",
        json!({"boundObjectRef": to_secret}),
    );
    assert_eq!(issued.status, 201, "{}", issued.body);
    let token = issued.json()["status"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        part(&token, 1)["kubernetes.io"]["secret"],
        json!({"name": "creds", "uid": secret["metadata"]["uid"]})
    );
    assert_eq!(whoami(&token).status, 201);
    delete(&server, "/api/v1/namespaces/default/secrets/creds");
    whoami(&token).expect_status(401, "Unauthorized", "Unauthorized");
}
