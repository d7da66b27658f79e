//! A real SMTP server for the tests (mailin's, in this process): it
//! receives what the service sends through lettre and keeps each message,
//! so a test can read the link a user would click.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// One received message.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) to: Vec<String>,
    /// Headers and body as sent.
    pub(crate) raw: String,
    /// The body as a mail client shows it (quoted-printable decoded).
    pub(crate) text: String,
}

impl Mail {
    /// The first link in the body to `path`, with its query.
    pub(crate) fn link(&self, path: &str) -> String {
        let text = &self.text;
        let start = text.find(path).unwrap_or_else(|| {
            panic!("no link to {path} in:\n{}", self.raw);
        });
        let from = text[..start].rfind("http").expect("a link");
        let end = text[from..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| from + i);
        text[from..end].to_owned()
    }

    /// The `token` of the link to `path`.
    pub(crate) fn token(&self, path: &str) -> String {
        let link = self.link(path);
        link.split_once("token=").expect("a token").1.to_owned()
    }

    /// The subject line.
    pub(crate) fn subject(&self) -> &str {
        self.raw
            .lines()
            .find_map(|line| line.strip_prefix("Subject: "))
            .unwrap_or_default()
    }
}

/// The body of `raw`, decoded when it is quoted-printable (RFC 2045 6.7).
fn body_text(raw: &str) -> String {
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    if !headers.contains("Content-Transfer-Encoding: quoted-printable") {
        return body.to_owned();
    }
    let joined = body.replace("=\r\n", "");
    let mut bytes = Vec::new();
    let mut rest = joined.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        let hex = after.get(..2).and_then(|h| std::str::from_utf8(h).ok());
        match hex.map(|h| u8::from_str_radix(h, 16)) {
            Some(Ok(decoded)) if byte == b'=' => {
                bytes.push(decoded);
                rest = &after[2..];
            }
            _ => {
                bytes.push(byte);
                rest = after;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[derive(Clone)]
struct Collector {
    received: Arc<Mutex<Vec<Mail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = String::from_utf8_lossy(&self.data).into_owned();
        let mail = Mail {
            to: std::mem::take(&mut self.to),
            text: body_text(&raw),
            raw,
        };
        self.received.lock().expect("the mailbox").push(mail);
        OK
    }
}

/// The server and what it received.
pub(crate) struct Mailbox {
    /// `smtp://127.0.0.1:PORT`, for `AUTH__MAIL__SMTP_URL`.
    pub(crate) url: String,
    received: Arc<Mutex<Vec<Mail>>>,
}

impl Mailbox {
    /// A server on a free port, serving until the test process ends.
    pub(crate) fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Collector {
            received: received.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("mail.test")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            received,
        }
    }

    /// The settings that send the service's mail here.
    pub(crate) fn settings(&self) -> [(&str, &str); 2] {
        [
            ("AUTH__MAIL__SMTP_URL", self.url.as_str()),
            ("AUTH__MAIL__FROM", "Accounts <accounts@auth.test>"),
        ]
    }

    /// Everything received so far.
    pub(crate) fn all(&self) -> Vec<Mail> {
        self.received.lock().expect("the mailbox").clone()
    }

    /// The next message to `to` after the `seen` already read (waits up
    /// to ten seconds: mail leaves after the answer).
    pub(crate) async fn next_to(&self, to: &str, seen: usize) -> Mail {
        for _ in 0..1000 {
            let to_them: Vec<Mail> = self.to(to);
            if let Some(mail) = to_them.get(seen) {
                return mail.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no mail number {} to {to}", seen + 1);
    }

    /// The messages to `to`.
    pub(crate) fn to(&self, to: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|mail| mail.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }
}
