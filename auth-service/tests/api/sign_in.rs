//! The code flow with PKCE through the hosted sign-in page, driven as a
//! browser and an app would drive it: a cookie jar, the form's fields as
//! the page wrote them, redirects read from `Location`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use shared::testing::{TestApp, TestDatabase, send};

use crate::helpers::{AuthApi as _, PASSWORD, seed_users, spawn_app_on};
use crate::sessions::claims_of;

const APP: &str = "http://127.0.0.1/callback";
/// `AUTH__SERVER__PUBLIC_URL`'s origin (the default).
const PUBLIC_ORIGIN: &str = "http://localhost:8081";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// auth-service with `root` (admin) and `alice`, and root's token.
struct SignIn {
    app: TestApp,
    root: String,
    db: TestDatabase,
}

async fn sign_in_app() -> SignIn {
    sign_in_app_with(&[]).await
}

async fn sign_in_app_with(overrides: &[(&str, &str)]) -> SignIn {
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin"), ("alice", "")]).await;
    let app = spawn_app_on(db.url(), overrides).await;
    let root = app.password_grant("root", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    SignIn { app, root, db }
}

impl SignIn {
    /// Registers a client; its answer.
    async fn client(&self, body: Value) -> (u16, Value) {
        send(
            self.app
                .post("/v1/admin/clients")
                .bearer_auth(&self.root)
                .json(&body),
        )
        .await
    }

    /// `PATCH path` with `body` as root.
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.app.patch(path).bearer_auth(&self.root).json(&body)).await
    }

    /// A public single-page app with the code and refresh grants; its id.
    async fn public_app(&self) -> String {
        let (status, client) = self
            .client(json!({
                "name": "Notes",
                "scopes": ["items:read", "items:write"],
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": [APP],
                "public": true,
            }))
            .await;
        assert_eq!(status, 201, "{client}");
        assert!(client.get("client_secret").is_none(), "{client}");
        client["client_id"].as_str().expect("id").to_owned()
    }
}

/// A browser: the cookies this service set, sent back on each request.
#[derive(Default)]
struct Browser {
    cookies: HashMap<String, String>,
}

/// A page or a redirect.
struct Answer {
    status: u16,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    /// The query of the redirect, as pairs.
    fn redirect_query(&self) -> HashMap<String, String> {
        let location = self.location.as_deref().expect("a redirect");
        let url = url::Url::parse(location).expect("an absolute URL");
        url.query_pairs().into_owned().collect()
    }

    /// The hidden fields of the page's form.
    fn hidden_fields(&self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[at + 27..];
            let (name, after) = rest.split_once('"').expect("a name");
            let after = after.strip_prefix(" value=\"").expect("a value");
            let (value, after) = after.split_once('"').expect("its end");
            let value = value
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            fields.push((name.to_owned(), value));
            rest = after;
        }
        fields
    }
}

