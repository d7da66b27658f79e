//! Second factors: a TOTP authenticator enrolled, confirmed, asked for by
//! every way in, spent once (across replicas too), throttled, sealed at
//! rest, turned off, reset by an administrator; and what tokens say of it.

use auth_service::domain::totp;
use serde_json::{Value, json};
use shared::testing::{TestApp, TestDatabase, send};

use crate::helpers::{AuthApi as _, PASSWORD, seed_users, spawn_app_on};
use crate::sessions::claims_of;

/// The decoded secret of an `otpauth://` URI's base32 `secret`.
fn secret_of(base32: &str) -> Vec<u8> {
    let mut bits = 0_u32;
    let mut buffer = 0_u64;
    let mut out = Vec::new();
    for c in base32.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        };
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// An authenticator app: the code for the app's clock, `steps` steps on.
pub(crate) struct Authenticator(pub(crate) Vec<u8>);

impl Authenticator {
    pub(crate) fn code(&self, app: &TestApp, steps: i64) -> String {
        let now = app.clock.now_seconds();
        let step = totp::step_at(now)
            .checked_add_signed(steps)
            .expect("a step");
        totp::hotp(&self.0, step, totp::DIGITS)
    }
}

/// auth-service with `root` (admin) and `alice`, on a fresh database.
async fn app_with(overrides: &[(&str, &str)]) -> (TestApp, TestDatabase) {
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin"), ("alice", "")]).await;
    let app = spawn_app_on(db.url(), overrides).await;
    (app, db)
}

async fn password_grant(app: &TestApp, username: &str, otp: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "password"),
        ("username", username),
        ("password", PASSWORD),
    ];
    if let Some(otp) = otp {
        form.push(("otp", otp));
    }
    send(app.post("/v1/token").form(&form)).await
}

