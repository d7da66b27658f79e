//! Scopes as a token grants them: space-separated names (RFC 6749 3.3).

/// The scope of administration; granted only by an admin or by the command
/// line, never by default.
pub const ADMIN_SCOPE: &str = "auth:admin";

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
    use super::narrow;

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