impl Browser {
    async fn answer(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = match cookie.is_empty() {
            true => request,
            false => request.header(COOKIE, cookie),
        };
        let response = request.send().await.expect("request");
        for set in response.headers().get_all(SET_COOKIE) {
            let set = set.to_str().expect("ascii");
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get(LOCATION)
            .map(|l| l.to_str().expect("ascii").to_owned());
        let body = response.text().await.expect("body");
        Answer {
            status,
            location,
            headers,
            body,
        }
    }

    /// `GET /v1/authorize` with these parameters.
    async fn authorize(&mut self, app: &TestApp, params: &[(&str, &str)]) -> Answer {
        self.answer(app.get("/v1/authorize").query(params)).await
    }

    /// Posts the page's form with these credentials, from the page's origin
    /// (the service's public URL, as a browser there would send it).
    async fn submit(
        &mut self,
        app: &TestApp,
        page: &Answer,
        username: &str,
        password: &str,
    ) -> Answer {
        let mut form = page.hidden_fields();
        form.push(("username".into(), username.into()));
        form.push(("password".into(), password.into()));
        self.post_form(app, &form).await
    }

    /// Posts the code page's form with `otp`.
    async fn submit_code(&mut self, app: &TestApp, page: &Answer, otp: &str) -> Answer {
        let mut form = page.hidden_fields();
        form.push(("otp".into(), otp.into()));
        self.post_form(app, &form).await
    }

    /// Posts a form to the page, from the page's origin.
    async fn post_form(&mut self, app: &TestApp, form: &[(String, String)]) -> Answer {
        self.answer(
            app.post("/v1/authorize")
                .header("origin", PUBLIC_ORIGIN)
                .header("sec-fetch-site", "same-origin")
                .form(form),
        )
        .await
    }
}

/// The parameters of an authorization request by `client_id`.
fn request<'a>(client_id: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", APP),
        ("scope", "items:read"),
        ("state", "opaque-state 1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// The whole flow for alice: the code in the redirect.
async fn code_for(browser: &mut Browser, app: &TestApp, client_id: &str) -> String {
    let challenge = challenge(VERIFIER);
    let page = browser
        .authorize(app, &request(client_id, &challenge))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = browser.submit(app, &page, "alice", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let query = back.redirect_query();
    assert!(back.location.as_deref().is_some_and(|l| l.starts_with(APP)));
    assert_eq!(query["state"], "opaque-state 1");
    assert_eq!(query["iss"], "auth-service");
    query["code"].clone()
}

async fn exchange(
    app: &TestApp,
    client_id: &str,
    code: &str,
    verifier: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", APP),
        ("client_id", client_id),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    send(app.post("/v1/token").form(&form)).await
}

async fn refresh_as(app: &TestApp, refresh_token: &str, client_id: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(client_id) = client_id {
        form.push(("client_id", client_id));
    }
    send(app.post("/v1/token").form(&form)).await
}

#[tokio::test]
async fn a_public_app_signs_alice_in_with_pkce_and_refreshes_as_itself_only() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let mut browser = Browser::default();
    let code = code_for(&mut browser, &test.app, &client_id).await;

    let (status, tokens) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "items:read");
    let access = tokens["access_token"].as_str().expect("access");
    let (status, me) = send(test.app.get("/v1/me").bearer_auth(access)).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("alice")));

    // Refresh tokens are bound to the client (OAuth 2.1 4.3.1).
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, body) = refresh_as(&test.app, refresh, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let other = test.public_app().await;
    let (status, body) = refresh_as(&test.app, refresh, Some(&other)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, renewed) = refresh_as(&test.app, refresh, Some(&client_id)).await;
    assert_eq!(status, 200, "{renewed}");

    // A password grant's refresh token is refused to a client.
    let grant = test.app.password_grant("alice", PASSWORD).await;
    let theirs = grant["refresh_token"].as_str().expect("refresh");
    let (status, _) = refresh_as(&test.app, theirs, Some(&client_id)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_ends_what_its_first_use_issued() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let mut browser = Browser::default();
    let code = code_for(&mut browser, &test.app, &client_id).await;
    let (status, first) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200);
    let (status, replay) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let refresh = first["refresh_token"].as_str().expect("refresh");
    let (status, body) = refresh_as(&test.app, refresh, Some(&client_id)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let access = first["access_token"].as_str().expect("access");
    let (status, _) = send(test.app.get("/v1/me").bearer_auth(access)).await;
    assert_eq!(status, 401, "the first exchange's session is ended");
    let (status, events) = send(
        test.app
            .get("/v1/admin/audit?event=code_reuse_detected")
            .bearer_auth(&test.root),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(1),
        "{events}"
    );
}

#[tokio::test]
async fn a_code_is_bound_to_its_verifier_client_redirect_and_lifetime() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let other = test.public_app().await;
    let mut browser = Browser::default();
    let code = code_for(&mut browser, &test.app, &client_id).await;

    let wrong_verifier = "x".repeat(43);
    for (verifier, by) in [
        (None, client_id.as_str()),
        (Some(wrong_verifier.as_str()), client_id.as_str()),
        (Some(VERIFIER), other.as_str()),
    ] {
        let (status, body) = exchange(&test.app, by, &code, verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
    }
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:9/callback"),
        ("client_id", client_id.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = send(test.app.post("/v1/token").form(&form)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = exchange(&test.app, "client_nobody", &code, Some(VERIFIER)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );

    // None of those spent it; 61 s later it is no good.
    let late = code_for(&mut Browser::default(), &test.app, &client_id).await;
    test.app.clock.advance(std::time::Duration::from_secs(61));
    let (status, body) = exchange(&test.app, &client_id, &late, Some(VERIFIER)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, _) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 400, "expired too");
}

#[tokio::test]
async fn until_the_client_and_redirect_uri_are_known_errors_are_pages_never_redirects() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    let mut browser = Browser::default();
    let evil = "https://evil.example/steal";
    for params in [
        vec![("response_type", "code"), ("redirect_uri", APP)],
        vec![("client_id", "client_nobody"), ("redirect_uri", APP)],
        vec![("client_id", client_id.as_str()), ("redirect_uri", evil)],
        vec![("client_id", client_id.as_str())],
        vec![
            ("client_id", client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1/callback/../other"),
        ],
    ] {
        let answer = browser.authorize(&test.app, &params).await;
        assert_eq!(answer.status, 400, "{params:?}");
        assert!(answer.location.is_none(), "{params:?}");
        assert!(answer.body.contains("Cannot sign in"), "{}", answer.body);
    }
    // Known client and redirect URI: errors go back, with state and iss.
    let mut plain = request(&client_id, &challenge);
    plain.retain(|(name, _)| *name != "code_challenge_method");
    plain.push(("code_challenge_method", "plain"));
    let mut none = request(&client_id, &challenge);
    none.retain(|(name, _)| !name.starts_with("code_challenge"));
    let mut token = request(&client_id, &challenge);
    token[0] = ("response_type", "token");
    let mut scope = request(&client_id, &challenge);
    scope[3] = ("scope", "auth:admin");
    for (params, error) in [
        (plain, "invalid_request"),
        (none, "invalid_request"),
        (token, "unsupported_response_type"),
        (scope, "invalid_scope"),
    ] {
        let answer = browser.authorize(&test.app, &params).await;
        assert_eq!(answer.status, 303, "{params:?}: {}", answer.body);
        let query = answer.redirect_query();
        assert_eq!(query["error"], error, "{params:?}");
        assert_eq!(query["state"], "opaque-state 1");
        assert_eq!(query["iss"], "auth-service");
    }
    // A loopback redirect URI matches on any port (RFC 8252 7.3).
    let mut port = request(&client_id, &challenge);
    port[2] = ("redirect_uri", "http://127.0.0.1:43123/callback");
    assert_eq!(browser.authorize(&test.app, &port).await.status, 200);
}

#[tokio::test]
async fn the_page_cannot_be_framed_and_refuses_a_cross_site_post() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    let mut browser = Browser::default();
    let page = browser
        .authorize(&test.app, &request(&client_id, &challenge))
        .await;
    assert_eq!(page.status, 200);
    let policy = page.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "no script at all: {policy}");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(page.body.contains("<label>Username"), "{}", page.body);
    assert!(page.body.contains("name=\"password\""));

    let mut form = page.hidden_fields();
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), PASSWORD.into()));
    // From another site: the browser says so.
    let cross = browser
        .answer(
            test.app
                .post("/v1/authorize")
                .header("origin", "https://evil.example")
                .header("sec-fetch-site", "cross-site")
                .form(&form),
        )
        .await;
    assert_eq!(cross.status, 403, "{}", cross.body);
    assert!(cross.location.is_none());
    // Without the page's form cookie (another browser, a forged form).
    let mut stranger = Browser::default();
    let forged = stranger
        .answer(test.app.post("/v1/authorize").form(&form))
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    // The page itself still signs in.
    let back = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
}

