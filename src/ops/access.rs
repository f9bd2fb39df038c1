//! Permission preflight. Before its first change, an operation asks the
//! server whether the user may make every kind of request it needs (a
//! SelfSubjectAccessReview, what `kubectl auth can-i` sends). A missing
//! permission then stops it before anything changed, not half-way: a
//! patched template with no pet replaced, or a set scaled to 0 that cannot
//! be deleted. A server that cannot answer (no review API, or the review
//! itself refused) is not asked again; the operation's own requests then
//! report what the server refuses.

use serde_json::{json, Value};

use crate::client::Client;
use crate::kinds::KindInfo;

const REVIEWS: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/// One kind of request an operation makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub verb: &'static str,
    pub kind: &'static KindInfo,
    pub subresource: Option<&'static str>,
    pub namespace: String,
}

impl Need {
    pub fn new(verb: &'static str, kind: &'static KindInfo, namespace: &str) -> Need {
        Need {
            verb,
            kind,
            subresource: None,
            namespace: namespace.to_string(),
        }
    }

    pub fn on(mut self, subresource: &'static str) -> Need {
        self.subresource = Some(subresource);
        self
    }

    fn review(&self) -> Value {
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "namespace": self.namespace,
                "verb": self.verb,
                "group": self.kind.group,
                "resource": self.kind.plural,
                "subresource": self.subresource.unwrap_or(""),
            }},
        })
    }
}

impl std::fmt::Display for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let resource = self.kind.qualified_plural();
        match self.subresource {
            Some(sub) => write!(f, "{} {resource}/{sub}", self.verb)?,
            None => write!(f, "{} {resource}", self.verb)?,
        }
        write!(f, " in namespace {:?}", self.namespace)
    }
}

/// The needs the server says the user lacks; empty when all are allowed
/// or when the server cannot say.
pub async fn missing(client: &Client, needs: &[Need]) -> Vec<Need> {
    let mut missing = Vec::new();
    for need in needs {
        let answer = client.review(REVIEWS, &need.review()).await;
        match answer {
            Ok(review) if review.pointer("/status/allowed") == Some(&Value::Bool(false)) => {
                missing.push(need.clone());
            }
            Ok(_) => {}
            Err(_) => return Vec::new(),
        }
    }
    missing
}

/// Fails, naming every missing permission, unless the user may make all
/// of `needs`. `what` names the operation, e.g. `upgrade of petset "web"`.
pub async fn require(client: &Client, needs: &[Need], what: &str) -> anyhow::Result<()> {
    let missing = missing(client, needs).await;
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing.iter().map(Need::to_string).collect();
    anyhow::bail!(
        "{what} needs permission to {}, which the server says you do not have (a SelfSubjectAccessReview, as `kubectl auth can-i` asks); nothing was changed",
        list.join(", ")
    )
}
