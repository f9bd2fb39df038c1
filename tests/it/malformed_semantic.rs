//! Objects the API server would refuse, and fields it does not know: each
//! gets the server's wording, the file, line and column, and exit code 2.

use petctl::manifest::ValidationMode;

use crate::support::{petctl, scratch};

/// A valid apps/v1 StatefulSet; cases edit it one line at a time so the
/// line numbers below stay easy to check.
const WEB: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx-slim:0.7
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [\"ReadWriteOnce\"]
      resources:
        requests:
          storage: 1Gi
";

const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector:
    app: nginx
  ports:
  - port: 80
    name: web
";

const LABEL_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUANTITY_MSG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// `base` with each `(from, to)` replaced once; a missing `from` is a bug in
/// the case, not in petctl.
fn edit(base: &str, edits: &[(&str, &str)]) -> String {
    let mut text = base.to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "case edit {from:?} matches nothing");
        text = text.replacen(from, to, 1);
    }
    text
}

fn petset(edits: &[(&str, &str)]) -> String {
    let mut all = vec![(
        "apiVersion: apps/v1\nkind: StatefulSet",
        "apiVersion: apps/v1alpha1\nkind: PetSet",
    )];
    all.extend_from_slice(edits);
    edit(WEB, &all)
}

struct Case {
    name: &'static str,
    manifest: String,
    args: &'static [&'static str],
    /// The exact stderr, with `{f}` standing for the manifest's path.
    stderr: String,
    code: i32,
}

/// What petctl prints for a failed load: one `error: ` line per diagnostic.
fn error(lines: &[String]) -> String {
    lines.iter().map(|l| format!("error: {l}\n")).collect()
}