#[tokio::test]
async fn the_page_says_what_went_wrong_and_a_disabled_user_gets_no_code() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    let mut browser = Browser::default();
    let page = browser
        .authorize(&test.app, &request(&client_id, &challenge))
        .await;
    let wrong = browser
        .submit(&test.app, &page, "alice", "not her password")
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("The username or password is wrong."),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("value=\"alice\""), "the name is kept");

    let (status, user) = send(
        test.app
            .get("/v1/admin/users?prefix=alice")
            .bearer_auth(&test.root),
    )
    .await;
    assert_eq!(status, 200);
    let alice = user["items"][0]["id"].as_str().expect("id").to_owned();
    let (status, _) = test
        .patch(
            &format!("/v1/admin/users/{alice}"),
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    let disabled = browser.submit(&test.app, &wrong, "alice", PASSWORD).await;
    assert_eq!(disabled.status, 403, "{}", disabled.body);
    assert!(disabled.body.contains("disabled"), "{}", disabled.body);
    assert!(disabled.location.is_none());
}

#[tokio::test]
async fn a_browser_session_signs_in_to_a_second_app_and_prompt_none_works_only_with_one() {
    let test = sign_in_app().await;
    let first = test.public_app().await;
    let second = test.public_app().await;
    let challenge = challenge(VERIFIER);

    // No session: prompt=none answers login_required at the redirect URI.
    let mut fresh = Browser::default();
    let mut silent = request(&second, &challenge);
    silent.push(("prompt", "none"));
    let answer = fresh.authorize(&test.app, &silent).await;
    assert_eq!(answer.redirect_query()["error"], "login_required");

    let mut browser = Browser::default();
    code_for(&mut browser, &test.app, &first).await;
    // Signed in: the second app gets a code without the password, even silently.
    let answer = browser.authorize(&test.app, &silent).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let code = answer.redirect_query()["code"].clone();
    let (status, tokens) = exchange(&test.app, &second, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    // prompt=login asks again; so does a max_age older than the sign-in.
    let mut again = request(&second, &challenge);
    again.push(("prompt", "login"));
    assert_eq!(browser.authorize(&test.app, &again).await.status, 200);
    test.app.clock.advance(std::time::Duration::from_secs(120));
    let mut recent = request(&second, &challenge);
    recent.push(("max_age", "60"));
    assert_eq!(browser.authorize(&test.app, &recent).await.status, 200);

    // A password change ends the browser session too.
    let token = test.app.password_grant("alice", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (status, _) =
        send(test.app.put("/v1/me/password").bearer_auth(&token).json(
            &json!({"current_password": PASSWORD, "new_password": "a new and long passphrase"}),
        ))
        .await;
    assert_eq!(status, 204);
    let answer = browser.authorize(&test.app, &silent).await;
    assert_eq!(answer.redirect_query()["error"], "login_required");
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_unauthorized_and_redirect_uris_are_checked() {
    let test = sign_in_app().await;
    let (status, service) = test
        .client(json!({"name": "svc", "scopes": ["items:read"], "redirect_uris": [APP]}))
        .await;
    assert_eq!(status, 201, "{service}");
    assert!(service["client_secret"].is_string());
    assert_eq!(service["grant_types"], json!(["client_credentials"]));
    let id = service["client_id"].as_str().expect("id");
    let challenge = challenge(VERIFIER);
    let mut browser = Browser::default();
    let answer = browser.authorize(&test.app, &request(id, &challenge)).await;
    assert_eq!(answer.redirect_query()["error"], "unauthorized_client");

    for (body, named) in [
        (
            json!({"redirect_uris": ["http://app.example.com/cb"]}),
            "http://app.example.com/cb",
        ),
        (
            json!({"redirect_uris": ["https://app.example.com/cb#x"]}),
            "https://app.example.com/cb#x",
        ),
        (
            json!({"post_logout_redirect_uris": ["javascript:alert(1)"]}),
            "javascript:alert(1)",
        ),
        (
            json!({"grant_types": ["authorization_code"], "redirect_uris": []}),
            "redirect_uris",
        ),
        (json!({"grant_types": ["implicit"]}), "implicit"),
        (json!({"public": true}), "client_credentials"),
    ] {
        let mut full = json!({"name": "x", "scopes": ["items:read"]});
        full.as_object_mut()
            .expect("object")
            .extend(body.as_object().expect("object").clone());
        let (status, problem) = test.client(full).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(problem.to_string().contains(named), "{body}: {problem}");
        let (status, problem) = test
            .patch(&format!("/v1/admin/clients/{id}"), body.clone())
            .await;
        assert_eq!(status, 422, "PATCH {body}: {problem}");
    }

    // PATCH: made a public app, it loses its secret; made confidential again, it gets a new one.
    let public = json!({"public": true, "grant_types": ["authorization_code"]});
    let (status, changed) = test.patch(&format!("/v1/admin/clients/{id}"), public).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["token_endpoint_auth_method"], "none");
    assert!(changed.get("client_secret").is_none());
    let answer = browser.authorize(&test.app, &request(id, &challenge)).await;
    assert_eq!(answer.status, 200, "now it may");
    let (status, changed) = test
        .patch(&format!("/v1/admin/clients/{id}"), json!({"public": false}))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert!(changed["client_secret"].is_string(), "{changed}");
    let (status, _) = test
        .patch("/v1/admin/clients/client_nobody", json!({"name": "y"}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_code_issued_by_one_replica_is_exchanged_and_replayed_at_another() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let other = spawn_app_on(test.db.url(), &[]).await;
    let mut browser = Browser::default();
    let code = code_for(&mut browser, &test.app, &client_id).await;
    let (status, tokens) = exchange(&other, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 400);
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, _) = refresh_as(&other, refresh, Some(&client_id)).await;
    assert_eq!(status, 400, "the replay at one replica ended it for all");
    // The browser session, started at the first, signs in at the second.
    let challenge = challenge(VERIFIER);
    let mut silent = request(&client_id, &challenge);
    silent.push(("prompt", "none"));
    let answer = browser.authorize(&other, &silent).await;
    assert!(answer.redirect_query().contains_key("code"));
}

#[tokio::test]
async fn with_the_password_grant_off_only_the_sign_in_page_takes_passwords() {
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin"), ("alice", "")]).await;
    let on = spawn_app_on(db.url(), &[]).await;
    let root = on.password_grant("root", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let off = spawn_app_on(db.url(), &[("AUTH__OAUTH__PASSWORD_GRANT", "false")]).await;
    let test = SignIn { app: off, root, db };

    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let (status, body) = send(test.app.post("/v1/token").form(&form)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let flask = json!({"username": "alice", "password": PASSWORD});
    let (status, _) = send(test.app.post("/auth").json(&flask)).await;
    assert_eq!(status, 404);
    let (status, _) = send(test.app.post("/auth").body("not json")).await;
    assert_eq!(status, 404, "whatever the body");
    let (_, metadata) = send(test.app.get("/.well-known/oauth-authorization-server")).await;
    assert_eq!(
        metadata["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );

    let client_id = test.public_app().await;
    let code = code_for(&mut Browser::default(), &test.app, &client_id).await;
    let (status, tokens) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
}

/// The claims of a JWT, unverified (the test verifies it separately).
#[tokio::test]
async fn openid_adds_an_id_token_userinfo_answers_and_an_id_token_is_no_access_token() {
    let test = sign_in_app().await;
    let (status, app) = test
        .client(json!({
            "name": "Notes",
            "scopes": ["items:read"],
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [APP],
            "post_logout_redirect_uris": ["http://127.0.0.1/signed-out"],
            "public": true,
        }))
        .await;
    assert_eq!(status, 201, "{app}");
    let client_id = app["client_id"].as_str().expect("id").to_owned();
    let challenge = challenge(VERIFIER);
    let mut params = request(&client_id, &challenge);
    params[3] = ("scope", "openid profile items:read");
    params.push(("nonce", "n-0S6_WzA2Mj"));
    let mut browser = Browser::default();
    let page = browser.authorize(&test.app, &params).await;
    let back = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    let code = back.redirect_query()["code"].clone();
    let (status, tokens) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "openid profile items:read");
    let id_token = tokens["id_token"].as_str().expect("an ID token");

    // Verified with the published key, as any relying party would.
    let (_, set) = send(test.app.get("/.well-known/jwks.json")).await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("JSON");
    assert_eq!(header["alg"], "ES256");
    let jwk = set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the ID token's key is published");
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).expect("a JWK");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[&client_id]);
    validation.set_issuer(&["auth-service"]);
    jsonwebtoken::decode::<Value>(
        id_token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key"),
        &validation,
    )
    .expect("the ID token verifies");
    let claims = claims_of(id_token);
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(claims["sub"], claims_of(access)["sub"]);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["azp"], client_id.as_str());
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], "aal1");
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["sid"], claims_of(access)["sid"]);
    assert!(
        claims["auth_time"]
            .as_u64()
            .is_some_and(|t| t <= claims["iat"].as_u64().expect("iat"))
    );

    let (status, info) = send(test.app.get("/v1/userinfo").bearer_auth(access)).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        info,
        json!({"sub": claims["sub"], "preferred_username": "alice"})
    );
    let (status, _) = send(test.app.post("/v1/userinfo").bearer_auth(access)).await;
    assert_eq!(status, 200);
    // An ID token is not an access token: its audience is the app.
    let (status, _) = send(test.app.get("/v1/me").bearer_auth(id_token)).await;
    assert_eq!(status, 401);
    let (status, _) = send(test.app.get("/v1/userinfo").bearer_auth(id_token)).await;
    assert_eq!(status, 401);
    // A token without openid reads no userinfo.
    let plain = test.app.password_grant("alice", PASSWORD).await;
    let plain = plain["access_token"].as_str().expect("access");
    let (status, _) = send(test.app.get("/v1/userinfo").bearer_auth(plain)).await;
    assert_eq!(status, 403);

    // A refresh keeps openid (the identity scopes are the user's own).
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, renewed) = refresh_as(&test.app, refresh, Some(&client_id)).await;
    assert_eq!(
        (status, renewed["scope"].as_str()),
        (200, Some("openid profile items:read"))
    );

    // RP-initiated logout with the ID token: the browser and the app's session end.
    let hint_logout = [
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", "http://127.0.0.1/signed-out"),
        ("state", "bye"),
    ];
    let unregistered = [
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", "https://evil.example/"),
    ];
    let answer = browser
        .answer(test.app.get("/v1/end-session").query(&unregistered))
        .await;
    assert_eq!(answer.status, 400);
    assert!(answer.location.is_none());
    let answer = browser
        .answer(test.app.get("/v1/end-session").query(&hint_logout))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.location.as_deref(),
        Some("http://127.0.0.1/signed-out?state=bye")
    );
    let renewed = renewed["refresh_token"].as_str().expect("refresh");
    let (status, _) = refresh_as(&test.app, renewed, Some(&client_id)).await;
    assert_eq!(status, 400, "the app's session ended");
    let mut silent = request(&client_id, &challenge);
    silent.push(("prompt", "none"));
    let answer = browser.authorize(&test.app, &silent).await;
    assert_eq!(answer.redirect_query()["error"], "login_required");
}

