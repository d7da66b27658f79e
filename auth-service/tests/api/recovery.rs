//! Account recovery over a real SMTP server (`mailbox`): addresses
//! verified by their mailed link, password reset by link, and what an
//! attacker learns or keeps: the same answer whoever a request names,
//! links that work once, for their purpose, user and address only, and
//! not after they expire or the password changes; every session ended by
//! a reset; a mail server that is down never shows.

use std::time::Duration;

use serde_json::{Value, json};
use shared::testing::{TestApp, TestDatabase, send};

use crate::helpers::{AuthApi as _, PASSWORD, seed_users, spawn_app_on, spawn_app_with};
use crate::mailbox::{Mail, Mailbox};
use crate::mfa::enrolled;

const NEW_PASSWORD: &str = "a brand new passphrase";
const VERIFY: &str = "/v1/email/verify";
const RESET: &str = "/v1/password-reset/new";
/// The origin of the tests' `AUTH__SERVER__PUBLIC_URL` (the default).
const OWN_ORIGIN: &str = "http://localhost:8081";
/// The sign-in page, as the account page's sign-in opens it.
const SIGN_IN_PAGE: &str = "/v1/authorize?response_type=code&client_id=account\
    &redirect_uri=http%3A%2F%2Flocalhost%3A8081%2Faccount%2F&scope=openid\
    &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// auth-service sending mail to `mailbox`, with `root` (admin) seeded.
async fn app_mailing(mailbox: &Mailbox, overrides: &[(&str, &str)]) -> (TestApp, TestDatabase) {
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin")]).await;
    let mut settings = mailbox.settings().to_vec();
    settings.extend_from_slice(overrides);
    let app = spawn_app_on(db.url(), &settings).await;
    (app, db)
}

async fn register(app: &TestApp, username: &str, email: Option<&str>) -> (u16, Value) {
    let mut body = json!({"username": username, "password": PASSWORD});
    if let Some(email) = email {
        body["email"] = json!(email);
    }
    send(app.post("/v1/users").json(&body)).await
}

