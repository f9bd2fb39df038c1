//! Bearer-token authentication: every path but the health checks and
//! `/version` needs the token; the comparison takes constant time.

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;

/// Paths served without a token, as kube-apiserver's anonymous defaults.
pub fn is_public(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || path == "/version"
}

/// Whether the request carries `Authorization: Bearer <token>`.
pub fn is_authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .any(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
}

/// Compares without returning early on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0 && !b.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn tokens_compare_exactly() {
        for (a, b, want) in [
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("ab", "abc", false),
            ("abcd", "abc", false),
            ("", "", false),
            ("", "abc", false),
        ] {
            assert_eq!(
                constant_time_eq(a.as_bytes(), b.as_bytes()),
                want,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn only_bearer_with_the_token_passes() {
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            is_authorized(&headers, "s3cret")
        };
        assert!(check("Bearer s3cret"));
        assert!(check("bearer  s3cret "));
        assert!(!check("Bearer wrong"));
        assert!(!check("Basic s3cret"));
        assert!(!check("s3cret"));
        assert!(!is_authorized(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn public_paths() {
        for (path, want) in [
            ("/healthz", true),
            ("/readyz/ping", true),
            ("/livez", true),
            ("/version", true),
            ("/version/", true),
            ("/api", false),
            ("/healthzx", false),
            ("/petctl/status", false),
        ] {
            assert_eq!(is_public(path), want, "{path}");
        }
    }
}