#[tokio::test]
async fn without_an_id_token_hint_end_session_asks_first() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let mut browser = Browser::default();
    let code = code_for(&mut browser, &test.app, &client_id).await;
    let (_, tokens) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    let challenge = challenge(VERIFIER);
    let mut silent = request(&client_id, &challenge);
    silent.push(("prompt", "none"));

    // A bare link (another page's, say) ends nothing: it asks.
    let ask = browser.answer(test.app.get("/v1/end-session")).await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("Sign out"), "{}", ask.body);
    assert!(
        browser
            .authorize(&test.app, &silent)
            .await
            .redirect_query()
            .contains_key("code")
    );
    // A post from elsewhere is refused.
    let forged = Browser::default()
        .answer(
            test.app
                .post("/v1/end-session")
                .form(&[("form_token", "x")]),
        )
        .await;
    assert_eq!(forged.status, 403);
    // The user confirms on the page.
    let mut form = ask.hidden_fields();
    form.retain(|(name, _)| name == "form_token");
    let done = browser
        .answer(
            test.app
                .post("/v1/end-session")
                .header("origin", PUBLIC_ORIGIN)
                .form(&form),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("signed out"), "{}", done.body);
    let answer = browser.authorize(&test.app, &silent).await;
    assert_eq!(answer.redirect_query()["error"], "login_required");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, _) = refresh_as(&test.app, refresh, Some(&client_id)).await;
    assert_eq!(status, 400, "the apps it signed in to are signed out too");
}

