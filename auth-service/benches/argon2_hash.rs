//! argon2id alone, with the configured default parameters, on every core at
//! once (one hashing thread per core, as the service runs them): hashes per
//! second, and the median time of one hash. `scripts/bench.py` compares the
//! login rate under a flood with this. Run:
//! `cargo bench -p auth-service --bench argon2_hash`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_service::passwords::PasswordHasher;
use auth_service::settings::Settings;

const ROUND: Duration = Duration::from_secs(4);

#[tokio::main]
async fn main() {
    let env = HashMap::from([("JWT_SECRET".to_owned(), "x".repeat(32))]);
    let settings = Settings::load_from(&env).expect("default settings");
    let hasher = Arc::new(PasswordHasher::new(&settings.passwords).expect("hasher"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let workers: Vec<_> = (0..cores)
        .map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while started.elapsed() < ROUND {
                    let one = Instant::now();
                    hasher
                        .hash("bench-password-for-load".to_owned().into())
                        .await
                        .expect("hash");
                    samples.push(one.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples: Vec<Duration> = Vec::new();
    for worker in workers {
        samples.extend(worker.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    samples.sort();
    println!(
        "argon2id m={} t={} p={} on {cores} cores: {:.1} hashes/s, median {:.2} ms per hash over {} hashes",
        settings.passwords.memory_kib,
        settings.passwords.iterations,
        settings.passwords.parallelism,
        samples.len() as f64 / elapsed,
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples.len()
    );
}