/// Enrols and confirms an authenticator for `username`; the app, the
/// recovery codes, and the tokens of the session that confirmed it.
pub(crate) async fn enrolled(app: &TestApp, username: &str) -> (Authenticator, Vec<String>, Value) {
    let (status, tokens) = password_grant(app, username, None).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let (status, enrolment) = send(app.post("/v1/me/mfa/totp").bearer_auth(&access)).await;
    assert_eq!(status, 200, "{enrolment}");
    let uri = enrolment["otpauth_uri"].as_str().expect("uri");
    assert!(
        uri.starts_with(&format!("otpauth://totp/auth-service:{username}?secret=")),
        "{uri}"
    );
    assert!(uri.ends_with("&issuer=auth-service&algorithm=SHA1&digits=6&period=30"));
    let secret = enrolment["secret"].as_str().expect("secret");
    assert!(uri.contains(secret));
    let app_codes = Authenticator(secret_of(secret));
    assert_eq!(app_codes.0.len(), 20, "160 bits");

    // Not on until confirmed: the password alone still signs in.
    let (status, _) = password_grant(app, username, None).await;
    assert_eq!(status, 200);
    let (status, refused) = send(
        app.post("/v1/me/mfa/totp/confirm")
            .bearer_auth(&access)
            .json(&json!({"code": "000000"})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let (status, confirmed) = send(
        app.post("/v1/me/mfa/totp/confirm")
            .bearer_auth(&access)
            .json(&json!({"code": app_codes.code(app, 0)})),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    let codes: Vec<String> =
        serde_json::from_value(confirmed["recovery_codes"].clone()).expect("recovery codes");
    assert_eq!(codes.len(), 10);
    (app_codes, codes, tokens)
}

#[tokio::test]
async fn a_second_factor_is_asked_for_by_every_password_entry_and_tokens_say_so() {
    let (app, _db) = app_with(&[]).await;
    let (_, before) = password_grant(&app, "alice", None).await;
    let (authenticator, recovery, confirming) = enrolled(&app, "alice").await;

    // Confirming ended every other session: a password alone signed them in.
    let (status, _) = app
        .refresh(before["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(
        status, 400,
        "a session from before the second factor lives on"
    );
    let (status, kept) = app
        .refresh(confirming["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 200, "the confirming session ended: {kept}");
    let (status, mfa) = send(
        app.get("/v1/me/mfa")
            .bearer_auth(kept["access_token"].as_str().expect("access")),
    )
    .await;
    assert_eq!(
        (status, mfa),
        (200, json!({"totp": true, "recovery_codes_left": 10}))
    );

    // The token endpoint: the right password alone is mfa_required.
    let (status, refused) = password_grant(&app, "alice", None).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "mfa_required");
    let (status, refused) = password_grant(&app, "alice", Some("123456")).await;
    assert_eq!((status, &refused["error"]), (400, &json!("invalid_grant")));
    // The wrong password with a right code tells nothing of the code.
    let (status, refused) = send(app.post("/v1/token").form(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "not the password"),
        ("otp", &authenticator.code(&app, 0)),
    ]))
    .await;
    assert_eq!(
        (status, &refused["error_description"]),
        (400, &json!("the username or password is wrong"))
    );

    // The confirmation spent this step's code; the next step's, typed as
    // the step turns, is accepted one step late.
    app.clock.advance(std::time::Duration::from_secs(30));
    let code = authenticator.code(&app, 0);
    app.clock.advance(std::time::Duration::from_secs(30));
    let (status, tokens) = password_grant(&app, "alice", Some(&code)).await;
    assert_eq!(
        status, 200,
        "a code of the step before is accepted: {tokens}"
    );
    let claims = claims_of(tokens["access_token"].as_str().expect("access"));
    assert_eq!(claims["acr"], "aal2");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    let auth_time = claims["auth_time"].as_u64().expect("auth_time");
    assert_eq!(auth_time, app.clock.now_seconds());
    let (status, refused) = password_grant(&app, "alice", Some(&code)).await;
    assert_eq!(status, 400, "a code works once: {refused}");

    // A refresh keeps how and when the user signed in.
    app.clock.advance(std::time::Duration::from_secs(60));
    let (status, refreshed) = app
        .refresh(tokens["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let claims = claims_of(refreshed["access_token"].as_str().expect("access"));
    assert_eq!(claims["acr"], "aal2");
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["auth_time"], auth_time);

    // A recovery code works in place of a code, once, in any case or spacing.
    let typed = recovery[3].to_uppercase().replace('-', " ");
    let (status, tokens) = password_grant(&app, "alice", Some(&typed)).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = password_grant(&app, "alice", Some(&recovery[3])).await;
    assert_eq!(status, 400, "a recovery code works once");

    // The Flask login: Flask-JWT's 401 without the code, a token with it.
    let (status, body) = send(app.post("/auth").json(&json!({
        "username": "alice", "password": PASSWORD,
    })))
    .await;
    assert_eq!(
        (status, &body["description"]),
        (401, &json!("One-time code required"))
    );
    app.clock.advance(std::time::Duration::from_secs(30));
    let (status, body) = send(app.post("/auth").json(&json!({
        "username": "alice", "password": PASSWORD, "otp": authenticator.code(&app, 0),
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims_of(body["access_token"].as_str().expect("token"))["acr"],
        "aal2"
    );

    // A user without one signs in as before, aal1.
    let (status, tokens) = password_grant(&app, "root", None).await;
    assert_eq!(status, 200);
    let claims = claims_of(tokens["access_token"].as_str().expect("access"));
    assert_eq!(
        (&claims["acr"], &claims["amr"]),
        (&json!("aal1"), &json!(["pwd"]))
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_apart_from_the_password_and_logged() {
    let (app, _db) = app_with(&[]).await;
    let (authenticator, _, _) = enrolled(&app, "alice").await;
    for _ in 0..5 {
        let (status, _) = password_grant(&app, "alice", Some("000000")).await;
        assert_eq!(status, 400);
    }
    // The right password each time did not forget the wrong codes.
    let (status, refused) = password_grant(&app, "alice", Some(&authenticator.code(&app, 0))).await;
    assert_eq!(status, 429, "{refused}");
    app.clock.advance(std::time::Duration::from_secs(301));
    let (status, _) = password_grant(&app, "alice", Some(&authenticator.code(&app, 0))).await;
    assert_eq!(status, 200);

    let root = app.password_grant("root", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (_, events) = send(
        app.get("/v1/admin/audit?event=mfa_failed")
            .bearer_auth(&root),
    )
    .await;
    // The five, and the wrong code of the enrolment.
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(6),
        "{events}"
    );
    let (_, events) = send(
        app.get("/v1/admin/audit?event=mfa_enabled")
            .bearer_auth(&root),
    )
    .await;
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(1),
        "{events}"
    );
}

#[tokio::test]
async fn turned_off_with_a_code_or_reset_by_an_admin_who_ends_every_session() {
    let (app, _db) = app_with(&[]).await;
    let (authenticator, recovery, tokens) = enrolled(&app, "alice").await;
    let access = tokens["access_token"].as_str().expect("access").to_owned();
    let (status, _) = send(
        app.delete("/v1/me/mfa/totp")
            .bearer_auth(&access)
            .json(&json!({"code": "000000"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = send(
        app.delete("/v1/me/mfa/totp")
            .bearer_auth(&access)
            .json(&json!({"code": recovery[0]})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, tokens) = password_grant(&app, "alice", None).await;
    assert_eq!(status, 200, "off: the password alone again: {tokens}");
    let _ = authenticator;

    // Again on, then reset by root: alice's sessions end, her password
    // alone signs in, and the reset is in the audit log.
    let (_, _, session) = enrolled(&app, "alice").await;
    let alice_id = claims_of(session["access_token"].as_str().expect("access"))["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    let root = app.password_grant("root", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let reset = |id: &str| {
        app.delete(&format!("/v1/admin/users/{id}/mfa"))
            .bearer_auth(&root)
    };
    let (status, _) = send(reset(&alice_id)).await;
    assert_eq!(status, 204);
    let (status, _) = send(reset(&alice_id)).await;
    assert_eq!(status, 404, "nothing left to reset");
    let (status, _) = send(reset("no-such-user")).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .refresh(session["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 400, "the reset ended her sessions");
    let (status, _) = password_grant(&app, "alice", None).await;
    assert_eq!(status, 200);
    let (_, events) = send(
        app.get("/v1/admin/audit?event=mfa_reset")
            .bearer_auth(&root),
    )
    .await;
    assert_eq!(events["items"][0]["user_id"], alice_id.as_str(), "{events}");
    let (status, _) = send(reset(&alice_id).bearer_auth(&access)).await;
    assert_ne!(status, 204);
}

#[tokio::test]
async fn required_scopes_are_granted_only_after_a_second_factor() {
    let (app, _db) = app_with(&[("AUTH__MFA__REQUIRED_SCOPES", "auth:admin")]).await;
    let (status, tokens) = password_grant(&app, "root", None).await;
    assert_eq!(status, 200);
    assert_eq!(tokens["scope"], "items:read items:write", "{tokens}");
    let (status, refused) = send(app.post("/v1/token").form(&[
        ("grant_type", "password"),
        ("username", "root"),
        ("password", PASSWORD),
        ("scope", "auth:admin"),
    ]))
    .await;
    assert_eq!((status, &refused["error"]), (400, &json!("invalid_scope")));
    let access = tokens["access_token"].as_str().expect("access");
    let (status, _) = send(app.get("/v1/admin/users").bearer_auth(access)).await;
    assert_eq!(status, 403);

    let (authenticator, _, _) = enrolled(&app, "root").await;
    app.clock.advance(std::time::Duration::from_secs(30));
    let (status, tokens) = password_grant(&app, "root", Some(&authenticator.code(&app, 0))).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        tokens["scope"]
            .as_str()
            .is_some_and(|s| s.contains("auth:admin")),
        "{tokens}"
    );
    let (status, refreshed) = app
        .refresh(tokens["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 200);
    assert!(
        refreshed["scope"]
            .as_str()
            .is_some_and(|s| s.contains("auth:admin"))
    );
}

#[tokio::test]
async fn a_code_spent_at_one_replica_is_refused_at_another_and_secrets_are_sealed() {
    let (app, db) = app_with(&[]).await;
    let (authenticator, _, _) = enrolled(&app, "alice").await;
    let other = spawn_app_on(db.url(), &[]).await;
    app.clock.advance(std::time::Duration::from_secs(30));
    let code = authenticator.code(&app, 0);
    let (first, second) = tokio::join!(
        password_grant(&app, "alice", Some(&code)),
        password_grant(&other, "alice", Some(&code)),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "{first:?} {second:?}");

    // The stored secret is sealed: not its bytes, not its base32.
    let settings = shared::settings::DatabaseSettings {
        url: db.url().to_owned().into(),
        max_connections: 1,
        connect_timeout_seconds: 5,
        statement_timeout_seconds: 5,
    };
    let database = shared::db::open(&settings, auth_service::store::MIGRATIONS)
        .await
        .expect("open");
    let pool = &database.pool;
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed_secret FROM mfa_totp")
        .fetch_one(pool)
        .await
        .expect("a row");
    assert!(!sealed.windows(20).any(|w| w == authenticator.0.as_slice()));
    let base32 = totp::base32(&authenticator.0);
    assert!(!String::from_utf8_lossy(&sealed).contains(&base32));
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(pool)
        .await
        .expect("rows");
    assert_eq!(hashes.len(), 10);
    database.close().await;
}

#[tokio::test]
async fn a_token_from_an_old_sign_in_cannot_put_a_factor_on_the_account() {
    let (app, _db) = app_with(&[]).await;
    let (_, tokens) = password_grant(&app, "alice", None).await;
    app.clock.advance(std::time::Duration::from_secs(601));
    let (status, refreshed) = app
        .refresh(tokens["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 200);
    // A refresh keeps the sign-in's time: the token is new, the sign-in is not.
    let access = refreshed["access_token"].as_str().expect("access");
    let refused = app
        .post("/v1/me/mfa/totp")
        .bearer_auth(access)
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\"")
            && challenge.contains("max_age=\"600\""),
        "{challenge}"
    );
    let (status, _) = send(app.get("/v1/me/mfa").bearer_auth(access)).await;
    assert_eq!(status, 200, "reading it asks for nothing more");
    let (_, fresh) = password_grant(&app, "alice", None).await;
    let (status, _) = send(
        app.post("/v1/me/mfa/totp")
            .bearer_auth(fresh["access_token"].as_str().expect("access")),
    )
    .await;
    assert_eq!(status, 200);
}