#[tokio::test]
async fn an_authorization_request_may_be_posted_and_request_objects_are_refused() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    // OpenID Connect Core 3.1.2.1: the same request as a form post.
    let mut browser = Browser::default();
    let page = browser
        .answer(
            test.app
                .post("/v1/authorize")
                .form(&request(&client_id, &challenge)),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    // Signed in, a posted request gets its code at once.
    let again = browser
        .answer(
            test.app
                .post("/v1/authorize")
                .form(&request(&client_id, &challenge)),
        )
        .await;
    assert!(again.redirect_query().contains_key("code"));

    for (name, error) in [
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ] {
        let mut params = request(&client_id, &challenge);
        params.push((name, "eyJhbGciOiJub25lIn0.e30."));
        let answer = browser.authorize(&test.app, &params).await;
        assert_eq!(answer.redirect_query()["error"], error);
    }
}

#[tokio::test]
async fn without_a_nonce_the_code_flow_still_gives_an_id_token_without_one() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    let mut params = request(&client_id, &challenge);
    params[3] = ("scope", "openid");
    let mut browser = Browser::default();
    let page = browser.authorize(&test.app, &params).await;
    let back = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    let code = back.redirect_query()["code"].clone();
    let (status, tokens) = exchange(&test.app, &client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = claims_of(tokens["id_token"].as_str().expect("an ID token"));
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert!(
        claims.get("preferred_username").is_none(),
        "no profile: {claims}"
    );
}

