//! The client's address, computed once per request by an extractor: the
//! throttle counts failed logins per address.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

/// How many proxies in front of the service append to `X-Forwarded-For`
/// (`AUTH__THROTTLE__TRUSTED_PROXY_HOPS`); app data, 0 when absent.
#[derive(Debug, Clone, Copy)]
pub struct TrustedProxyHops(pub usize);

/// The address a request came from, as the throttle counts it.
#[derive(Debug, Clone)]
pub(crate) struct ClientAddress(pub(crate) String);

impl FromRequest for ClientAddress {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let hops = req
            .app_data::<web::Data<TrustedProxyHops>>()
            .map_or(0, |hops| hops.0);
        ready(Ok(Self(client_address(req, hops))))
    }
}

/// The client's address: the TCP peer, or behind `trusted_hops` proxies the
/// entry that many places from the right of `X-Forwarded-For` (each proxy
/// appends the address it saw; entries further left are the client's word).
fn client_address(req: &HttpRequest, trusted_hops: usize) -> String {
    let peer = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    if trusted_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(trusted_hops)
        .and_then(|index| forwarded.get(index))
        .and_then(|entry| entry.parse::<IpAddr>().ok())
        .map_or(peer, |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(forwarded: &[&str]) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr("10.0.0.9:4000".parse().expect("addr"));
        for value in forwarded {
            req = req.append_header(("x-forwarded-for", *value));
        }
        req.to_http_request()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client_address(&request(&["1.2.3.4"]), 0), "10.0.0.9");
    }

    #[test]
    fn behind_one_proxy_the_last_entry_is_the_client() {
        let req = request(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(client_address(&req, 1), "1.2.3.4");
    }

    #[test]
    fn behind_two_proxies_the_second_entry_from_the_right_is_the_client() {
        let req = request(&["6.6.6.6", "1.2.3.4, 10.1.1.1"]);
        assert_eq!(client_address(&req, 2), "1.2.3.4");
    }

    #[test]
    fn a_missing_or_bogus_entry_falls_back_to_the_peer() {
        assert_eq!(client_address(&request(&[]), 1), "10.0.0.9");
        assert_eq!(client_address(&request(&["not-an-ip"]), 1), "10.0.0.9");
    }
}