fn cases() -> Vec<Case> {
    let sts = |edits: &[(&str, &str)]| edit(WEB, edits);
    let web = "statefulset \"web\"";
    let fails = |name, manifest, lines: &[String]| Case {
        name,
        manifest,
        args: &[],
        stderr: error(lines),
        code: 2,
    };
    vec![
        fails(
            "negative replicas",
            sts(&[("replicas: 2", "replicas: -1")]),
            &[format!("{{f}}:7:3: {web}: spec.replicas: Invalid value: -1: must be greater than or equal to 0")],
        ),
        fails(
            "statefulset name not a DNS label",
            sts(&[("  name: web\nspec:", "  name: Web\nspec:")]),
            &["{f}:4:3: statefulset \"Web\": metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".to_string()],
        ),
        fails(
            "statefulset name with a dot",
            sts(&[("  name: web\nspec:", "  name: web.v2\nspec:")]),
            &["{f}:4:3: statefulset \"web.v2\": metadata.name: Invalid value: \"web.v2\": must not contain dots".to_string()],
        ),
        fails(
            "empty selector",
            sts(&[("  selector:\n    matchLabels:\n      app: nginx\n", "  selector: {}\n")]),
            &[format!("{{f}}:8:3: {web}: spec.selector: Invalid value: v1.LabelSelector{{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: empty selector is invalid for statefulset")],
        ),
        fails(
            "selector does not match the template labels",
            sts(&[("      app: nginx\n  template", "      app: web\n  template")]),
            &[format!("{{f}}:13:7: {web}: spec.template.metadata.labels: Invalid value: map[string]string{{\"app\":\"nginx\"}}: `selector` does not match template `labels`")],
        ),
        fails(
            "duplicate container names across init and app containers",
            sts(&[("    spec:\n      containers:", "    spec:\n      initContainers:\n      - name: nginx\n        image: busybox\n      containers:")]),
            &[format!("{{f}}:17:9: {web}: spec.template.spec.initContainers[0].name: Duplicate value: \"nginx\"")],
        ),
        fails(
            "claim template without a storage request",
            sts(&[("      resources:\n        requests:\n          storage: 1Gi\n", "      resources: {}\n")]),
            &[format!("{{f}}:30:7: {web}: spec.volumeClaimTemplates[0].spec.resources[storage]: Required value")],
        ),
        fails(
            "claim template storage not a quantity",
            sts(&[("storage: 1Gi", "storage: 1GB")]),
            &[format!("{{f}}:32:11: {web}: spec.volumeClaimTemplates[0].spec.resources[storage]: Invalid value: \"1GB\": {QUANTITY_MSG}")],
        ),
        fails(
            "volume mount naming neither a volume nor a claim template",
            sts(&[("        - name: www\n", "        - name: data\n")]),
            &[format!("{{f}}:23:11: {web}: spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"data\"")],
        ),
        fails(
            "container without an image",
            sts(&[("        image: nginx-slim:0.7\n", "        image: \"\"\n")]),
            &[format!("{{f}}:18:9: {web}: spec.template.spec.containers[0].image: Required value")],
        ),
        fails(
            "no containers",
            sts(&[("      containers:\n      - name: nginx\n        image: nginx-slim:0.7\n        ports:\n        - containerPort: 80\n          name: web\n        volumeMounts:\n        - name: www\n          mountPath: /usr/share/nginx/html\n", "      containers: []\n")]),
            &[format!("{{f}}:16:7: {web}: spec.template.spec.containers: Required value")],
        ),
        fails(
            "restartPolicy other than Always",
            sts(&[("    spec:\n      containers:", "    spec:\n      restartPolicy: OnFailure\n      containers:")]),
            &[format!("{{f}}:16:7: {web}: spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"")],
        ),
        fails(
            "invalid label value",
            sts(&[("  name: web\nspec:", "  name: web\n  labels:\n    tier: -db\nspec:")]),
            &[format!("{{f}}:6:5: {web}: metadata.labels: Invalid value: \"-db\": {LABEL_MSG}")],
        ),
        fails(
            "invalid label key",
            sts(&[("  name: web\nspec:", "  name: web\n  labels:\n    bad key: db\nspec:")]),
            &[format!("{{f}}:6:5: {web}: metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")],
        ),
        fails(
            "container port out of range",
            sts(&[("containerPort: 80", "containerPort: 70000")]),
            &[format!("{{f}}:20:11: {web}: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive")],
        ),
        fails(
            "unknown field with a suggestion",
            sts(&[("replicas: 2", "replica: 2")]),
            &[format!("{{f}}:7:3: {web}: spec.replica: unknown field \"replica\", did you mean \"replicas\"?")],
        ),
        fails(
            "misspelt containers: the unknown field and the missing one",
            sts(&[("      containers:", "      contianers:")]),
            &[
                format!("{{f}}:16:7: {web}: spec.template.spec.contianers: unknown field \"contianers\", did you mean \"containers\"?"),
                format!("{{f}}:15:5: {web}: spec.template.spec.containers: Required value"),
            ],
        ),
        fails(
            "unknown field without a close match",
            edit(SERVICE, &[("  clusterIP: None\n", "  clusterIP: None\n  frobnicate: true\n")]),
            &["{f}:7:3: service \"nginx\": spec.frobnicate: unknown field \"frobnicate\"".to_string()],
        ),
        fails(
            "string where an integer is required",
            sts(&[("replicas: 2", "replicas: \"3\"")]),
            &[format!("{{f}}:7:3: {web}: spec.replicas: Invalid value: \"string\": expected integer")],
        ),
        fails(
            "service name not a DNS-1035 label",
            edit(SERVICE, &[("  name: nginx", "  name: 1nginx")]),
            &["{f}:4:3: service \"1nginx\": metadata.name: Invalid value: \"1nginx\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string()],
        ),
        Case {
            name: "unknown field under --validate=warn is a warning",
            manifest: edit(SERVICE, &[("  clusterIP: None\n", "  clusterIP: None\n  frobnicate: true\n")]),
            args: &["--validate=warn"],
            stderr: "warning: {f}:7:3: service \"nginx\": spec.frobnicate: unknown field \"frobnicate\"\n".to_string(),
            code: 0,
        },
        Case {
            name: "unknown field under --validate=ignore is not reported",
            manifest: edit(SERVICE, &[("  clusterIP: None\n", "  clusterIP: None\n  frobnicate: true\n")]),
            args: &["--validate=ignore"],
            stderr: String::new(),
            code: 0,
        },
        Case {
            name: "--validate=ignore still applies the semantic rules",
            manifest: sts(&[("replicas: 2", "replicas: -1\n  frobnicate: true")]),
            args: &["--validate=ignore"],
            stderr: error(&[format!("{{f}}:7:3: {web}: spec.replicas: Invalid value: -1: must be greater than or equal to 0")]),
            code: 2,
        },
    ]
}

#[test]
fn invalid_objects_get_the_api_servers_message_and_exit_2() {
    let dir = scratch();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let path = dir.path().join("web.yaml");
        std::fs::write(&path, &case.manifest).expect("write manifest");
        let file = path.to_string_lossy().into_owned();
        let mut args = vec!["migrate", "-f", file.as_str()];
        args.extend_from_slice(case.args);
        let run = petctl(&args);
        let want = case.stderr.replace("{f}", &file);
        if run.code != case.code || run.stderr != want {
            failures.push(format!(
                "case {:?}\n--- manifest ---\n{}--- want stderr (exit {}) ---\n{want}\n{run}",
                case.name, case.manifest, case.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_base_manifests_are_valid() {
    let dir = scratch();
    for (name, manifest) in [
        ("statefulset", WEB.to_string()),
        ("petset", petset(&[])),
        (
            "petset without selector",
            petset(&[("  selector:\n    matchLabels:\n      app: nginx\n", "")]),
        ),
        ("service", SERVICE.to_string()),
    ] {
        let path = dir.path().join("ok.yaml");
        std::fs::write(&path, &manifest).expect("write manifest");
        let run = petctl(&["migrate", "-f", &path.to_string_lossy()]);
        assert!(
            run.code == 0 && !run.stderr.contains("error:") && !run.stderr.contains("warning:"),
            "{name}\n{run}"
        );
    }
}

/// Rules on the input as written, which `migrate` does not apply because it
/// validates what conversion produces: conversion synthesizes an apps/v1
/// selector, turns the init-containers annotation into `initContainers`, and
/// a StatefulSet needs no serviceName. Loading a manifest to send it as is
/// applies them.
#[test]
fn loading_applies_the_rules_of_the_version_written() {
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "petset name not a DNS subdomain",
            petset(&[("  name: web\nspec:", "  name: Web_1\nspec:")]),
            vec!["{f}:4:3: petset \"Web_1\": metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string()],
        ),
        (
            "apps/v1 without a selector",
            edit(WEB, &[("  selector:\n    matchLabels:\n      app: nginx\n", "")]),
            vec!["{f}:5:1: statefulset \"web\": spec.selector: Required value".to_string()],
        ),
        (
            "petset without a serviceName",
            petset(&[("  serviceName: nginx\n", "")]),
            vec!["{f}:5:1: petset \"web\": spec.serviceName: Required value".to_string()],
        ),
        (
            "petset without a selector or template labels",
            petset(&[
                ("  selector:\n    matchLabels:\n      app: nginx\n", ""),
                ("    metadata:\n      labels:\n        app: nginx\n", ""),
            ]),
            vec!["{f}:5:1: petset \"web\": spec.selector: Required value".to_string()],
        ),
        (
            "petset init-containers annotation that is not JSON",
            petset(&[("    metadata:\n      labels:", "    metadata:\n      annotations:\n        pod.alpha.kubernetes.io/init-containers: '[{\"name\": \"install\"'\n      labels:")]),
            vec!["{f}:14:9: petset \"web\": spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers]: Invalid value: must be a JSON array of containers: EOF while parsing an object at line 1 column 19".to_string()],
        ),
        (
            "petset init container without an image, in the annotation",
            petset(&[("    metadata:\n      labels:", "    metadata:\n      annotations:\n        pod.beta.kubernetes.io/init-containers: '[{\"name\": \"install\"}]'\n      labels:")]),
            vec!["{f}:14:9: petset \"web\": spec.template.metadata.annotations[pod.beta.kubernetes.io/init-containers][0].image: Required value".to_string()],
        ),
    ];
    let dir = scratch();
    for (name, manifest, want) in cases {
        let path = dir.path().join("web.yaml");
        std::fs::write(&path, &manifest).expect("write manifest");
        let file = path.to_string_lossy().into_owned();
        let err = petctl::manifest::load(std::slice::from_ref(&file), ValidationMode::Strict)
            .expect_err(name);
        let got: Vec<String> = err.diagnostics.iter().map(ToString::to_string).collect();
        let want: Vec<String> = want.iter().map(|l| l.replace("{f}", &file)).collect();
        assert_eq!(got, want, "{name}\n{manifest}");
        assert_eq!(
            petctl::error::exit_code(&anyhow::Error::from(err)),
            2,
            "{name}"
        );
    }
}
