//! Scopes as a token grants them: space-separated names (RFC 6749 3.3).
//!
//! Names are compared exactly, everywhere (`AUTH:ADMIN` is not
//! `auth:admin`). A name stored or granted is 1 to [`MAX_NAME_CHARS`]
//! characters of ASCII letters, digits and `-._:/+~`, and a list holds at
//! most [`MAX_SCOPES`] names, so every token's `scope` stays far below the
//! verifiers' 8 KiB token limit.

/// The scope of administration; granted only by an admin or by the command
/// line, never by default, and never to a token without a session.
pub const ADMIN_SCOPE: &str = "auth:admin";

/// The scope that lets a service client read other tokens' details at
/// `/v1/introspect` (RFC 7662 4).
pub const INTROSPECT_SCOPE: &str = "auth:introspect";

/// OpenID Connect's scopes: they ask about the signed-in user themself, so
/// every user holds them and a client need not list them (api.md, "The
/// authorization endpoint"). They never reach a token without a user.
pub const IDENTITY_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// `openid`: the code flow adds an ID token, and userinfo answers.
pub const OPENID_SCOPE: &str = "openid";

fn is_identity(scope: &str) -> bool {
    IDENTITY_SCOPES.contains(&scope)
}

/// What a client may ask a user for: its scopes and the identity scopes.
pub fn with_identity(client_scopes: &str) -> String {
    let mut all: Vec<&str> = client_scopes.split_ascii_whitespace().collect();
    for identity in IDENTITY_SCOPES {
        if !all.contains(&identity) {
            all.push(identity);
        }
    }
    all.join(" ")
}

/// The longest scope name.
pub const MAX_NAME_CHARS: usize = 64;

/// The most names in one list.
pub const MAX_SCOPES: usize = 32;

/// Whether the space-separated `scopes` include `scope` (exactly).
pub fn includes(scopes: &str, scope: &str) -> bool {
    scopes.split_ascii_whitespace().any(|s| s == scope)
}

/// Whether a user who was granted `granted` holds every name of `scopes`
/// (the identity scopes they always hold).
pub fn within(scopes: &str, granted: &str) -> bool {
    scopes
        .split_ascii_whitespace()
        .all(|scope| is_identity(scope) || includes(granted, scope))
}

/// The names of `scopes` that a user granted `granted` holds, in `scopes`'
/// order (the identity scopes they always hold).
pub fn intersection(scopes: &str, granted: &str) -> String {
    scopes
        .split_ascii_whitespace()
        .filter(|scope| is_identity(scope) || includes(granted, scope))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `scopes` without `scope`.
pub fn without(scopes: &str, scope: &str) -> String {
    scopes
        .split_ascii_whitespace()
        .filter(|s| *s != scope)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A name as an error message shows it: at most [`MAX_NAME_CHARS`]
/// characters, so a refusal never echoes a megabyte back.
fn shown(scope: &str) -> String {
    let mut shown: String = scope.chars().take(MAX_NAME_CHARS).collect();
    if shown.len() < scope.len() {
        shown.push_str("...");
    }
    shown
}

fn is_name(scope: &str) -> bool {
    (1..=MAX_NAME_CHARS).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:/+~".contains(&b))
}

/// Scope names as stored: each checked (see the module docs), repeats
/// dropped, joined by spaces; or what is wrong, naming the first bad name.
pub fn joined<S: AsRef<str>>(scopes: &[S]) -> Result<String, String> {
    let mut all: Vec<&str> = Vec::new();
    for scope in scopes.iter().map(AsRef::as_ref) {
        if !is_name(scope) {
            return Err(format!(
                "`{}` is not a scope name: 1 to {MAX_NAME_CHARS} ASCII letters, digits or \
                 `-._:/+~`",
                shown(scope)
            ));
        }
        if !all.contains(&scope) {
            all.push(scope);
        }
    }
    if all.len() > MAX_SCOPES {
        return Err(format!("at most {MAX_SCOPES} scopes, not {}", all.len()));
    }
    Ok(all.join(" "))
}

/// The scopes a grant asks for, checked against what may be granted.
///
/// `None` or blank asks for everything allowed; repeated names count once.
/// A name outside `allowed` is refused, with the name in the message.
pub fn narrow(allowed: &str, requested: Option<&str>) -> Result<String, String> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(allowed.to_owned());
    };
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split_ascii_whitespace() {
        if !allowed.split_ascii_whitespace().any(|s| s == scope) {
            return Err(format!("the scope `{}` cannot be granted", shown(scope)));
        }
        if !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    Ok(granted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_are_checked_and_joined_once() {
        assert_eq!(joined(&["a:b", "c", "a:b"]), Ok("a:b c".to_owned()));
        assert_eq!(joined(&["AUTH:ADMIN"]), Ok("AUTH:ADMIN".to_owned()));
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        for bad in ["two words", "", "quote\"", "back\\slash", "é", &long] {
            assert!(joined(&[bad]).is_err(), "{bad:?}");
        }
        assert!(joined(&["x".repeat(MAX_NAME_CHARS)]).is_ok());
        let many: Vec<String> = (0..=MAX_SCOPES).map(|n| format!("s{n}")).collect();
        assert!(joined(&many[..MAX_SCOPES]).is_ok());
        assert!(joined(&many).is_err());
        let refusal = joined(&["y".repeat(9000)]).expect_err("too long");
        assert!(
            refusal.len() < 200,
            "the refusal does not echo 9,000 characters"
        );
    }

    #[test]
    fn names_compare_exactly() {
        assert!(includes("auth:admin items:read", ADMIN_SCOPE));
        assert!(!includes("AUTH:ADMIN items:read", ADMIN_SCOPE));
        assert!(!includes("auth:admins", ADMIN_SCOPE));
        assert!(within("items:read", "items:read items:write"));
        assert!(!within("items:read auth:admin", "items:read AUTH:ADMIN"));
        assert!(within("", "items:read"));
        assert_eq!(
            intersection("auth:admin items:read x", "items:read auth:admin"),
            "auth:admin items:read"
        );
        assert_eq!(without("auth:admin items:read", ADMIN_SCOPE), "items:read");
    }

    #[test]
    fn scopes_narrow_within_what_is_allowed() {
        let allowed = "items:read items:write";
        assert_eq!(narrow(allowed, None), Ok(allowed.to_owned()));
        assert_eq!(narrow(allowed, Some(" ")), Ok(allowed.to_owned()));
        assert_eq!(
            narrow(allowed, Some("items:read items:read")),
            Ok("items:read".to_owned())
        );
        assert!(narrow("items:read", Some("items:write")).is_err());
    }
}
