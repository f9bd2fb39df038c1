//! Field paths (`spec.template.spec.containers[0].name`), printed the way
//! Kubernetes prints them in validation errors. Shared by manifest
//! diagnostics, validation and the local control plane's `Status` causes.

use std::fmt;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a field inside an object, printed the way Kubernetes prints
/// field paths in validation errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// Parses the dotted form: `spec.template.spec.containers[0].name`.
    /// Bracketed keys (`annotations[a.b/c]`) are kept whole.
    pub fn parse(dotted: &str) -> Self {
        let mut segments = Vec::new();
        let mut rest = dotted;
        while !rest.is_empty() {
            if let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']').unwrap_or(inner.len());
                let token = &inner[..end];
                segments.push(match token.parse::<usize>() {
                    Ok(i) => Segment::Index(i),
                    Err(_) => Segment::Key(token.to_string()),
                });
                rest = inner.get(end + 1..).unwrap_or("");
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if end > 0 {
                    segments.push(Segment::Key(rest[..end].to_string()));
                }
                rest = &rest[end..];
            }
            rest = rest.strip_prefix('.').unwrap_or(rest);
        }
        FieldPath(segments)
    }

    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.into()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub fn join(&self, other: &FieldPath) -> Self {
        let mut next = self.clone();
        next.0.extend(other.0.iter().cloned());
        next
    }

    pub fn parent(&self) -> Option<Self> {
        let mut next = self.clone();
        next.0.pop().map(|_| next)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{k}]")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_kubernetes() {
        let p = FieldPath::root()
            .key("spec")
            .key("template")
            .key("spec")
            .key("containers")
            .index(0)
            .key("name");
        assert_eq!(p.to_string(), "spec.template.spec.containers[0].name");
        let a = FieldPath::root()
            .key("metadata")
            .key("annotations")
            .key("pod.alpha.kubernetes.io/initialized");
        assert_eq!(
            a.to_string(),
            "metadata.annotations[pod.alpha.kubernetes.io/initialized]"
        );
    }

    #[test]
    fn paths_round_trip_through_parse() {
        for s in [
            "spec.replicas",
            "spec.template.spec.containers[0].name",
            "metadata.annotations[pod.alpha.kubernetes.io/initialized]",
            "items[3].spec",
        ] {
            assert_eq!(FieldPath::parse(s).to_string(), s);
        }
    }
}
