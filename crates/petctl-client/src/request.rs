//! Pure request builders: the URL path of a kind, object or subresource, the
//! query of a list or watch, and the bodies of deletes and patches. No I/O,
//! so every path petctl sends is covered by table-driven tests.

use petctl_model::kinds::KindInfo;

/// The path of a collection (`name` None) or an object, optionally a
/// subresource of it. `namespace` is ignored for cluster-scoped kinds;
/// None for a namespaced kind means all namespaces.
pub fn path(
    kind: &KindInfo,
    namespace: Option<&str>,
    name: Option<&str>,
    subresource: Option<&str>,
) -> String {
    let mut path = if kind.group.is_empty() {
        format!("/api/{}", kind.version)
    } else {
        format!("/apis/{}/{}", kind.group, kind.version)
    };
    if kind.namespaced {
        if let Some(ns) = namespace {
            path.push_str("/namespaces/");
            path.push_str(&encode_segment(ns));
        }
    }
    path.push('/');
    path.push_str(kind.plural);
    object_path(&path, name, subresource)
}

/// The path of an object (or of the collection, `name` None) under a
/// collection's path, optionally a subresource of it.
pub fn object_path(collection: &str, name: Option<&str>, subresource: Option<&str>) -> String {
    let mut path = collection.to_string();
    if let Some(name) = name {
        path.push('/');
        path.push_str(&encode_segment(name));
        if let Some(sub) = subresource {
            path.push('/');
            path.push_str(sub);
        }
    }
    path
}

/// Names are validated by the server, but a bad one must not change the
/// path's shape.
fn encode_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Parameters of a list or a watch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListParams {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub timeout_seconds: Option<u32>,
    pub allow_bookmarks: bool,
}

impl ListParams {
    pub fn labels(selector: impl Into<String>) -> Self {
        ListParams {
            label_selector: Some(selector.into()),
            ..Default::default()
        }
    }

    pub fn fields(selector: impl Into<String>) -> Self {
        ListParams {
            field_selector: Some(selector.into()),
            ..Default::default()
        }
    }

    /// `?labelSelector=…&…` (empty when there is nothing to say).
    pub fn query(&self, watch: bool) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if watch {
            q.append_pair("watch", "1");
            if self.allow_bookmarks {
                q.append_pair("allowWatchBookmarks", "true");
            }
        }
        if let Some(s) = self.label_selector.as_deref().filter(|s| !s.is_empty()) {
            q.append_pair("labelSelector", s);
        }
        if let Some(s) = self.field_selector.as_deref().filter(|s| !s.is_empty()) {
            q.append_pair("fieldSelector", s);
        }
        // limit=0 is no limit to a kube-apiserver; it is left out.
        if let Some(limit) = self.limit.filter(|l| !watch && *l > 0) {
            q.append_pair("limit", &limit.to_string());
        }
        if let Some(token) = self.continue_token.as_deref().filter(|_| !watch) {
            q.append_pair("continue", token);
        }
        if let Some(rv) = &self.resource_version {
            q.append_pair("resourceVersion", rv);
        }
        if let Some(t) = self.timeout_seconds.filter(|_| watch) {
            q.append_pair("timeoutSeconds", &t.to_string());
        }
        query_string(q.finish())
    }
}

pub use petctl_model::request::{DeleteOptions, PatchType, Preconditions, PropagationPolicy};

/// `?q`, or nothing for an empty query.
fn query_string(q: String) -> String {
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}

/// The parameters of a write (create, replace, patch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteParams {
    /// `dryRun=All`: the server validates and answers but stores nothing.
    pub dry_run: bool,
    /// `fieldManager`, required by server-side apply.
    pub field_manager: Option<String>,
    /// `fieldValidation`: `Strict`, `Warn` or `Ignore`.
    pub field_validation: Option<String>,
    /// `force`, for server-side apply conflicts.
    pub force: bool,
}

impl WriteParams {
    pub fn dry_run(dry_run: bool) -> Self {
        WriteParams {
            dry_run,
            ..Default::default()
        }
    }

    /// `?dryRun=All&…` (empty when there is nothing to say).
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if self.dry_run {
            q.append_pair("dryRun", "All");
        }
        if let Some(v) = self.field_validation.as_deref() {
            q.append_pair("fieldValidation", v);
        }
        if let Some(m) = self.field_manager.as_deref() {
            q.append_pair("fieldManager", m);
        }
        if self.force {
            q.append_pair("force", "true");
        }
        query_string(q.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    #[test]
    fn paths() {
        let sts = by_name("sts").unwrap();
        let pod = by_name("pod").unwrap();
        let pv = by_name("pv").unwrap();
        let petset = by_name("petset").unwrap();
        let cases = [
            (
                path(sts, Some("default"), Some("web"), Some("scale")),
                "/apis/apps/v1/namespaces/default/statefulsets/web/scale",
            ),
            (path(sts, None, None, None), "/apis/apps/v1/statefulsets"),
            (
                path(pod, Some("kube-system"), None, None),
                "/api/v1/namespaces/kube-system/pods",
            ),
            (
                path(pod, Some("default"), Some("web-0"), Some("status")),
                "/api/v1/namespaces/default/pods/web-0/status",
            ),
            (
                path(pv, Some("ignored"), Some("pvc-1"), None),
                "/api/v1/persistentvolumes/pvc-1",
            ),
            (
                path(petset, Some("default"), Some("web"), None),
                "/apis/apps/v1alpha1/namespaces/default/petsets/web",
            ),
            (
                path(pod, Some("default"), Some("a/b c"), None),
                "/api/v1/namespaces/default/pods/a%2Fb%20c",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn list_queries() {
        assert_eq!(ListParams::default().query(false), "");
        assert_eq!(
            ListParams::labels("app=nginx").query(false),
            "?labelSelector=app%3Dnginx"
        );
        let p = ListParams {
            field_selector: Some("metadata.name=web-0".into()),
            limit: Some(500),
            resource_version: Some("42".into()),
            timeout_seconds: Some(30),
            allow_bookmarks: true,
            ..Default::default()
        };
        assert_eq!(
            p.query(false),
            "?fieldSelector=metadata.name%3Dweb-0&limit=500&resourceVersion=42"
        );
        assert_eq!(
            p.query(true),
            "?watch=1&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb-0&resourceVersion=42&timeoutSeconds=30"
        );
    }

    #[test]
    fn write_queries() {
        assert_eq!(WriteParams::default().query(), "");
        assert_eq!(WriteParams::dry_run(true).query(), "?dryRun=All");
        let p = WriteParams {
            dry_run: true,
            field_validation: Some("Strict".into()),
            field_manager: Some("petctl".into()),
            force: true,
        };
        assert_eq!(
            p.query(),
            "?dryRun=All&fieldValidation=Strict&fieldManager=petctl&force=true"
        );
    }
}
