//! Authentication, as kube-apiserver's union of authenticators: a client
//! certificate signed by the local CA (the user is its CommonName, the
//! groups its Organizations), or the bearer token of the state directory,
//! which is the administrator, or a service account token (`token.rs`). Every path but the health checks and
//! `/version` needs one of them; token comparison takes constant time.

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;
use rustls::pki_types::CertificateDer;

/// The user the bearer token authenticates.
pub const ADMIN_USER: &str = "petctl-admin";
/// The group whose members may do anything (RBAC's superuser group).
pub const MASTERS_GROUP: &str = "system:masters";

/// An authenticated user (`user.Info`): a service account has a uid and
/// extra attributes, the other users none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
    pub uid: String,
    pub extra: std::collections::BTreeMap<String, Vec<String>>,
}

impl User {
    fn admin() -> User {
        User {
            name: ADMIN_USER.to_string(),
            groups: vec![
                MASTERS_GROUP.to_string(),
                "system:authenticated".to_string(),
            ],
            ..User::default()
        }
    }

    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS_GROUP)
    }
}

/// The user a verified client certificate names, kept in the request's
/// extensions by the listener.
#[derive(Debug, Clone)]
pub struct CertificateUser(pub User);

/// The user of a client certificate the TLS layer has verified against the
/// local CA; None when it names no CommonName.
pub fn certificate_user(cert: &CertificateDer<'_>) -> Option<User> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let subject = parsed.subject();
    let name = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let mut groups: Vec<String> = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    groups.push("system:authenticated".to_string());
    Some(User {
        name,
        groups,
        ..User::default()
    })
}

/// Paths served without a token, as kube-apiserver's anonymous defaults.
pub fn is_public(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || path == "/version"
}

/// A user of the legacy `--basic-auth-file`, as kube-apiserver read it
/// until 1.19 (PetSet-era clusters used it): `password,user,uid[,"g1,g2"]`.
#[derive(Clone)]
pub struct BasicUser {
    password: String,
    user: User,
}

/// Without the password, so that it cannot end up in a log.
impl std::fmt::Debug for BasicUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicUser")
            .field("user", &self.user)
            .field("password", &"REDACTED")
            .finish()
    }
}

/// Parses a basic-auth file; errors name the line.
pub fn parse_basic_auth_file(text: &str) -> Result<Vec<BasicUser>, String> {
    let mut users = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(4, ',');
        let (Some(password), Some(name), Some(_uid)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "line {}: want password,user,uid[,\"group1,group2\"]",
                index + 1
            ));
        };
        if password.is_empty() || name.is_empty() {
            return Err(format!(
                "line {}: the password and user must not be empty",
                index + 1
            ));
        }
        let mut groups: Vec<String> = fields
            .next()
            .map(|g| g.trim_matches('"'))
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_string)
            .collect();
        groups.push("system:authenticated".to_string());
        users.push(BasicUser {
            password: password.to_string(),
            user: User {
                name: name.to_string(),
                groups,
                ..User::default()
            },
        });
    }
    Ok(users)
}

/// Who sent the request: the client certificate's user, else the
/// administrator when the request carries `Authorization: Bearer <token>`,
/// else a user of the basic-auth file.
pub fn authenticate(
    headers: &HeaderMap,
    token: &str,
    basic: &[BasicUser],
    cert: Option<&CertificateUser>,
) -> Option<User> {
    if let Some(CertificateUser(user)) = cert {
        return Some(user.clone());
    }
    if credentials(headers, "bearer")
        .any(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
    {
        return Some(User::admin());
    }
    credentials(headers, "basic")
        .filter_map(decode_basic)
        .find_map(|(name, password)| {
            basic
                .iter()
                .find(|b| {
                    b.user.name == name
                        && constant_time_eq(password.as_bytes(), b.password.as_bytes())
                })
                .map(|b| b.user.clone())
        })
}

/// The credentials of every `Authorization: Bearer <token>` header.
pub fn bearer_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> + '_ {
    credentials(headers, "bearer")
}

/// The credentials of every `Authorization: <scheme> <credentials>` header.
fn credentials<'a>(headers: &'a HeaderMap, scheme: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(move |v| {
            let (given, rest) = v.trim().split_once(' ')?;
            given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
        })
}

/// `user:password` from base64.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
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
            authenticate(&headers, "s3cret", &[], None).is_some()
        };
        assert!(check("Bearer s3cret"));
        assert!(check("bearer  s3cret "));
        assert!(!check("Bearer wrong"));
        assert!(!check("Basic s3cret"));
        assert!(!check("s3cret"));
        assert!(authenticate(&HeaderMap::new(), "s3cret", &[], None).is_none());
    }

    #[test]
    fn basic_auth_file_users_and_their_groups() {
        let users =
            parse_basic_auth_file("# comment\npw1,alice,1\npw2,bob,2,\"system:masters,dev\"\n")
                .unwrap();
        let check = |user: &str, password: &str| {
            use base64::Engine;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let mut headers = HeaderMap::new();
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
            );
            authenticate(&headers, "token", &users, None)
        };
        assert_eq!(
            check("alice", "pw1").unwrap().groups,
            ["system:authenticated"]
        );
        assert!(check("bob", "pw2").unwrap().is_master());
        assert!(check("alice", "pw2").is_none());
        assert!(check("carol", "pw1").is_none());
        assert_eq!(
            parse_basic_auth_file("pw,alice\n").unwrap_err(),
            "line 1: want password,user,uid[,\"group1,group2\"]"
        );
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
