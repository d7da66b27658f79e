//! `GET /admin/` and `GET /account/`: the pages' files come from the binary
//! under a strict Content-Security-Policy, with no inline script or style
//! for it to allow. (scripts/console-check.sh drives both in Chromium.)

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_console_is_served_from_the_binary_under_a_strict_policy() {
    let app = spawn_app().await;
    let bare = app.get("/admin").send().await.expect("answer");
    assert_eq!(bare.status(), 308);
    // Relative, so that it holds behind a proxy's path prefix.
    let location = bare.headers().get("location").and_then(|v| v.to_str().ok());
    assert_eq!(location, Some("admin/"));

    let mut files = Vec::new();
    for (path, media_type) in [
        ("/admin/", "text/html"),
        ("/admin/console.js", "text/javascript"),
        ("/admin/console.css", "text/css"),
        ("/admin/favicon.svg", "image/svg+xml"),
        ("/admin/session.js", "text/javascript"),
    ] {
        let response = app.get(path).send().await.expect("answer");
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with(media_type), "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        let policy = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        files.push(response.text().await.expect("text"));
    }

    let page = &files[0];
    // Every script has a src, no element has an inline handler or style.
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script type=\"module\" src=").count()
    );
    assert!(!page.contains(" onclick=") && !page.contains(" style="));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from elsewhere"
    );
    // The audit filter offers every event.
    for event in ["user_disabled", "client_created", "login_failed"] {
        assert!(
            page.contains(&format!("<option value=\"{event}\">")),
            "{event}"
        );
    }
    let scripts = [&files[1], &files[4]];
    for script in scripts {
        for storage in ["localStorage", "document.cookie", "eval(", "innerHTML"] {
            assert!(!script.contains(storage), "a page uses {storage}");
        }
    }
    // sessionStorage keeps only the PKCE verifier and state across the
    // sign-in redirect, and a sign-out to report: never a token.
    let writes: Vec<&str> = scripts
        .iter()
        .flat_map(|script| script.split("sessionStorage.setItem(").skip(1))
        .map(|call| call.split(',').next().unwrap_or_default())
        .collect();
    assert_eq!(
        writes,
        ["this.pendingKey", "this.signedOutKey"],
        "{writes:?}"
    );
    assert!(files[4].contains("JSON.stringify({ verifier, state })"));
}

#[tokio::test]
async fn the_account_page_is_served_likewise_and_may_show_data_images_only() {
    let app = spawn_app().await;
    let bare = app.get("/account").send().await.expect("answer");
    assert_eq!(bare.status(), 308);
    for path in [
        "/account/",
        "/account/account.js",
        "/account/session.js",
        "/account/console.css",
    ] {
        let response = app.get(path).send().await.expect("answer");
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(policy.contains("script-src 'self';"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        if path.ends_with('/') {
            assert!(policy.contains("img-src 'self' data:;"), "{policy}");
            let page = response.text().await.expect("text");
            assert!(!page.contains(" style=") && !page.contains(" onclick="));
        }
    }
}