/// An ID token for alice through the code flow with scope `openid`.
async fn id_token_for(app: &TestApp, client_id: &str) -> String {
    let challenge = challenge(VERIFIER);
    let mut params = request(client_id, &challenge);
    params[3] = ("scope", "openid");
    params.push(("prompt", "login"));
    let mut browser = Browser::default();
    let page = browser.authorize(app, &params).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let back = browser.submit(app, &page, "alice", PASSWORD).await;
    let code = back.redirect_query()["code"].clone();
    let (status, tokens) = exchange(app, client_id, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    tokens["id_token"].as_str().expect("an ID token").to_owned()
}

/// The `kid` of a new ID token for alice from `client_id`, after checking
/// it verifies for the client with the published key of that id and `alg`
/// is `algorithm`.
async fn signed_in_kid(app: &TestApp, client_id: &str, algorithm: &str) -> String {
    let token = &id_token_for(app, client_id).await;
    let header = jsonwebtoken::decode_header(token).expect("a JOSE header");
    assert_eq!(format!("{:?}", header.alg), algorithm);
    let kid = header.kid.expect("kid");
    let (_, set) = send(app.get("/.well-known/jwks.json")).await;
    let jwk = set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{kid} is not published: {set}"));
    assert_eq!(jwk["alg"], algorithm);
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).expect("a JWK");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[client_id]);
    validation.set_issuer(&["auth-service"]);
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key"),
        &validation,
    )
    .expect("the ID token verifies");
    kid
}

/// How many published keys carry `alg`.
async fn published_with(app: &TestApp, algorithm: &str) -> usize {
    let (_, set) = send(app.get("/.well-known/jwks.json")).await;
    let keys = set["keys"].as_array().expect("keys");
    keys.iter().filter(|k| k["alg"] == algorithm).count()
}

#[tokio::test]
async fn rs256_id_tokens_for_clients_registered_for_them_and_the_keys_steps_rotate_both() {
    // The files of `auth-service keys init` under HS256 (the default).
    let folders = tempfile::tempdir().expect("tempdir");
    let (auth, items) = (folders.path().join("auth"), folders.path().join("items"));
    std::fs::create_dir_all(&auth).expect("auth folder");
    std::fs::create_dir_all(&items).expect("items folder");
    let steps = auth_service::key_files::KeyFolders {
        algorithm: jsonwebtoken::Algorithm::HS256,
        auth: &auth,
        items: &items,
    };
    steps.init(None).expect("init");
    let file = |name: &str| auth.join(name).display().to_string();
    let db = TestDatabase::new().await;
    seed_users(db.url(), &[("root", "auth:admin"), ("alice", "")]).await;
    let app = spawn_app_on(
        db.url(),
        &[
            (
                "AUTH__OIDC__ID_TOKEN_KEY_FILE",
                &file("id-token.private.pem"),
            ),
            (
                "AUTH__OIDC__ID_TOKEN_PUBLIC_KEY_FILE",
                &file("id-token.public.pem"),
            ),
            (
                "AUTH__OIDC__RS256_KEY_FILE",
                &file("id-token-rs256.private.pem"),
            ),
            (
                "AUTH__OIDC__RS256_PUBLIC_KEY_FILE",
                &file("id-token-rs256.public.pem"),
            ),
            ("JWT_KEY_FILES_POLL_MILLISECONDS", "100"),
        ],
    )
    .await;
    let root = app.password_grant("root", PASSWORD).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let test = SignIn { app, root, db };
    let (_, metadata) = send(test.app.get("/.well-known/openid-configuration")).await;
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    let register = |alg: Option<&str>| {
        let mut body = json!({
            "name": "Legacy portal",
            "scopes": [],
            "grant_types": ["authorization_code"],
            "redirect_uris": [APP],
            "public": true,
        });
        if let Some(alg) = alg {
            body["id_token_signed_response_alg"] = json!(alg);
        }
        body
    };
    let (status, rs256) = test.client(register(Some("RS256"))).await;
    assert_eq!(status, 201, "{rs256}");
    assert_eq!(rs256["id_token_signed_response_alg"], "RS256");
    let rs256 = rs256["client_id"].as_str().expect("id").to_owned();
    let (status, es256) = test.client(register(None)).await;
    assert_eq!(status, 201, "{es256}");
    assert_eq!(es256["id_token_signed_response_alg"], "ES256");
    let es256 = es256["client_id"].as_str().expect("id").to_owned();
    let (status, refused) = test.client(register(Some("HS256"))).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["errors"]["id_token_signed_response_alg"][0]
            .as_str()
            .is_some_and(|d| d.contains("`HS256` is not one of ES256, RS256")),
        "{refused}"
    );

    let old_rs = signed_in_kid(&test.app, &rs256, "RS256").await;
    let old_es = signed_in_kid(&test.app, &es256, "ES256").await;
    // A client switched to ES256 gets ES256 from its next sign-in.
    let (status, _) = test
        .patch(
            &format!("/v1/admin/clients/{rs256}"),
            json!({"id_token_signed_response_alg": "ES256"}),
        )
        .await;
    assert_eq!(status, 200);
    signed_in_kid(&test.app, &rs256, "ES256").await;
    test.patch(
        &format!("/v1/admin/clients/{rs256}"),
        json!({"id_token_signed_response_alg": "RS256"}),
    )
    .await;

    // The rotation steps, with the service running: published first,
    // signing after `activate`, the old key withdrawn by `retire`.
    let reloaded = || tokio::time::sleep(std::time::Duration::from_millis(500));
    steps.next().expect("next");
    reloaded().await;
    assert_eq!(published_with(&test.app, "RS256").await, 2);
    assert_eq!(published_with(&test.app, "ES256").await, 2);
    assert_eq!(
        signed_in_kid(&test.app, &rs256, "RS256").await,
        old_rs,
        "the next key is not signing yet"
    );
    steps.activate().expect("activate");
    reloaded().await;
    let new_rs = signed_in_kid(&test.app, &rs256, "RS256").await;
    let new_es = signed_in_kid(&test.app, &es256, "ES256").await;
    assert_ne!(new_rs, old_rs);
    assert_ne!(new_es, old_es);
    steps.retire().expect("retire");
    reloaded().await;
    assert_eq!(published_with(&test.app, "RS256").await, 1);
    assert_eq!(published_with(&test.app, "ES256").await, 1);
    signed_in_kid(&test.app, &rs256, "RS256").await;
}

