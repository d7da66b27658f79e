//! The roof that `scripts/bench.py` measures the services against: a bare
//! actix-web server answering every GET with one fixed JSON body. No
//! authentication, store or middleware; as many workers as the services run
//! by default (two per core), so the difference is what the services add.
//!
//! ```text
//! cargo run --release -p shared --example roof -- PORT BODY
//! ```

use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(body)) = (args.next().and_then(|p| p.parse::<u16>().ok()), args.next())
    else {
        eprintln!("usage: roof PORT BODY");
        std::process::exit(2);
    };
    let body = web::Bytes::from(body);
    let workers = 2 * std::thread::available_parallelism().map_or(1, usize::from);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::get().to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .insert_header(ContentType::json())
                    .body(body)
            }
        }))
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
