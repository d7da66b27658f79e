//! Login timing parity: the median latency of a wrong password for a real
//! user against that of an unknown user, interleaved in one run so machine
//! noise hits both alike. Run: `cargo bench -p auth-service --bench login_parity`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use auth_service::settings::Settings;
use auth_service::startup::Application;
use serde_json::json;

const ROUNDS: usize = 200;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/auth.db", dir.path().display());
    let env: HashMap<String, String> = [
        ("AUTH__SERVER__PORT", "0"),
        ("AUTH__DATABASE__URL", url.as_str()),
        ("AUTH__THROTTLE__MAX_FAILURES_PER_ACCOUNT", "1000000"),
        ("AUTH__THROTTLE__MAX_FAILURES_PER_CLIENT", "1000000"),
        ("JWT_SECRET", "bench-secret-bench-secret-bench-secret!"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = Application::build(
        Settings::load_from(&env).expect("settings"),
        shared::clock::Clock::system(),
    )
    .await
    .expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let register = json!({ "username": "alice", "password": "correct horse battery staple" });
    let created = client
        .post(format!("{base}/v1/users"))
        .json(&register)
        .send()
        .await;
    assert_eq!(created.expect("register").status(), 201);

    let mut timings: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let users = ["alice", "nobody-by-this-name"];
    for round in 0..ROUNDS * 2 {
        let which = round % 2;
        let body = json!({ "username": users[which], "password": "not the password" });
        let started = Instant::now();
        let response = client.post(format!("{base}/auth")).json(&body).send().await;
        let elapsed = started.elapsed();
        assert_eq!(response.expect("login").status(), 401);
        if round >= 20 {
            timings[which].push(elapsed);
        }
    }
    let wrong_password = median(&mut timings[0]);
    let unknown_user = median(&mut timings[1]);
    let ratio = unknown_user.as_secs_f64() / wrong_password.as_secs_f64();
    println!(
        "login failure medians over {} requests each (POST /auth):",
        timings[0].len()
    );
    println!(
        "  wrong password, existing user: {:.2} ms",
        wrong_password.as_secs_f64() * 1e3
    );
    println!(
        "  unknown user:                  {:.2} ms",
        unknown_user.as_secs_f64() * 1e3
    );
    println!("  ratio unknown / wrong password: {ratio:.3} (target within 0.90..1.10)");
}
