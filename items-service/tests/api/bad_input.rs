use crate::helpers::{send, spawn_app};
use reqwest::Method;

#[tokio::test]
async fn bad_bodies_get_a_4xx_that_says_what_was_wrong_and_write_nothing() {
    let app = spawn_app().await;
    let big = format!("{{\"price\": 1, \"pad\": \"{}\"}}", "x".repeat(17 * 1024));
    let cases: [(&str, &str, u16, &str); 6] = [
        ("application/json", "{\"price\": ", 400, "not valid JSON"),
        ("text/plain", "{\"price\": 1}", 415, "Content-Type"),
        ("application/json", &big, 413, "larger than"),
        (
            "application/json",
            "{\"price\": 1, \"colour\": \"red\"}",
            422,
            "colour",
        ),
        ("application/json", "{\"price\": \"1\"}", 422, "price"),
        ("application/json", "", 400, "empty"),
    ];
    for (route, style) in [("/v1/items/thing", "problem"), ("/item/thing", "flask")] {
        for (content_type, body, status, mentions) in cases {
            let request = if style == "flask" {
                app.jwt(Method::POST, route)
            } else {
                app.bearer(Method::PUT, route)
            };
            if style == "flask" && mentions == "price" {
                continue; // the Flask route takes numeric strings
            }
            let (got, answer) = send(
                request
                    .header("content-type", content_type)
                    .body(body.to_owned()),
            )
            .await;
            assert_eq!(got, status, "{route} {mentions}");
            let text = answer.to_string();
            assert!(text.contains(mentions), "{route}: {text}");
            let key = if style == "flask" {
                "message"
            } else {
                "detail"
            };
            assert!(!answer[key].is_null(), "{route}: {text}");
        }
        assert_eq!(
            send(app.bearer(Method::GET, route)).await.0,
            404,
            "{route} wrote something"
        );
    }
}

#[tokio::test]
async fn a_header_over_the_servers_limit_gets_431_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let response = app
        .get("/health/live")
        .header("x-filler", "f".repeat(200 * 1024))
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 431);
    }
    assert_eq!(send(app.bearer(Method::GET, "/health/live")).await.0, 200);
}

#[tokio::test]
async fn a_client_sending_its_head_a_byte_a_second_is_cut_off_while_others_are_served() {
    use std::io::{Read as _, Write as _};
    use std::time::{Duration, Instant};

    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let slow = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        let started = Instant::now();
        for byte in b"GET /health/live HTTP/1.1\r\nHost: slow\r\n"
            .iter()
            .cycle()
        {
            if stream.write_all(&[*byte]).is_err() {
                return started.elapsed();
            }
            let mut buffer = [0u8; 256];
            match stream.read(&mut buffer) {
                Ok(0) => return started.elapsed(),
                Ok(_) => return started.elapsed(), // a 408, then the close
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(950));
            assert!(started.elapsed() < Duration::from_secs(20), "never cut off");
        }
        started.elapsed()
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        send(app.bearer(Method::GET, "/health/live")).await.0,
        200,
        "others are served"
    );
    let cut_after = tokio::task::spawn_blocking(move || slow.join().expect("slow client"))
        .await
        .expect("join");
    assert!(
        cut_after >= Duration::from_secs(4) && cut_after < Duration::from_secs(10),
        "cut off after {cut_after:?} (the limit is 5 s)"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes_while_open_ones_are_served() {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::Duration;

    let builder = crate::helpers::builder().await.envs(&[
        ("ITEMS__SERVER__WORKERS", "1"),
        ("ITEMS__SERVER__MAX_CONNECTIONS_PER_WORKER", "4"),
    ]);
    let app = crate::helpers::start(builder).await;
    let address = app.address.trim_start_matches("http://").to_owned();

    let outcome = tokio::task::spawn_blocking(move || {
        let request = b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n";
        // One request on a kept-alive connection; whether a response came.
        let ask = |stream: &mut TcpStream, wait: Duration| -> bool {
            stream.set_read_timeout(Some(wait)).expect("timeout");
            stream.write_all(request).expect("write");
            let mut buffer = [0u8; 512];
            matches!(stream.read(&mut buffer), Ok(n) if buffer[..n].starts_with(b"HTTP/1.1 200"))
        };
        let connect = || TcpStream::connect(&address).expect("connect");
        let mut held: Vec<TcpStream> = (0..4).map(|_| connect()).collect();
        let all_served = held
            .iter_mut()
            .all(|stream| ask(stream, Duration::from_secs(2)));
        let mut fifth = connect();
        let fifth_served_early = ask(&mut fifth, Duration::from_millis(700));
        let held_still_served = ask(&mut held[0], Duration::from_secs(2));
        held.pop();
        let mut buffer = [0u8; 512];
        fifth
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let fifth_served_later =
            matches!(fifth.read(&mut buffer), Ok(n) if buffer[..n].starts_with(b"HTTP/1.1 200"));
        (
            all_served,
            fifth_served_early,
            held_still_served,
            fifth_served_later,
        )
    })
    .await
    .expect("join");
    assert_eq!(
        outcome,
        (true, false, true, true),
        "(4 served, 5th served at once, open ones still served, 5th served once one closed)"
    );
}
