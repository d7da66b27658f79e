//! Scopes as a token grants them: space-separated names (RFC 6749 3.3).

/// The scope of administration; granted only by an admin or by the command
/// line, never by default.
pub const ADMIN_SCOPE: &str = "auth:admin";

/// Whether the space-separated `scopes` include `scope` (exactly).
pub fn includes(scopes: &str, scope: &str) -> bool {
    scopes.split_ascii_whitespace().any(|s| s == scope)
}

/// Scope names as stored: each checked (RFC 6749 3.3: printable ASCII but
/// `"` and `\\`, no space), repeats dropped, joined by spaces; or the first
/// name that is not one.
pub fn joined(scopes: &[String]) -> Result<String, String> {
    let mut all: Vec<&str> = Vec::new();
    for scope in scopes {
        let valid = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if !valid {
            return Err(format!("`{scope}` is not a scope name"));
        }
        if !all.contains(&scope.as_str()) {
            all.push(scope);
        }
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
            return Err(format!("the scope `{scope}` cannot be granted"));
        }
        if !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    Ok(granted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::{joined, narrow};

    #[test]
    fn scope_names_are_checked_and_joined_once() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(joined(&names(&["a:b", "c", "a:b"])), Ok("a:b c".to_owned()));
        assert!(joined(&names(&["two words"])).is_err());
        assert!(joined(&names(&[""])).is_err());
        assert!(joined(&names(&["quote\""])).is_err());
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
