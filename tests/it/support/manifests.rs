//! The one builder of PetSet and StatefulSet manifests the tests create:
//! name, namespace, labels, governing Service, replicas, containers with their
//! resource requests and mounts, claim templates, pod annotations and extra
//! spec fields (update strategy, pod management policy, retention policy
//! ...), written as YAML or, for request bodies, as JSON.
//!
//! ```ignore
//! let yaml = SetManifest::statefulset("web")
//!     .with_service("nginx")
//!     .update_strategy("OnDelete")
//!     .container("nginx", "nginx:1.25")
//!     .mount("www", "/data")
//!     .claim("www")
//!     .yaml();
//! ```

use std::fmt::Write;

/// A container of the pod template and the claims it mounts.
#[derive(Clone)]
struct Container {
    name: String,
    image: String,
    requests: Vec<(String, String)>,
    mounts: Vec<(String, String)>,
}

/// A PetSet or StatefulSet, its pets labelled and selected by `app: <app>`.
#[derive(Clone)]
pub struct SetManifest {
    api_version: &'static str,
    kind: &'static str,
    name: String,
    namespace: Option<String>,
    labels: Vec<(String, String)>,
    service_name: String,
    governing_service: bool,
    app: String,
    replicas: i64,
    spec: String,
    pod_annotations: Vec<(String, String)>,
    grace_period: Option<u32>,
    containers: Vec<Container>,
    claims: Vec<String>,
}

impl SetManifest {
    /// An apps/v1 StatefulSet `name` with 3 replicas, whose serviceName and
    /// `app` label are `name` too, and no containers yet.
    pub fn statefulset(name: &str) -> Self {
        Self::new("apps/v1", "StatefulSet", name)
    }

    /// An apps/v1alpha1 PetSet `name`, otherwise as [`Self::statefulset`].
    pub fn petset(name: &str) -> Self {
        Self::new("apps/v1alpha1", "PetSet", name)
    }

    fn new(api_version: &'static str, kind: &'static str, name: &str) -> Self {
        SetManifest {
            api_version,
            kind,
            name: name.to_string(),
            namespace: None,
            labels: Vec::new(),
            service_name: name.to_string(),
            governing_service: false,
            app: name.to_string(),
            replicas: 3,
            spec: String::new(),
            pod_annotations: Vec::new(),
            grace_period: None,
            containers: Vec::new(),
            claims: Vec::new(),
        }
    }

    /// A headless Service `service` selecting the pets goes first, and the
    /// set names it as its serviceName.
    pub fn with_service(mut self, service: &str) -> Self {
        self.service_name = service.to_string();
        self.governing_service = true;
        self
    }

    /// The serviceName, of a Service the test does not create.
    pub fn service_name(mut self, service: &str) -> Self {
        self.service_name = service.to_string();
        self
    }