/// A form post from the service's own page.
async fn post_page(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .post(path)
        .header("origin", OWN_ORIGIN)
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

async fn get_page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

/// Posts the reset page's form: `token`, `new_password`, and `otp` if any.
async fn set_password(
    app: &TestApp,
    token: &str,
    new_password: &str,
    otp: Option<&str>,
) -> (u16, String) {
    let mut form = vec![("token", token), ("new_password", new_password)];
    form.extend(otp.map(|otp| ("otp", otp)));
    post_page(app, RESET, &form).await
}

/// An access token of a password grant.
async fn access_token(app: &TestApp, username: &str, password: &str) -> String {
    app.password_grant(username, password).await["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// Registers `username` with `email` and follows the verification link.
async fn verified_user(app: &TestApp, mailbox: &Mailbox, username: &str, email: &str) {
    let seen = mailbox.to(email).len();
    let (status, user) = register(app, username, Some(email)).await;
    assert_eq!(status, 201, "{user}");
    let mail = mailbox.next_to(email, seen).await;
    let (status, page) = post_page(app, VERIFY, &[("token", &mail.token(VERIFY))]).await;
    assert_eq!(status, 200, "{page}");
}

async fn request_reset(app: &TestApp, body: Value) -> (u16, Value) {
    send(app.post("/v1/password-reset").json(&body)).await
}

/// The next reset mail to `email` after `seen`.
async fn reset_mail(mailbox: &Mailbox, email: &str, seen: usize) -> Mail {
    let mail = mailbox.next_to(email, seen).await;
    assert_eq!(mail.subject(), "Reset your password", "{}", mail.raw);
    mail
}

/// Asks for a reset link with `body` (202) and reads its token from the
/// reset mail number `seen + 1` to `email`.
async fn reset_token(
    app: &TestApp,
    mailbox: &Mailbox,
    body: Value,
    email: &str,
    seen: usize,
) -> String {
    assert_eq!(request_reset(app, body).await.0, 202);
    reset_mail(mailbox, email, seen).await.token(RESET)
}

async fn me(app: &TestApp, access: &str) -> (u16, Value) {
    send(app.get("/v1/me").bearer_auth(access)).await
}

#[tokio::test]
async fn with_mail_off_recovery_answers_404_and_registration_takes_no_address() {
    let app = spawn_app_with(&[]).await;
    let (status, body) = request_reset(&app, json!({"username": "alice"})).await;
    assert_eq!(status, 404, "{body}");
    for path in ["/v1/password-reset", RESET, VERIFY] {
        assert_eq!(get_page(&app, path).await.0, 404, "{path}");
    }
    let (status, body) = register(&app, "alice", Some("alice@example.com")).await;
    assert_eq!(status, 422, "{body}");
    let why = body["errors"]["email"][0].as_str().unwrap_or_default();
    assert!(why.contains("AUTH__MAIL__SMTP_URL"), "{body}");
    let token = app.token_for("bob").await;
    let (status, _) = send(
        app.put("/v1/me/email")
            .bearer_auth(&token)
            .json(&json!({"email": "bob@example.com"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, page) = get_page(&app, SIGN_IN_PAGE).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("Forgot your password?"));
    let (_, account) = get_page(&app, "/account/").await;
    assert!(account.contains("aria-labelledby=\"email-title\" hidden>"));
}

#[tokio::test]
async fn an_address_given_at_registration_is_verified_once_by_its_mailed_link() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    let (status, bad) = register(&app, "alice", Some("alice@example")).await;
    assert_eq!(status, 422, "{bad}");
    let (_, account) = get_page(&app, "/account/").await;
    assert!(
        account.contains("aria-labelledby=\"email-title\">"),
        "shown"
    );
    let (status, page) = get_page(&app, SIGN_IN_PAGE).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<a href=\"password-reset\">Forgot your password?</a>"));
    let (status, user) = register(&app, "alice", Some("Alice@Example.com")).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "Alice@Example.com");
    assert_eq!(user["email_verified"], false);

    let mail = mailbox.next_to("Alice@Example.com", 0).await;
    assert_eq!(mail.subject(), "Confirm your email address");
    assert!(
        mail.raw.contains("From: Accounts <accounts@auth.test>"),
        "{}",
        mail.raw
    );
    assert!(mail.text.contains("Hello alice,"));
    assert!(
        mail.text
            .contains("If you did not give this address, ignore this mail")
    );
    let link = mail.link(VERIFY);
    assert!(
        link.starts_with("http://localhost:8081/v1/email/verify?token="),
        "{link}"
    );
    let token = mail.token(VERIFY);
    assert!(token.len() >= 43, "256 bits, base64url: {token}");

    // Opening the link (a mail scanner too) spends nothing: the page asks.
    let (status, page) = get_page(&app, &format!("{VERIFY}?token={token}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Confirm <strong>Alice@Example.com</strong>"),
        "{page}"
    );
    let (status, page) = get_page(&app, &format!("{VERIFY}?token={token}")).await;
    assert_eq!(status, 200, "{page}");

    // A post from another site is refused.
    let response = app
        .post(VERIFY)
        .header("origin", "https://evil.example")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);

    let access = access_token(&app, "alice", PASSWORD).await;
    assert_eq!(me(&app, &access).await.1["email_verified"], false);
    let (status, page) = post_page(&app, VERIFY, &[("token", &token)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your email address is confirmed"));
    let (_, alice) = me(&app, &access).await;
    assert_eq!(alice["email"], "Alice@Example.com");
    assert_eq!(alice["email_verified"], true);

    // Once only.
    let (status, page) = post_page(&app, VERIFY, &[("token", &token)]).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("This link has expired or was already used"));
    assert_eq!(
        get_page(&app, &format!("{VERIFY}?token={token}")).await.0,
        400
    );

    // The administrator sees it.
    let root = access_token(&app, "root", PASSWORD).await;
    let (_, users) = send(app.get("/v1/admin/users?prefix=alice").bearer_auth(&root)).await;
    assert_eq!(users["items"][0]["email"], "Alice@Example.com", "{users}");
    assert_eq!(users["items"][0]["email_verified"], true);
    let (_, events) = send(
        app.get("/v1/admin/audit?event=email_verified")
            .bearer_auth(&root),
    )
    .await;
    assert_eq!(events["items"][0]["user_id"], alice["id"], "{events}");
}

#[tokio::test]
async fn a_changed_address_needs_a_recent_sign_in_and_voids_links_to_the_old_one() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    let (status, _) = register(&app, "alice", Some("old@example.com")).await;
    assert_eq!(status, 201);
    let old_link = mailbox.next_to("old@example.com", 0).await.token(VERIFY);

    let tokens = app.password_grant("alice", PASSWORD).await;
    let access = tokens["access_token"].as_str().expect("access");
    let change = |access: String, email: Value| {
        let request = app
            .put("/v1/me/email")
            .bearer_auth(access)
            .json(&json!({ "email": email }));
        send(request)
    };
    let (status, bad) = change(access.to_owned(), json!("not an address")).await;
    assert_eq!(status, 422, "{bad}");
    let (status, user) = change(access.to_owned(), json!("new@example.com")).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["email"], "new@example.com");
    assert_eq!(user["email_verified"], false);
    let (status, page) = post_page(&app, VERIFY, &[("token", &old_link)]).await;
    assert_eq!(status, 400, "the old address's link is void: {page}");
    let new_link = mailbox.next_to("new@example.com", 0).await.token(VERIFY);
    assert_eq!(
        post_page(&app, VERIFY, &[("token", &new_link)]).await.0,
        200
    );
    assert_eq!(me(&app, access).await.1["email_verified"], true);

    // A token from a sign-in of more than ten minutes ago, refreshed or
    // not, cannot move the account's recovery elsewhere.
    app.clock.advance(Duration::from_secs(11 * 60));
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, refreshed) = app.refresh(refresh).await;
    assert_eq!(status, 200, "{refreshed}");
    let stale = refreshed["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let response = app
        .put("/v1/me/email")
        .bearer_auth(&stale)
        .json(&json!({"email": "attacker@example.com"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii");
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    assert_eq!(me(&app, &stale).await.1["email"], "new@example.com");

    // Removing it: no address, nothing to reset through.
    let fresh = access_token(&app, "alice", PASSWORD).await;
    let (status, user) = change(fresh, Value::Null).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["email"], Value::Null);
    assert_eq!(user["email_verified"], false);
}

#[tokio::test]
async fn reset_requests_answer_alike_and_only_a_verified_enabled_address_gets_a_link() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    verified_user(&app, &mailbox, "alice", "alice@example.com").await;
    verified_user(&app, &mailbox, "carol", "carol@example.com").await;
    let (status, _) = register(&app, "bob", Some("bob@example.com")).await;
    assert_eq!(status, 201, "bob's address stays unverified");
    let root = access_token(&app, "root", PASSWORD).await;
    let (_, carol) = send(app.get("/v1/admin/users?prefix=carol").bearer_auth(&root)).await;
    let carol_id = carol["items"][0]["id"].as_str().expect("id");
    let (status, _) = send(
        app.patch(&format!("/v1/admin/users/{carol_id}"))
            .bearer_auth(&root)
            .json(&json!({"disabled": true})),
    )
    .await;
    assert_eq!(status, 200);

    let requests = [
        json!({"username": "alice"}),
        json!({"email": "ALICE@example.com"}),
        json!({"username": "bob"}),
        json!({"email": "bob@example.com"}),
        json!({"username": "carol"}),
        json!({"username": "nobody"}),
        json!({"email": "nobody@example.com"}),
    ];
    let mut answers = Vec::new();
    for request in &requests {
        answers.push(request_reset(&app, request.clone()).await);
    }
    for (request, answer) in requests.iter().zip(&answers) {
        assert_eq!(answer, &answers[0], "{request}");
    }
    assert_eq!(answers[0].0, 202);
    assert!(
        answers[0].1["detail"]
            .as_str()
            .is_some_and(|d| d.contains("if an account"))
    );

    let first = reset_mail(&mailbox, "alice@example.com", 1).await;
    let second = reset_mail(&mailbox, "alice@example.com", 2).await;
    assert_ne!(first.token(RESET), second.token(RESET));
    assert!(first.text.contains("If it was not you, ignore this mail"));
    // Give the other requests' work the time alice's took, and more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        mailbox.to("bob@example.com").len(),
        1,
        "bob's verification only"
    );
    assert_eq!(
        mailbox.to("carol@example.com").len(),
        1,
        "carol's verification only"
    );
    assert_eq!(mailbox.to("nobody@example.com").len(), 0);

    for (body, why) in [
        (json!({}), "neither"),
        (
            json!({"username": "alice", "email": "alice@example.com"}),
            "both",
        ),
        (json!({"username": ""}), "empty"),
        (json!({"email": "useratexample.com"}), "no address"),
    ] {
        let (status, refused) = request_reset(&app, body).await;
        assert_eq!(status, 422, "{why}: {refused}");
    }
}

