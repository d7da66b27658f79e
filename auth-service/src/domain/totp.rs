//! TOTP (RFC 6238) as every authenticator app reads it: HMAC-SHA-1, six
//! digits, 30-second steps, a base32 secret in an `otpauth://` URI; and the
//! recovery codes that stand in for it.
//!
//! Policy: a code is accepted for the current step and one step either
//! side (RFC 6238 5.2 allows for clock drift and typing time), and only for
//! a step after the last one accepted, so no code works twice.

use hmac::{Hmac, Mac as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;

/// Seconds per step.
pub const PERIOD_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Secret length: 160 bits, what RFC 4226 4 recommends for HMAC-SHA-1.
pub const SECRET_BYTES: usize = 20;
/// Steps accepted on either side of the current one.
const DRIFT_STEPS: u64 = 1;

/// The step `unix_seconds` falls in.
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / PERIOD_SECONDS
}

/// RFC 4226 5.3: the HOTP value of `counter`, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: usize) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let modulus = 10_u64.pow(u32::try_from(digits).unwrap_or(6));
    format!("{:0digits$}", u64::from(binary) % modulus)
}

/// The step whose code `code` is, near `unix_seconds` and after
/// `last_step`; `None` when it is none of them.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_step: Option<u64>,
) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    let mut found = None;
    // Every candidate is computed and compared, so the time taken says
    // nothing about which one matched.
    for step in now.saturating_sub(DRIFT_STEPS)..=now + DRIFT_STEPS {
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(hotp(secret, step, DIGITS).as_bytes(), code.as_bytes())
                .into();
        if matches && last_step.is_none_or(|last| step > last) {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32, no padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The `otpauth://` URI of Google Authenticator's Key Uri Format, which
/// every app reads: `issuer` names the service, `account` the user.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    // Everything but unreserved characters escaped (a space as %20).
    const PART: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let escape = |text| utf8_percent_encode(text, PART).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECONDS}",
        escape(issuer),
        escape(account),
        base32(secret),
        escape(issuer),
    )
}

/// How a recovery code is written: ten characters of a base32 alphabet
/// without look-alikes, in two groups (`k7qm2-xr4tw`), about 50 bits.
pub fn recovery_code(random: &[u8; 10]) -> String {
    const ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let mut code = String::with_capacity(11);
    for (i, byte) in random.iter().enumerate() {
        if i == 5 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(byte & 31)]));
    }
    code
}

/// A recovery code as typed, in the form it was issued: lower case, with
/// its dash; `None` when it cannot be one.
pub fn normalized_recovery_code(typed: &str) -> Option<String> {
    let letters: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if letters.len() != 10 || !letters.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(format!("{}-{}", &letters[..5], &letters[5..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, the SHA-1 rows: the 20-byte ASCII secret, eight digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(secret, step_at(time), 8), code, "T = {time}");
        }
    }

    /// RFC 4226 Appendix D: six digits, counters 0 to 9.
    #[test]
    fn rfc_4226_test_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), *code);
        }
    }

    #[test]
    fn a_code_matches_its_step_and_neighbours_once_each() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let code = hotp(secret, step_at(now), DIGITS);
        assert_eq!(matching_step(secret, &code, now, None), Some(step_at(now)));
        assert_eq!(
            matching_step(secret, &code, now + 30, None),
            Some(step_at(now))
        );
        assert_eq!(matching_step(secret, &code, now + 60, None), None);
        assert_eq!(
            matching_step(secret, &code, now, Some(step_at(now))),
            None,
            "spent"
        );
        let earlier = hotp(secret, step_at(now) - 1, DIGITS);
        assert_eq!(
            matching_step(secret, &earlier, now, Some(step_at(now))),
            None,
            "a step before the last one accepted"
        );
        assert_eq!(matching_step(secret, "12345", now, None), None);
        assert_eq!(matching_step(secret, "12a456", now, None), None);
    }

    /// RFC 4648 10.
    #[test]
    fn base32_as_rfc_4648_without_padding() {
        for (bytes, text) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(bytes.as_bytes()), text);
        }
    }

    #[test]
    fn the_uri_escapes_its_labels() {
        let uri = otpauth_uri("auth service", "josé@x", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/auth%20service:jos%C3%A9%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=auth%20service&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_read_back_as_typed() {
        let code = recovery_code(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 31]);
        assert_eq!(code, "23456-789az");
        assert_eq!(normalized_recovery_code(" 23456 789AZ "), Some(code));
        assert_eq!(normalized_recovery_code("2345-6789"), None);
    }
}
