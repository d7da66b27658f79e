//! The admin API (`auth:admin`): users, sessions, service clients,
//! introspection and the audit log.

use serde_json::{Value, json};
use shared::testing::{TestApp, TestDatabase, send};

use crate::helpers::{AuthApi as _, PASSWORD, seed_users, spawn_app_on};

/// auth-service with `root` written in as an admin; root's token.
struct Admin {
    app: TestApp,
    token: String,
    db: TestDatabase,
}

async fn admin_app() -> Admin {
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin")]).await;
    let app = spawn_app_on(db.url(), &[]).await;
    let token = login(&app, "root").await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    Admin { app, token, db }
}

/// `method path` with `token`, and a JSON body if any: status and body.
async fn call_with(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = app.client.request(method, app.url(path)).bearer_auth(token);
    send(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

async fn login(app: &TestApp, username: &str) -> Value {
    app.password_grant(username, PASSWORD).await
}

fn token_of(grant: &Value) -> &str {
    grant["access_token"].as_str().expect("access_token")
}

impl Admin {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        call_with(&self.app, &self.token, method, path, body).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    async fn register(&self, username: &str) -> String {
        let response = self.app.register(username, PASSWORD).await;
        assert_eq!(response.status(), 201);
        let user: Value = response.json().await.expect("json");
        user["id"].as_str().expect("id").to_owned()
    }

    async fn audit(&self, query: &str) -> Vec<Value> {
        let (status, page) = self.get(&format!("/v1/admin/audit?{query}")).await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().expect("items").clone()
    }

    async fn new_client(&self, scopes: &[&str]) -> (String, String) {
        let (status, created) = self
            .call(
                reqwest::Method::POST,
                "/v1/admin/clients",
                Some(json!({"name": "reports job", "scopes": scopes})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        (
            created["client_id"].as_str().expect("id").to_owned(),
            created["client_secret"]
                .as_str()
                .expect("secret")
                .to_owned(),
        )
    }
}

fn events(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect()
}

#[tokio::test]
async fn the_admin_api_needs_a_live_token_with_auth_admin() {
    let admin = admin_app().await;
    let (status, _) = send(admin.app.get("/v1/admin/users")).await;
    assert_eq!(status, 401);
    admin.register("alice").await;
    let alice = login(&admin.app, "alice").await;
    let response = admin
        .app
        .get("/v1/admin/users")
        .bearer_auth(token_of(&alice))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("text");
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    let (status, _) = admin.get("/v1/admin/users").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn users_are_listed_in_keyset_pages_and_found_by_prefix() {
    let admin = admin_app().await;
    for name in ["bob", "Bobby", "carol", "dave"] {
        admin.register(name).await;
    }
    let (status, first) = admin.get("/v1/admin/users?limit=2").await;
    assert_eq!(status, 200);
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["username"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["bob", "Bobby"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = admin
        .get(&format!("/v1/admin/users?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&second), ["carol", "dave"]);
    let cursor = second["next_cursor"].as_str().expect("root is left");
    let (_, last) = admin
        .get(&format!("/v1/admin/users?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&last), ["root"]);
    assert_eq!(last["next_cursor"], Value::Null);

    let (_, bobs) = admin.get("/v1/admin/users?prefix=BO").await;
    assert_eq!(names(&bobs), ["bob", "Bobby"]);
    let (_, none) = admin.get("/v1/admin/users?prefix=b%25").await;
    assert_eq!(names(&none), Vec::<String>::new(), "% is not a wildcard");

    let root = &last["items"][0];
    assert_eq!(
        root["scopes"],
        json!(["items:read", "items:write", "auth:admin"])
    );
    assert_eq!(root["disabled"], false);
    assert!(root["last_login_at"].is_string(), "{root}");
    assert!(root.get("password_hash").is_none());
    let (status, one) = admin
        .get(&format!(
            "/v1/admin/users/{}",
            root["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!((status, &one), (200, root));
    let (status, _) = admin.get("/v1/admin/users/no-such-id").await;
    assert_eq!(status, 404);
    let (status, _) = admin.get("/v1/admin/users?limit=0").await;
    assert_eq!(status, 400);
    let (status, _) = admin.get("/v1/admin/users?cursor=!!").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_disabled_user_gets_no_token_by_any_grant_and_loses_every_session() {
    let admin = admin_app().await;
    let bob = admin.register("bob").await;
    let session = login(&admin.app, "bob").await;
    let refresh = session["refresh_token"].as_str().expect("refresh");
    let flask = admin
        .app
        .flask_login(&json!({"username": "bob", "password": PASSWORD}))
        .await;
    let flask_token: Value = flask.json().await.expect("json");
    let flask_token = flask_token["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let (status, user) = admin
        .patch(&format!("/v1/admin/users/{bob}"), json!({"disabled": true}))
        .await;
    assert_eq!((status, &user["disabled"]), (200, &json!(true)));

    let (status, body) = admin.app.refresh(refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for token in [token_of(&session), flask_token.as_str()] {
        let me = admin
            .app
            .get("/v1/me")
            .bearer_auth(token)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), 401);
        let challenge = me.headers()["www-authenticate"].to_str().expect("text");
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }

    // The right password is told the account is disabled; a wrong one is
    // answered as for anyone.
    let app = &admin.app;
    let grant = |password: &'static str| async move {
        app.post_token_form(&[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", password),
        ])
        .await
    };
    let right: Value = grant(PASSWORD).await.json().await.expect("json");
    assert_eq!(right["error"], "invalid_grant");
    assert!(
        right["error_description"]
            .as_str()
            .expect("text")
            .contains("disabled")
    );
    let wrong: Value = grant("not bob's password")
        .await
        .json()
        .await
        .expect("json");
    let nobody: Value = admin
        .app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "nobody-at-all"),
            ("password", "not bob's password"),
        ])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(wrong, nobody);
    let flask = admin
        .app
        .flask_login(&json!({"username": "bob", "password": PASSWORD}))
        .await;
    assert_eq!(flask.status(), 401);

    let (status, user) = admin
        .patch(
            &format!("/v1/admin/users/{bob}"),
            json!({"disabled": false}),
        )
        .await;
    assert_eq!((status, &user["disabled"]), (200, &json!(false)));
    login(&admin.app, "bob").await;

    let (status, _) = admin.delete(&format!("/v1/admin/users/{bob}")).await;
    assert_eq!(status, 204);
    let (status, _) = admin.get(&format!("/v1/admin/users/{bob}")).await;
    assert_eq!(status, 404);
    let gone: Value = grant(PASSWORD).await.json().await.expect("json");
    assert_eq!(gone, nobody, "a deleted user is an unknown user");
    let (status, _) = admin.delete(&format!("/v1/admin/users/{bob}")).await;
    assert_eq!(status, 404);

    let trail = admin.audit(&format!("user_id={bob}")).await;
    assert_eq!(
        events(&trail)[..5],
        [
            "user_deleted",
            "login_succeeded",
            "user_enabled",
            "login_failed",
            "login_failed"
        ]
    );
    assert!(events(&trail).contains(&"user_disabled"));
    assert_eq!(trail[0]["actor_id"], admin_id(&admin).await);
}

async fn admin_id(admin: &Admin) -> Value {
    let (_, page) = admin.get("/v1/admin/users?prefix=root").await;
    page["items"][0]["id"].clone()
}

#[tokio::test]
async fn the_last_admin_cannot_be_disabled_deleted_or_demoted() {
    let admin = admin_app().await;
    let root = admin_id(&admin).await;
    let root = root.as_str().expect("id");
    let path = format!("/v1/admin/users/{root}");
    for (status, body) in [
        admin.patch(&path, json!({"disabled": true})).await,
        admin.patch(&path, json!({"scopes": ["items:read"]})).await,
        admin.delete(&path).await,
    ] {
        assert_eq!(status, 409, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("auth:admin")
        );
    }
    assert!(
        admin.audit("event=user_disabled").await.is_empty(),
        "a refused change leaves no event"
    );
    let (status, body) = admin.patch(&path, json!({"scopes": ["a\"b"]})).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = admin.patch(&path, json!({"admin": true})).await;
    assert_eq!(status, 422);

    let carol = admin.register("carol").await;
    let (status, carol_user) = admin
        .patch(
            &format!("/v1/admin/users/{carol}"),
            json!({"scopes": ["items:read", "auth:admin"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(carol_user["scopes"], json!(["items:read", "auth:admin"]));
    let (status, _) = admin.patch(&path, json!({"disabled": true})).await;
    assert_eq!(status, 200, "carol is an admin now");
    let (status, _) = admin.get("/v1/admin/users").await;
    assert_eq!(status, 401, "root's own token ended with the disable");
}

/// The outside attack's finding: an admin demoted by `PATCH` kept the admin
/// API with her old token and minted `auth:admin` again by refresh; with
/// them she demoted and disabled the admin who demoted her.
#[tokio::test]
async fn a_demoted_admin_loses_the_admin_api_at_once_with_every_token_and_refresh() {
    let admin = admin_app().await;
    let root = admin_id(&admin).await;
    let alice = admin.register("alice").await;
    let alice_path = format!("/v1/admin/users/{alice}");
    let promote = json!({"scopes": ["items:read", "items:write", "auth:admin"]});
    assert_eq!(admin.patch(&alice_path, promote).await.0, 200);
    let before = login(&admin.app, "alice").await;
    let as_alice = |token: String, method, path: String, body| {
        let app = &admin.app;
        async move { call_with(app, &token, method, &path, body).await }
    };
    let old = token_of(&before).to_owned();
    let get = reqwest::Method::GET;
    let patch = reqwest::Method::PATCH;
    let users = "/v1/admin/users".to_owned();
    let status = as_alice(old.clone(), get.clone(), users.clone(), None)
        .await
        .0;
    assert_eq!(status, 200, "an admin");

    let demote = json!({"scopes": ["items:read"]});
    assert_eq!(admin.patch(&alice_path, demote).await.0, 200);

    // Her token from before: refused at once, on every route of ours.
    for path in [&users, "/v1/me"] {
        let (status, body) = as_alice(old.clone(), get.clone(), path.to_owned(), None).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    // The takeover: with it, she cannot demote or disable the admin.
    let root_path = format!("/v1/admin/users/{}", root.as_str().expect("id"));
    for change in [json!({"scopes": ["items:read"]}), json!({"disabled": true})] {
        let (status, _) =
            as_alice(old.clone(), patch.clone(), root_path.clone(), Some(change)).await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        admin.get("/v1/admin/users").await.0,
        200,
        "root is untouched"
    );

    // Her refresh token from before mints only what she holds now.
    let refresh_token = before["refresh_token"].as_str().expect("refresh_token");
    let asked = admin
        .app
        .post_token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", "auth:admin"),
        ])
        .await;
    assert_eq!(asked.status(), 400);
    let refused: Value = asked.json().await.expect("json");
    assert_eq!(refused["error"], "invalid_scope", "{refused}");
    let (status, renewed) = admin.app.refresh(refresh_token).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["scope"], "items:read");
    let new = token_of(&renewed).to_owned();
    let me = "/v1/me".to_owned();
    assert_eq!(
        as_alice(new.clone(), get.clone(), me, None).await.0,
        200,
        "still a user"
    );
    assert_eq!(as_alice(new.clone(), get, users, None).await.0, 403);
    let disable = Some(json!({"disabled": true}));
    assert_eq!(as_alice(new, patch, root_path, disable).await.0, 403);

    // Promoted again, the same session may carry the scope again.
    let promote = json!({"scopes": ["items:read", "auth:admin"]});
    assert_eq!(admin.patch(&alice_path, promote).await.0, 200);
    let next = renewed["refresh_token"].as_str().expect("refresh_token");
    let (status, renewed) = admin.app.refresh(next).await;
    assert_eq!(status, 200);
    assert_eq!(renewed["scope"], "items:read auth:admin");
}

#[tokio::test]
async fn a_token_without_a_session_never_carries_auth_admin() {
    let admin = admin_app().await;
    let flask = admin
        .app
        .flask_login(&json!({"username": "root", "password": PASSWORD}))
        .await;
    assert_eq!(flask.status(), 200);
    let flask: Value = flask.json().await.expect("json");
    let token = flask["access_token"].as_str().expect("token");
    let scope = crate::sessions::claims_of(token)["scope"].clone();
    assert_eq!(scope, "items:read items:write", "root's Flask token");
    let (status, _) = call_with(
        &admin.app,
        token,
        reqwest::Method::GET,
        "/v1/admin/users",
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, me) = call_with(&admin.app, token, reqwest::Method::GET, "/v1/me", None).await;
    assert_eq!(status, 200, "{me}");
}

#[tokio::test]
async fn the_last_admin_count_compares_scope_names_exactly() {
    let admin = admin_app().await;
    let root = admin_id(&admin).await;
    let root_path = format!("/v1/admin/users/{}", root.as_str().expect("id"));
    let mallory = admin.register("mallory").await;
    let (status, body) = admin
        .patch(
            &format!("/v1/admin/users/{mallory}"),
            json!({"scopes": ["items:read", "AUTH:ADMIN", "auth:admins"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin
        .patch(&root_path, json!({"scopes": ["items:read"]}))
        .await;
    assert_eq!(status, 409, "`AUTH:ADMIN` is not `auth:admin`: {body}");
    let mallory = login(&admin.app, "mallory").await;
    let get = reqwest::Method::GET;
    let (status, _) = call_with(&admin.app, token_of(&mallory), get, "/v1/admin/users", None).await;
    assert_eq!(status, 403, "`AUTH:ADMIN` opens nothing");
}

#[tokio::test]
async fn scope_names_and_lists_are_bounded() {
    let admin = admin_app().await;
    let bob = admin.register("bob").await;
    let path = format!("/v1/admin/users/{bob}");
    let too_many: Vec<String> = (0..33).map(|n| format!("scope{n}")).collect();
    for (scopes, why) in [
        (json!(["y".repeat(9000)]), "a 9,000-character name"),
        (json!(["x".repeat(65)]), "a name of 65 characters"),
        (json!(too_many), "33 names"),
        (
            json!(["items:read", "caf\u{e9}"]),
            "a name outside the alphabet",
        ),
    ] {
        let (status, body) = admin.patch(&path, json!({ "scopes": scopes })).await;
        assert_eq!(status, 422, "{why}: {body}");
        let detail = body.to_string();
        assert!(detail.len() < 1000, "{why}: the refusal is short");
    }
    let (status, body) = admin
        .call(
            reqwest::Method::POST,
            "/v1/admin/clients",
            Some(json!({"name": "job", "scopes": ["z".repeat(9000)]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let most: Vec<String> = (0..32)
        .map(|n| format!("{}{n:02}", "s".repeat(62)))
        .collect();
    let (status, body) = admin.patch(&path, json!({ "scopes": most })).await;
    assert_eq!(status, 200, "{body}");
    let token = login(&admin.app, "bob").await;
    assert_eq!(token["scope"].as_str().map(str::len), Some(32 * 65 - 1));
}

#[tokio::test]
async fn an_admin_lists_and_ends_a_users_sessions() {
    let admin = admin_app().await;
    let alice = admin.register("alice").await;
    let first = login(&admin.app, "alice").await;
    login(&admin.app, "alice").await;
    let path = format!("/v1/admin/users/{alice}/sessions");
    let (status, page) = admin.get(&format!("{path}?limit=1")).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    let cursor = page["next_cursor"].as_str().expect("a second session");
    let (_, second) = admin.get(&format!("{path}?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"].as_array().expect("items").len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);

    let (status, _) = admin.delete(&path).await;
    assert_eq!(status, 204);
    let (_, after) = admin.get(&path).await;
    assert_eq!(after["items"], json!([]));
    let (status, _) = admin
        .app
        .refresh(first["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 400);
    let (status, _) = admin.get("/v1/admin/users/nobody/sessions").await;
    assert_eq!(status, 404);
    assert_eq!(
        events(
            &admin
                .audit(&format!("user_id={alice}&event=sessions_revoked"))
                .await
        ),
        ["sessions_revoked"]
    );
}

async fn client_grant(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    send(
        app.post("/v1/token")
            .basic_auth(id, Some(secret))
            .form(&form),
    )
    .await
}

async fn introspect(app: &TestApp, (id, secret): (&str, &str), token: &str) -> Value {
    let request = app
        .post("/v1/introspect")
        .basic_auth(id, Some(secret))
        .form(&[("token", token)]);
    let (status, body) = send(request).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_service_client_gets_its_own_token_and_introspects_others() {
    let admin = admin_app().await;
    let (id, secret) = admin.new_client(&["items:read", "auth:introspect"]).await;
    let (status, listed) = admin.get("/v1/admin/clients").await;
    assert_eq!(status, 200);
    // In id order, after the built-in `account` and before `console`.
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|client| client["client_id"].as_str())
        .collect();
    assert_eq!(ids, ["account", id.as_str(), "console"]);
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (status, token) = client_grant(&admin.app, &id, &secret, Some("items:read")).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["scope"], "items:read");
    assert!(token.get("refresh_token").is_none(), "{token}");
    let access = token_of(&token).to_owned();
    let by_form = send(admin.app.post("/v1/token").form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]))
    .await;
    assert_eq!(by_form.0, 200, "{}", by_form.1);

    let (status, wide) = client_grant(&admin.app, &id, &secret, Some("items:write")).await;
    assert_eq!(
        (status, wide["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let wrong_secret = client_grant(&admin.app, &id, "not-the-secret", None).await;
    let unknown_client = client_grant(&admin.app, "client_nobody", &secret, None).await;
    assert_eq!(wrong_secret.0, 401);
    assert_eq!(wrong_secret.1["error"], "invalid_client");
    assert_eq!(wrong_secret, unknown_client, "nothing tells them apart");
    let (status, body) = admin
        .call(
            reqwest::Method::POST,
            "/v1/admin/clients",
            Some(json!({"name": "sneaky", "scopes": ["auth:admin"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // Introspection, for an authenticated client only.
    let (status, body) = send(admin.app.post("/v1/introspect").form(&[("token", &access)])).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let credentials = (id.as_str(), secret.as_str());
    let own = introspect(&admin.app, credentials, &access).await;
    assert_eq!(own["active"], true);
    assert_eq!(own["client_id"], id.as_str());
    assert_eq!(own["sub"], id.as_str());
    admin.register("alice").await;
    let alice = login(&admin.app, "alice").await;
    let alice_access = token_of(&alice);
    let seen = introspect(&admin.app, credentials, alice_access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["token_type"], "Bearer");
    assert!(seen["sid"].is_string() && seen["exp"].is_u64(), "{seen}");
    assert_eq!(
        introspect(&admin.app, credentials, "garbage").await,
        json!({"active": false})
    );
    // RFC 7662 4: a client without `auth:introspect` learns nothing.
    let (reader, reader_secret) = admin.new_client(&["items:read"]).await;
    assert_eq!(
        introspect(&admin.app, (&reader, &reader_secret), alice_access).await,
        json!({"active": false})
    );
    let refresh = alice["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        introspect(&admin.app, credentials, refresh).await,
        json!({"active": false})
    );
    let (status, _) = send(admin.app.post("/v1/revoke").form(&[("token", refresh)])).await;
    assert_eq!(status, 200);
    assert_eq!(
        introspect(&admin.app, credentials, alice_access).await,
        json!({"active": false}),
        "its session was revoked"
    );

    let (status, _) = admin.delete(&format!("/v1/admin/clients/{id}")).await;
    assert_eq!(status, 204);
    let (other_id, other_secret) = admin.new_client(&["items:read", "auth:introspect"]).await;
    let (status, _) = client_grant(&admin.app, &id, &secret, None).await;
    assert_eq!(status, 401, "a deleted client gets no token");
    assert_eq!(
        introspect(&admin.app, (&other_id, &other_secret), &access).await,
        json!({"active": false}),
        "a deleted client's token is no longer active"
    );
    let created = admin.audit("event=client_created").await;
    assert_eq!(created.len(), 3);
    assert!(!created[0].to_string().contains(&other_secret));
}

#[tokio::test]
async fn failed_client_authentication_is_throttled_counted_and_audited() {
    let admin = admin_app().await;
    let (id, secret) = admin.new_client(&["items:read", "auth:introspect"]).await;
    let counted = || async {
        let metrics = admin.app.get("/metrics").send().await.expect("request");
        let metrics = metrics.text().await.expect("text");
        let value = |name: &str| -> u64 {
            let line = metrics.lines().find(|l| l.starts_with(name)).expect(name);
            line.rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a count")
        };
        (
            value("client_auth_failures_total "),
            value("client_auth_throttled_total "),
        )
    };
    let before = counted().await;
    for _ in 0..5 {
        let (status, body) = client_grant(&admin.app, &id, "wrong-secret", None).await;
        assert_eq!(status, 401, "{body}");
    }
    let response = admin
        .app
        .post("/v1/token")
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 429, "even the right secret, for a while");
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "temporarily_unavailable");
    let request = admin
        .app
        .post("/v1/introspect")
        .basic_auth(&id, Some(&secret))
        .form(&[("token", admin.token.as_str())]);
    assert_eq!(
        send(request).await.0,
        429,
        "introspection authenticates alike"
    );

    let failed = admin.audit("event=client_auth_failed").await;
    assert_eq!(failed.len(), 7, "{failed:?}");
    assert!(failed.iter().all(|e| e["client_id"] == id.as_str()));
    assert!(
        !serde_json::to_string(&failed)
            .expect("json")
            .contains("wrong-secret")
    );
    // Other tests of this process count too: at least ours.
    let after = counted().await;
    assert!(
        after.0 >= before.0 + 5 && after.1 >= before.1 + 2,
        "{before:?} {after:?}"
    );

    // Per address too: many client ids from one address.
    let (other, other_secret) = admin.new_client(&["items:read"]).await;
    for n in 0..15 {
        let id = format!("client_guess{n}");
        assert_eq!(client_grant(&admin.app, &id, "guess", None).await.0, 401);
    }
    let (status, body) = client_grant(&admin.app, &other, &other_secret, None).await;
    assert_eq!(status, 429, "the address used up its failures: {body}");
    admin.app.clock.advance(std::time::Duration::from_secs(301));
    let (status, body) = client_grant(&admin.app, &id, &secret, None).await;
    assert_eq!(status, 200, "a new window: {body}");
}

#[tokio::test]
async fn the_audit_log_records_each_change_once_without_secrets() {
    let admin = admin_app().await;
    let alice = admin.register("alice").await;
    let session = login(&admin.app, "alice").await;
    let refresh = session["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let (status, rotated) = admin.app.refresh(&refresh).await;
    assert_eq!(status, 200);
    let wrong = admin
        .app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "a wrong password"),
        ])
        .await;
    assert_eq!(wrong.status(), 400);
    let next = rotated["refresh_token"].as_str().expect("refresh");
    let (status, _) = send(
        admin
            .app
            .post("/v1/logout")
            .json(&json!({"refresh_token": next})),
    )
    .await;
    assert_eq!(status, 204);

    let trail = admin.audit(&format!("user_id={alice}")).await;
    assert_eq!(
        events(&trail),
        [
            "logout",
            "login_failed",
            "token_refreshed",
            "login_succeeded",
            "user_registered"
        ]
    );
    let text = serde_json::to_string(&trail).expect("json");
    for secret in [
        PASSWORD,
        "a wrong password",
        &refresh,
        next,
        token_of(&session),
    ] {
        assert!(!text.contains(secret), "a secret in the audit log: {text}");
    }
    let failed = &trail[1];
    assert_eq!(failed["detail"], json!({"reason": "bad_credentials"}));
    assert_eq!(failed["client_address"], "127.0.0.1");
    assert!(failed["at"].as_str().expect("time").ends_with('Z'));

    // Keyset pages, newest first, across every user.
    let (_, first) = admin.get("/v1/admin/audit?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("more");
    let (_, second) = admin
        .get(&format!("/v1/admin/audit?limit=2&cursor={cursor}"))
        .await;
    let first_ids: Vec<i64> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    let second_ids: Vec<i64> = second["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert!(
        first_ids[0] > first_ids[1] && first_ids[1] > second_ids[0],
        "{first_ids:?} {second_ids:?}"
    );
    let (status, body) = admin.get("/v1/admin/audit?event=no_such_event").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("login_failed")
    );
}

#[tokio::test]
async fn admin_changes_on_one_replica_hold_on_the_other() {
    let admin = admin_app().await;
    let other = spawn_app_on(admin.db.url(), &[]).await;
    let bob = admin.register("bob").await;
    let on_other = login(&other, "bob").await;
    let me_on_other = |token: String| {
        let request = other.get("/v1/me").bearer_auth(token);
        async move { send(request).await.0 }
    };
    assert_eq!(me_on_other(token_of(&on_other).to_owned()).await, 200);

    let (status, _) = admin
        .patch(&format!("/v1/admin/users/{bob}"), json!({"disabled": true}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(me_on_other(token_of(&on_other).to_owned()).await, 401);
    let (status, refused) = other
        .refresh(on_other["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let denied: Value = other
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", PASSWORD),
        ])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(denied["error"], "invalid_grant");

    // Enabled through the other replica, logged in through the first; the
    // other ends the sessions, the first refuses them.
    let enable = other
        .client
        .patch(other.url(&format!("/v1/admin/users/{bob}")))
        .bearer_auth(&admin.token)
        .json(&json!({"disabled": false}));
    assert_eq!(send(enable).await.0, 200);
    let on_first = login(&admin.app, "bob").await;
    let revoke = other
        .delete(&format!("/v1/admin/users/{bob}/sessions"))
        .bearer_auth(&admin.token);
    assert_eq!(send(revoke).await.0, 204);
    let me = admin.app.get("/v1/me").bearer_auth(token_of(&on_first));
    assert_eq!(send(me).await.0, 401);

    let (id, secret) = admin.new_client(&["items:read"]).await;
    assert_eq!(client_grant(&other, &id, &secret, None).await.0, 200);
    let delete = other
        .delete(&format!("/v1/admin/clients/{id}"))
        .bearer_auth(&admin.token);
    assert_eq!(send(delete).await.0, 204);
    assert_eq!(client_grant(&admin.app, &id, &secret, None).await.0, 401);
}

#[tokio::test]
async fn two_admins_disabling_each_other_at_once_leave_one() {
    let admin = admin_app().await;
    let root = admin_id(&admin).await;
    let carol = admin.register("carol").await;
    let (status, _) = admin
        .patch(
            &format!("/v1/admin/users/{carol}"),
            json!({"scopes": ["auth:admin"]}),
        )
        .await;
    assert_eq!(status, 200);
    let carol_token = token_of(&login(&admin.app, "carol").await).to_owned();
    let disable = |target: &str, token: &str| {
        send(
            admin
                .app
                .client
                .patch(admin.app.url(&format!("/v1/admin/users/{target}")))
                .bearer_auth(token)
                .json(&json!({"disabled": true})),
        )
    };
    let root = root.as_str().expect("id");
    let (by_root, by_carol) =
        tokio::join!(disable(&carol, &admin.token), disable(root, &carol_token));
    // The loser is refused in the transaction (409), or, when the winner
    // committed first, at its token (401): never both disabled.
    let survivor = match (by_root.0, by_carol.0) {
        (200, 401 | 409) => admin.token.clone(),
        (401 | 409, 200) => carol_token,
        statuses => panic!("exactly one must win: {statuses:?}"),
    };
    let list = admin.app.get("/v1/admin/users").bearer_auth(&survivor);
    let (status, users) = send(list).await;
    assert_eq!(status, 200);
    let enabled_admins = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|u| u["disabled"] == false && u["scopes"].to_string().contains("auth:admin"))
        .count();
    assert_eq!(enabled_admins, 1, "{users}");
}

#[tokio::test]
async fn expired_rows_are_purged_in_batches_and_counted() {
    use auth_service::audit::Actor;
    use auth_service::store::{AuditFilter, AuditStore as _, AuthStore as _, Purged, SqlAuthStore};

    let db = TestDatabase::new().await;
    let settings = shared::settings::DatabaseSettings {
        url: db.url().to_owned().into(),
        max_connections: 2,
        connect_timeout_seconds: 5,
        statement_timeout_seconds: 5,
    };
    let database = shared::db::open(&settings, auth_service::store::MIGRATIONS)
        .await
        .expect("open");
    let store = SqlAuthStore::new(database.clone());
    let day = 86_400_000;
    let now = 1_900_000_000_000;
    for at in [
        now - 3 * day,
        now - 2 * day,
        now - day - 1,
        now - day + 1,
        now,
    ] {
        let event = Actor::from_address("10.0.0.1").event("login_failed", at);
        store.record(&event).await.expect("recorded");
    }
    // More than one batch of each: old events, and ended sessions with a
    // token each; one session still running.
    let backlog = 4_500;
    let rows = |row: &dyn Fn(usize) -> String| (0..backlog).map(row).collect::<Vec<_>>().join(",");
    let ended = now - 1;
    for statement in [
        format!(
            "INSERT INTO audit_events (at, event) VALUES {}",
            rows(&|i| format!("({}, 'login_failed')", now - 5 * day + i as i64))
        ),
        "INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at) \
         VALUES ('u1', 'alice', 'alice', 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"
            .to_owned(),
        format!(
            "INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at) VALUES {}, \
             ('running', 'u1', 'items:read', 0, {})",
            rows(&|i| format!("('f{i}', 'u1', 'items:read', 0, {ended})")),
            now + day
        ),
        format!(
            "INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES {}, \
             ('running', 'running', {})",
            rows(&|i| format!("('t{i}', 'f{i}', {ended})")),
            now + day
        ),
    ] {
        sqlx::query(&statement)
            .execute(&database.pool)
            .await
            .expect("seeded");
    }

    let purged = store.purge_expired(now, now - day).await.expect("purged");
    assert_eq!(
        purged,
        Purged {
            audit_events: backlog as u64 + 3,
            sessions: backlog as u64,
            throttle_windows: 0,
            authorization_codes: 0,
            browser_sessions: 0,
            sign_in_challenges: 0,
            links: 0,
        }
    );
    let kept = store
        .list_audit(&AuditFilter::default(), 10)
        .await
        .expect("listed");
    let times: Vec<i64> = kept.iter().map(|e| e.at).collect();
    assert_eq!(times, [now, now - day + 1]);
    let tokens: Vec<String> = sqlx::query_scalar("SELECT family_id FROM refresh_tokens")
        .fetch_all(&database.pool)
        .await
        .expect("tokens");
    assert_eq!(tokens, ["running"], "an ended session's tokens go with it");
    assert_eq!(
        store.purge_expired(now, now - day).await.expect("purged"),
        Purged::default()
    );
    database.close().await;
}

#[tokio::test]
async fn a_disabled_users_tokens_introspect_inactive() {
    let admin = admin_app().await;
    let (id, secret) = admin.new_client(&["items:read", "auth:introspect"]).await;
    let alice = admin.register("alice").await;
    let session = login(&admin.app, "alice").await;
    let flask: Value = admin
        .app
        .flask_login(&json!({"username": "alice", "password": PASSWORD}))
        .await
        .json()
        .await
        .expect("json");
    let flask = flask["access_token"].as_str().expect("token");
    let credentials = (id.as_str(), secret.as_str());
    for token in [token_of(&session), flask] {
        assert_eq!(
            introspect(&admin.app, credentials, token).await["active"],
            true
        );
    }
    let (status, _) = admin
        .patch(
            &format!("/v1/admin/users/{alice}"),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    for token in [token_of(&session), flask] {
        assert_eq!(
            introspect(&admin.app, credentials, token).await,
            json!({"active": false})
        );
    }
}

#[tokio::test]
async fn an_expired_token_introspects_inactive() {
    let admin = admin_app().await;
    let (id, secret) = admin.new_client(&["items:read", "auth:introspect"]).await;
    admin.register("alice").await;
    let session = login(&admin.app, "alice").await;
    let credentials = (id.as_str(), secret.as_str());
    let token = token_of(&session);
    assert_eq!(
        introspect(&admin.app, credentials, token).await["active"],
        true
    );
    // 15 minutes and the 30 s leeway.
    admin
        .app
        .clock
        .advance(std::time::Duration::from_secs(900 + 31));
    assert_eq!(
        introspect(&admin.app, credentials, token).await,
        json!({"active": false})
    );
}