#[tokio::test]
async fn without_an_rsa_key_no_client_is_registered_for_rs256() {
    let test = sign_in_app().await;
    let (_, metadata) = send(test.app.get("/.well-known/openid-configuration")).await;
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let (status, refused) = test
        .client(json!({
            "name": "Legacy portal",
            "scopes": [],
            "grant_types": ["authorization_code"],
            "redirect_uris": [APP],
            "public": true,
            "id_token_signed_response_alg": "RS256",
        }))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["errors"]["id_token_signed_response_alg"][0]
            .as_str()
            .is_some_and(|d| d.contains("AUTH__OIDC__RS256_KEY_FILE")),
        "{refused}"
    );
}

#[tokio::test]
async fn the_console_is_a_built_in_public_client_that_only_its_server_changes() {
    let test = sign_in_app().await;
    let console_url = format!("{PUBLIC_ORIGIN}/admin/");
    let (status, page) = send(test.app.get("/v1/admin/clients").bearer_auth(&test.root)).await;
    assert_eq!(status, 200, "{page}");
    let console = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["client_id"] == "console")
        .expect("the console's client is registered at start");
    assert_eq!(console["public"], true);
    assert_eq!(console["redirect_uris"], json!([console_url]));
    assert_eq!(console["post_logout_redirect_uris"], json!([console_url]));
    assert_eq!(
        console["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );

    // An admin signs in to it with the code flow; a user without
    // `auth:admin` gets a token without it.
    let challenge = challenge(VERIFIER);
    let params = [
        ("response_type", "code"),
        ("client_id", "console"),
        ("redirect_uri", console_url.as_str()),
        ("scope", "openid profile auth:admin"),
        ("state", "s"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (user, admin) in [("root", true), ("alice", false)] {
        let mut browser = Browser::default();
        let page = browser.authorize(&test.app, &params).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let back = browser.submit(&test.app, &page, user, PASSWORD).await;
        assert_eq!(back.status, 303, "{}", back.body);
        let code = back.redirect_query()["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", console_url.as_str()),
            ("client_id", "console"),
            ("code_verifier", VERIFIER),
        ];
        let (status, tokens) = send(test.app.post("/v1/token").form(&form)).await;
        assert_eq!(status, 200, "{tokens}");
        let scope = tokens["scope"].as_str().expect("scope");
        assert_eq!(
            scope.split(' ').any(|s| s == "auth:admin"),
            admin,
            "{user}: {scope}"
        );
        let access = tokens["access_token"].as_str().expect("access");
        let (status, _) = send(test.app.get("/v1/admin/clients").bearer_auth(access)).await;
        assert_eq!(status, if admin { 200 } else { 403 }, "{user}");
        let (status, renewed) = refresh_as(
            &test.app,
            tokens["refresh_token"].as_str().expect("refresh"),
            Some("console"),
        )
        .await;
        assert_eq!(status, 200, "{renewed}");
    }

    // Administrators cannot change or delete it: it follows the public URL.
    let (status, refused) = test
        .patch(
            "/v1/admin/clients/console",
            json!({"redirect_uris": ["https://evil.example/admin/"]}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = send(
        test.app
            .delete("/v1/admin/clients/console")
            .bearer_auth(&test.root),
    )
    .await;
    assert_eq!(status, 409);

    // Started at another public URL, it follows.
    let moved = spawn_app_on(
        test.db.url(),
        &[("AUTH__SERVER__PUBLIC_URL", "https://auth.example.com/base")],
    )
    .await;
    let (_, page) = send(moved.get("/v1/admin/clients").bearer_auth(&test.root)).await;
    let console = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["client_id"] == "console")
        .cloned()
        .expect("console");
    assert_eq!(
        console["redirect_uris"],
        json!(["https://auth.example.com/base/admin/"])
    );
}

#[tokio::test]
async fn with_a_second_factor_the_page_asks_for_a_code_and_the_tokens_say_aal2() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let (authenticator, _, _) = crate::mfa::enrolled(&test.app, "alice").await;
    test.app.clock.advance(std::time::Duration::from_secs(30));
    let challenge = challenge(VERIFIER);
    let mut params = request(&client_id, &challenge);
    params[3] = ("scope", "openid items:read");
    let mut browser = Browser::default();
    let page = browser.authorize(&test.app, &params).await;
    let code_page = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    assert!(
        code_page
            .body
            .contains("One-time code <input type=\"text\" name=\"otp\"")
    );
    assert!(
        !browser.cookies.contains_key("auth_session"),
        "not signed in yet"
    );

    let wrong = browser.submit_code(&test.app, &code_page, "000000").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(
        wrong
            .body
            .contains("The code is wrong or was already used.")
    );
    let code = authenticator.code(&test.app, 0);
    let back = browser.submit_code(&test.app, &wrong, &code).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let (status, tokens) = exchange(
        &test.app,
        &client_id,
        &back.redirect_query()["code"],
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    for token in ["access_token", "id_token"] {
        let claims = claims_of(tokens[token].as_str().expect("token"));
        assert_eq!(claims["acr"], "aal2", "{token}");
        assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]), "{token}");
    }

    // The challenge worked once. Its form posted again is refused for its
    // spent form token; with the token's cookie put back (a copy of the
    // browser taken before), it starts over.
    test.app.clock.advance(std::time::Duration::from_secs(30));
    let next = authenticator.code(&test.app, 0);
    let again = browser.submit_code(&test.app, &wrong, &next).await;
    assert_eq!(again.status, 403, "{}", again.body);
    let (_, token) = wrong
        .hidden_fields()
        .into_iter()
        .find(|(name, _)| name == "form_token")
        .expect("a form token");
    let mut copy = Browser::default();
    copy.cookies.insert("auth_form".into(), token);
    let again = copy.submit_code(&test.app, &wrong, &next).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(
        again
            .body
            .contains("Enter your username and password again.")
    );

    // The browser session carries the second factor to the next app.
    let mut silent = request(&client_id, &challenge);
    silent.push(("prompt", "none"));
    let answer = browser.authorize(&test.app, &silent).await;
    let (status, tokens) = exchange(
        &test.app,
        &client_id,
        &answer.redirect_query()["code"],
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["acr"],
        "aal2"
    );
}