#[tokio::test]
async fn a_reset_link_sets_a_password_once_and_ends_every_session() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    verified_user(&app, &mailbox, "alice", "alice@example.com").await;
    let before = app.password_grant("alice", PASSWORD).await;
    let old_access = before["access_token"].as_str().expect("access");
    let old_refresh = before["refresh_token"].as_str().expect("refresh");

    let token = reset_token(
        &app,
        &mailbox,
        json!({"username": "alice"}),
        "alice@example.com",
        1,
    )
    .await;
    let (status, page) = get_page(&app, &format!("{RESET}?token={token}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("for <strong>alice</strong>"));
    assert!(page.contains("autocomplete=\"new-password\""));
    assert!(!page.contains("name=\"otp\""), "alice has no second factor");

    // A weak password is refused and spends nothing.
    let (status, page) = set_password(&app, &token, "password123", None).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("The new password is too common"), "{page}");
    let (status, page) = set_password(&app, &token, NEW_PASSWORD, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("every session of your account was signed out"));
    assert!(
        page.contains("role=\"status\""),
        "a success is no error: {page}"
    );

    // What was issued before is dead; the new password works, the old not.
    assert_eq!(me(&app, old_access).await.0, 401);
    assert_eq!(app.refresh(old_refresh).await.0, 400);
    let form = |password: &'static str| {
        [
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", password),
        ]
    };
    assert_eq!(app.post_token_form(&form(PASSWORD)).await.status(), 400);
    assert_eq!(app.post_token_form(&form(NEW_PASSWORD)).await.status(), 200);

    // Once only.
    let (status, page) = post_page(
        &app,
        RESET,
        &[
            ("token", &token),
            ("new_password", "yet another passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(app.post_token_form(&form(NEW_PASSWORD)).await.status(), 200);

    let root = access_token(&app, "root", PASSWORD).await;
    for event in ["password_reset_requested", "password_reset"] {
        let (_, events) = send(
            app.get(&format!("/v1/admin/audit?event={event}"))
                .bearer_auth(&root),
        )
        .await;
        let items = events["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{event}: {events}");
        assert!(
            !events.to_string().contains(&token),
            "no token in the audit log"
        );
    }
}

#[tokio::test]
async fn links_expire_serve_their_purpose_only_and_die_with_a_password_change() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    let (status, _) = register(&app, "alice", Some("alice@example.com")).await;
    assert_eq!(status, 201);
    let verify_token = mailbox.next_to("alice@example.com", 0).await.token(VERIFY);
    // A verification link is not a reset link (and an unverified address
    // gets no reset link at all).
    assert_eq!(
        set_password(&app, &verify_token, NEW_PASSWORD, None)
            .await
            .0,
        400
    );
    assert_eq!(
        get_page(&app, &format!("{RESET}?token={verify_token}"))
            .await
            .0,
        400
    );
    assert_eq!(
        post_page(&app, VERIFY, &[("token", &verify_token)]).await.0,
        200
    );

    let link = reset_token(
        &app,
        &mailbox,
        json!({"username": "alice"}),
        "alice@example.com",
        1,
    )
    .await;
    // Nor the other way.
    assert_eq!(post_page(&app, VERIFY, &[("token", &link)]).await.0, 400);
    assert_eq!(
        get_page(&app, &format!("{RESET}?token={link}")).await.0,
        200
    );

    // 30 minutes.
    app.clock.advance(Duration::from_secs(30 * 60 + 1));
    assert_eq!(set_password(&app, &link, NEW_PASSWORD, None).await.0, 400);
    assert_eq!(
        get_page(&app, &format!("{RESET}?token={link}")).await.0,
        400
    );

    // A password change spends every reset link.
    let link = reset_token(
        &app,
        &mailbox,
        json!({"email": "alice@example.com"}),
        "alice@example.com",
        2,
    )
    .await;
    let access = access_token(&app, "alice", PASSWORD).await;
    let (status, _) =
        send(app.put("/v1/me/password").bearer_auth(&access).json(
            &json!({"current_password": PASSWORD, "new_password": "changed by alice herself"}),
        ))
        .await;
    assert_eq!(status, 204);
    assert_eq!(set_password(&app, &link, NEW_PASSWORD, None).await.0, 400);

    // Verification links live 24 hours.
    let fresh = access_token(&app, "alice", "changed by alice herself").await;
    let (status, _) = send(
        app.put("/v1/me/email")
            .bearer_auth(&fresh)
            .json(&json!({"email": "alice@example.org"})),
    )
    .await;
    assert_eq!(status, 200);
    let verify_token = mailbox.next_to("alice@example.org", 0).await.token(VERIFY);
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(
        post_page(&app, VERIFY, &[("token", &verify_token)]).await.0,
        400
    );
    assert_eq!(post_page(&app, VERIFY, &[("token", "")]).await.0, 400);
    assert_eq!(get_page(&app, VERIFY).await.0, 400);
}

#[tokio::test]
async fn a_reset_asks_for_the_second_factor_of_a_user_who_has_one() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    verified_user(&app, &mailbox, "alice", "alice@example.com").await;
    let (authenticator, _, _) = enrolled(&app, "alice").await;
    let token = reset_token(
        &app,
        &mailbox,
        json!({"username": "alice"}),
        "alice@example.com",
        1,
    )
    .await;
    let (status, page) = get_page(&app, &format!("{RESET}?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"otp\""), "{page}");

    let (status, page) = set_password(&app, &token, NEW_PASSWORD, None).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Enter the code"));
    let (status, page) = set_password(&app, &token, NEW_PASSWORD, Some("000000")).await;
    assert_eq!(status, 401, "{page}");
    // The password alone, or a stolen mailbox alone, is not the account.
    assert_eq!(
        app.post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", NEW_PASSWORD),
        ])
        .await
        .status(),
        400
    );
    // The confirmation spent this step's code: the next one.
    let (status, page) = set_password(
        &app,
        &token,
        NEW_PASSWORD,
        Some(&authenticator.code(&app, 1)),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    app.clock.advance(Duration::from_secs(60));
    let (status, body) = send(app.post("/v1/token").form(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", NEW_PASSWORD),
        ("otp", &authenticator.code(&app, 0)),
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn with_the_mail_server_down_requests_still_answer_202_and_the_failure_is_counted() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "smtp://127.0.0.1:{}",
        closed.local_addr().expect("address").port()
    );
    drop(closed);
    let app = spawn_app_with(&[
        ("AUTH__MAIL__SMTP_URL", &url),
        ("AUTH__MAIL__FROM", "accounts@auth.test"),
        ("AUTH__MAIL__RETRIES", "1"),
    ])
    .await;
    let failed = || async {
        let metrics = app.get("/metrics").send().await.expect("metrics");
        let text = metrics.text().await.expect("text");
        shared::metrics::sample(&text, "mails_failed_total").unwrap_or(0.0)
    };
    let before = failed().await;
    let (status, user) = register(&app, "alice", Some("alice@example.com")).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(
        request_reset(&app, json!({"username": "alice"})).await.0,
        202
    );
    for _ in 0..100 {
        if failed().await > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the failed mail was not counted");
}

#[tokio::test]
async fn mail_is_throttled_per_account_and_address_alike_whether_or_not_it_exists() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(
        &mailbox,
        &[("AUTH__THROTTLE__MAX_FAILURES_PER_ACCOUNT", "3")],
    )
    .await;
    verified_user(&app, &mailbox, "alice", "alice@example.com").await;
    for name in ["alice", "nobody"] {
        for _ in 0..3 {
            assert_eq!(request_reset(&app, json!({"username": name})).await.0, 202);
        }
        let response = app
            .post("/v1/password-reset")
            .json(&json!({"username": name}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 429, "{name}");
        assert!(response.headers().contains_key("retry-after"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        mailbox.to("alice@example.com").len(),
        1 + 3,
        "no mail past the limit"
    );

    // Nor does anyone flood a mailbox by registering accounts with its
    // address, or by setting it on an account again and again.
    for name in ["mallory1", "mallory2", "mallory3"] {
        assert_eq!(
            register(&app, name, Some("victim@example.com")).await.0,
            201
        );
    }
    let (status, refused) = register(&app, "mallory4", Some("victim@example.com")).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(
        register(&app, "mallory4", None).await.0,
        201,
        "nothing was written"
    );
    let access = access_token(&app, "mallory4", PASSWORD).await;
    let (status, _) = send(
        app.put("/v1/me/email")
            .bearer_auth(&access)
            .json(&json!({"email": "victim@example.com"})),
    )
    .await;
    assert_eq!(status, 429);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mailbox.to("victim@example.com").len(), 3);
}

#[tokio::test]
async fn of_two_posts_of_one_reset_link_one_sets_the_password() {
    let mailbox = Mailbox::start();
    let (app, _db) = app_mailing(&mailbox, &[]).await;
    verified_user(&app, &mailbox, "alice", "alice@example.com").await;
    let token = reset_token(
        &app,
        &mailbox,
        json!({"username": "alice"}),
        "alice@example.com",
        1,
    )
    .await;
    let (first, second) = tokio::join!(
        set_password(&app, &token, "first racing passphrase", None),
        set_password(&app, &token, "second racing passphrase", None),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
}
