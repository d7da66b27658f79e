//! Redirect URIs of clients that sign users in: what may be registered,
//! and when a request's URI matches a registered one.
//!
//! Policy (api.md, "Clients with redirect URIs"; RFC 9700 2.1, RFC 8252):
//! a URI is absolute, has no fragment, and is `https`, `http` on a
//! loopback host (`127.0.0.1`, `[::1]`, `localhost`), or a private scheme
//! with a dot (`com.example.app:/cb`). A request's URI matches a
//! registered one when the strings are equal; for `http` on a loopback
//! host, the port may differ (RFC 8252 7.3: a native app listens on
//! whatever port it gets).

use url::{Host, Url};

/// At most this many URIs of each kind a client.
pub const MAX_URIS: usize = 20;
/// At most this many characters a URI.
const MAX_URI_CHARS: usize = 2000;

/// Checks a URI to register; the refusal says why.
pub fn check(uri: &str) -> Result<(), String> {
    if uri.is_empty() || uri.chars().count() > MAX_URI_CHARS {
        return Err(format!("must be 1 to {MAX_URI_CHARS} characters"));
    }
    // Lists are stored space-separated; a valid URI holds no white space.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain white space or control characters".into());
    }
    if uri.contains('#') {
        return Err("must not have a fragment (RFC 6749 3.1.2)".into());
    }
    // Browsers read `\` as `/` and skip extra slashes in http(s) URLs: what
    // one would follow could differ from the string matched.
    if uri.contains('\\') {
        return Err("must not contain a backslash".into());
    }
    for scheme in ["http://", "https://"] {
        if uri
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            && (!uri.starts_with(scheme) || uri[scheme.len()..].starts_with('/'))
        {
            return Err(format!("must start `{scheme}` and a host, in lower case"));
        }
    }
    let url = Url::parse(uri).map_err(|e| format!("is not an absolute URI: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold a user name or password".into());
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(
            "http is allowed only on a loopback host (127.0.0.1, [::1], localhost); \
                       use https"
                .into(),
        ),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(
            "must be https, http on a loopback host, or a private scheme with a dot \
                  (com.example.app:/callback)"
                .into(),
        ),
    }
}

/// Checks a list; the first refusal names its URI.
pub fn check_all(uris: &[String]) -> Result<(), String> {
    if uris.len() > MAX_URIS {
        return Err(format!("at most {MAX_URIS} URIs"));
    }
    for uri in uris {
        check(uri).map_err(|why| format!("`{}` {why}", shown(uri)))?;
    }
    Ok(())
}

/// Whether `presented` matches one of the space-separated `registered`.
pub fn is_registered(registered: &str, presented: &str) -> bool {
    registered
        .split_ascii_whitespace()
        .any(|uri| uri == presented || same_loopback_but_port(uri, presented))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// `http` on the same loopback host, path and query, any port.
fn same_loopback_but_port(registered: &str, presented: &str) -> bool {
    let (Ok(mut registered), Ok(mut presented)) = (Url::parse(registered), Url::parse(presented))
    else {
        return false;
    };
    let loopback_http = |url: &Url| url.scheme() == "http" && is_loopback(url);
    if !loopback_http(&registered) || !loopback_http(&presented) || presented.fragment().is_some() {
        return false;
    }
    // Setting no port cannot fail on an http URL with a host.
    let _ = registered.set_port(None);
    let _ = presented.set_port(None);
    registered == presented
}

/// A URI as an error message shows it: at most 100 characters.
fn shown(uri: &str) -> String {
    let mut shown: String = uri.chars().take(100).collect();
    if shown.len() < uri.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registration_rules_of_the_contract() {
        for good in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "http://127.0.0.1/callback",
            "http://127.0.0.1:8080/callback",
            "http://[::1]:3000/cb",
            "http://localhost:5173/",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/relative/callback",
            "https://app.example.com/cb#fragment",
            "http://app.example.com/callback",
            "http://192.168.1.10/callback",
            "javascript:alert(1)",
            "data:text/html,hi",
            "myapp:/cb",
            "https://user:pass@app.example.com/cb",
            "https://app.example.com/a b",
            "https:///no-host",
            "HTTPS://app.example.com/cb",
            "https://evil.example\\@app.example.com/cb",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(2000));
        assert!(check(&long).is_err());
    }

    #[test]
    fn a_refused_list_names_the_uri() {
        let uris = vec![
            "https://ok.example.com/cb".to_owned(),
            "http://evil.example.com/cb".to_owned(),
        ];
        let why = check_all(&uris).expect_err("refused");
        assert!(why.contains("`http://evil.example.com/cb`"), "{why}");
        let many: Vec<String> = (0..21).map(|i| format!("https://a.example/{i}")).collect();
        assert!(check_all(&many).is_err());
    }

    #[test]
    fn matching_is_exact_except_the_port_of_a_loopback_uri() {
        let registered = "https://app.example.com/cb http://127.0.0.1/callback com.example.app:/cb";
        assert!(is_registered(registered, "https://app.example.com/cb"));
        assert!(is_registered(registered, "com.example.app:/cb"));
        assert!(is_registered(registered, "http://127.0.0.1:51234/callback"));
        assert!(is_registered(registered, "http://127.0.0.1/callback"));
        for other in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb?x=1",
            "https://APP.example.com/cb",
            "https://app.example.com:444/cb",
            "http://127.0.0.1:51234/callback/other",
            "http://127.0.0.1:51234/callback#x",
            "http://localhost:51234/callback",
            "https://app.example.com",
            "",
        ] {
            assert!(!is_registered(registered, other), "{other}");
        }
    }
}