#[tokio::test]
async fn acr_values_aal2_for_a_user_without_a_second_factor_signs_in_as_they_can() {
    let test = sign_in_app().await;
    let client_id = test.public_app().await;
    let challenge = challenge(VERIFIER);
    let mut params = request(&client_id, &challenge);
    params.push(("acr_values", "aal2"));
    let mut browser = Browser::default();
    let page = browser.authorize(&test.app, &params).await;
    let back = browser.submit(&test.app, &page, "alice", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    // Signed in, a second request with acr_values=aal2 is answered at once:
    // there is no factor to step up to.
    let again = browser.authorize(&test.app, &params).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let (status, tokens) = exchange(
        &test.app,
        &client_id,
        &again.redirect_query()["code"],
        Some(VERIFIER),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["acr"],
        "aal1"
    );
}

#[tokio::test]
async fn the_scope_email_puts_the_address_as_it_is_now_in_id_tokens_and_userinfo() {
    let mailbox = crate::mailbox::Mailbox::start();
    let test = sign_in_app_with(&mailbox.settings()).await;
    let client_id = test.public_app().await;
    let access = test.app.password_grant("alice", PASSWORD).await["access_token"]
        .as_str()
        .expect("access")
        .to_owned();
    let set_email = |email: &str| {
        let request = test
            .app
            .put("/v1/me/email")
            .bearer_auth(&access)
            .json(&json!({ "email": email }));
        send(request)
    };
    assert_eq!(set_email("alice@example.com").await.0, 200);
    let signed_in = |scope: &'static str| {
        let (app, client_id) = (&test.app, client_id.clone());
        async move {
            let challenge = challenge(VERIFIER);
            let mut params = request(&client_id, &challenge);
            params[3] = ("scope", scope);
            params.push(("prompt", "login"));
            let mut browser = Browser::default();
            let page = browser.authorize(app, &params).await;
            let back = browser.submit(app, &page, "alice", PASSWORD).await;
            let code = back.redirect_query()["code"].clone();
            let (status, tokens) = exchange(app, &client_id, &code, Some(VERIFIER)).await;
            assert_eq!(status, 200, "{tokens}");
            tokens
        }
    };
    let tokens = signed_in("openid email").await;
    let claims = claims_of(tokens["id_token"].as_str().expect("an ID token"));
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], false, "not verified yet");

    let mail = mailbox.next_to("alice@example.com", 0).await;
    let (status, _) = send(
        test.app
            .post("/v1/email/verify")
            .form(&[("token", mail.token("/v1/email/verify"))]),
    )
    .await;
    assert_eq!(status, 200);
    let userinfo = |tokens: &Value| {
        let access = tokens["access_token"].as_str().expect("access").to_owned();
        send(test.app.get("/v1/userinfo").bearer_auth(access))
    };
    let (status, info) = userinfo(&tokens).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(
        info["email_verified"], true,
        "userinfo reads it as it is now"
    );
    let claims = claims_of(
        signed_in("openid email").await["id_token"]
            .as_str()
            .expect("ID"),
    );
    assert_eq!(claims["email_verified"], true);

    // Without the scope, neither says it.
    let tokens = signed_in("openid profile").await;
    let claims = claims_of(tokens["id_token"].as_str().expect("an ID token"));
    assert!(claims.get("email").is_none(), "{claims}");
    let (_, info) = userinfo(&tokens).await;
    assert!(info.get("email").is_none(), "{info}");
    assert_eq!(info["preferred_username"], "alice");
}