    /// The set's namespace (otherwise the one petctl is pointed at).
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_string());
        self
    }

    /// A label of the set itself (not of its pets).
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.push((key.to_string(), value.to_string()));
        self
    }

    /// The `app` label of the pets and the selector.
    pub fn app(mut self, app: &str) -> Self {
        self.app = app.to_string();
        self
    }

    pub fn replicas(mut self, replicas: i64) -> Self {
        self.replicas = replicas;
        self
    }

    /// `updateStrategy.type`.
    pub fn update_strategy(self, strategy: &str) -> Self {
        self.spec(&format!("  updateStrategy:\n    type: {strategy}\n"))
    }

    pub fn pod_management_policy(self, policy: &str) -> Self {
        self.spec(&format!("  podManagementPolicy: {policy}\n"))
    }

    /// Further spec fields: YAML lines indented by two spaces.
    pub fn spec(mut self, lines: &str) -> Self {
        self.spec.push_str(lines);
        self
    }

    /// A pod template annotation; `value` is a YAML scalar as written.
    pub fn pod_annotation(mut self, key: &str, value: &str) -> Self {
        self.pod_annotations
            .push((key.to_string(), value.to_string()));
        self
    }

    pub fn grace_period(mut self, seconds: u32) -> Self {
        self.grace_period = Some(seconds);
        self
    }

    pub fn container(mut self, name: &str, image: &str) -> Self {
        self.containers.push(Container {
            name: name.to_string(),
            image: image.to_string(),
            requests: Vec::new(),
            mounts: Vec::new(),
        });
        self
    }

    /// A resource request of the last container added: `quantity` of
    /// `resource` (`cpu`, `memory` ...), a YAML scalar as written.
    pub fn request(mut self, resource: &str, quantity: &str) -> Self {
        let container = self
            .containers
            .last_mut()
            .expect("a container to request resources for");
        container
            .requests
            .push((resource.to_string(), quantity.to_string()));
        self
    }

    /// Mounts the claim `claim` at `path` in the last container added.
    pub fn mount(mut self, claim: &str, path: &str) -> Self {
        let container = self
            .containers
            .last_mut()
            .expect("a container to mount the claim in");
        container.mounts.push((claim.to_string(), path.to_string()));
        self
    }

    /// A claim template `name` asking for 1Gi ReadWriteOnce.
    pub fn claim(mut self, name: &str) -> Self {
        self.claims.push(name.to_string());
        self
    }

    pub fn yaml(&self) -> String {
        let mut out = String::new();
        let (name, service, app) = (&self.name, &self.service_name, &self.app);
        if self.governing_service {
            let _ = write!(
                out,
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {service}\nspec:\n  clusterIP: None\n  selector:\n    app: {app}\n  ports:\n  - port: 80\n---\n"
            );
        }
        let _ = write!(
            out,
            "apiVersion: {}\nkind: {}\nmetadata:\n  name: {name}\n",
            self.api_version, self.kind
        );
        if let Some(namespace) = &self.namespace {
            let _ = writeln!(out, "  namespace: {namespace}");
        }
        write_map(&mut out, "  labels:\n", "    ", &self.labels);
        let _ = write!(
            out,
            "spec:\n  serviceName: {service}\n  replicas: {}\n{}  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n",
            self.replicas, self.spec
        );
        write_map(
            &mut out,
            "      annotations:\n",
            "        ",
            &self.pod_annotations,
        );
        out.push_str("    spec:\n");
        if let Some(seconds) = self.grace_period {
            let _ = writeln!(out, "      terminationGracePeriodSeconds: {seconds}");
        }
        out.push_str("      containers:\n");
        for c in &self.containers {
            let _ = write!(
                out,
                "      - name: {}\n        image: {}\n",
                c.name, c.image
            );
            let requests = "        resources:\n          requests:\n";
            write_map(&mut out, requests, "            ", &c.requests);
            if !c.mounts.is_empty() {
                out.push_str("        volumeMounts:\n");
            }
            for (claim, path) in &c.mounts {
                let _ = write!(
                    out,
                    "        - name: {claim}\n          mountPath: {path}\n"
                );
            }
        }
        if !self.claims.is_empty() {
            out.push_str("  volumeClaimTemplates:\n");
        }
        for claim in &self.claims {
            let _ = write!(
                out,
                "  - metadata:\n      name: {claim}\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 1Gi\n"
            );
        }
        out
    }

    /// The set alone (no Service) as a JSON object, for a request body;
    /// read by petctl's own manifest parser from [`Self::yaml`].
    pub fn json(&self) -> serde_json::Value {
        let file = petctl::manifest::SourceFile {
            name: "SetManifest".into(),
            text: SetManifest {
                governing_service: false,
                ..self.clone()
            }
            .yaml(),
        };
        let mut documents =
            petctl::manifest::parse::parse_file(&file).expect("the builder writes valid YAML");
        documents.pop().expect("one document").value
    }
}

/// `key: value` lines indented by `indent` under `header`; nothing at all
/// when there are no entries.
fn write_map(out: &mut String, header: &str, indent: &str, entries: &[(String, String)]) {
    if !entries.is_empty() {
        out.push_str(header);
    }
    for (key, value) in entries {
        let _ = writeln!(out, "{indent}{key}: {value}");
    }
}
