//! The claims our access tokens carry.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::{Name, once, remember};

/// The payload of an access token (RFC 7519 registered claims plus ours).
///
/// Unknown claims from other issuers are ignored; every claim listed here
/// but `sid`, `client_id` and how the user signed in (`auth_time`, `acr`,
/// `amr`) is required, with the JSON type it has here.
///
/// ```
/// use shared::token::{Audience, Claims};
///
/// let claims = Claims {
///     iss: "auth-service".into(),
///     sub: "7f1c2b9e-0000-4000-8000-000000000000".into(),
///     aud: Audience::one("items-service"),
///     exp: 1_900_000_900,
///     nbf: 1_900_000_000,
///     iat: 1_900_000_000,
///     jti: "a-unique-id".into(),
///     scope: "items:read items:write".into(),
///     username: "alice".into(),
///     sid: None,
///     client_id: None,
///     auth_time: Some(1_900_000_000),
///     acr: Some("aal2".into()),
///     amr: Some(vec!["pwd".into(), "otp".into(), "mfa".into()]),
/// };
/// assert!(claims.has_scope("items:write"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// Issuer: the name auth-service is configured with, checked exactly.
    pub iss: String,
    /// Subject: the user's id (a UUID), as a string.
    pub sub: String,
    /// Audience: the service(s) the token is meant for.
    pub aud: Audience,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Not valid before, seconds since the Unix epoch.
    pub nbf: u64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// A unique id for this token.
    pub jti: String,
    /// Space-separated scopes (RFC 8693 style), e.g. `items:read items:write`.
    pub scope: String,
    /// The user's name, for display and audit fields.
    pub username: String,
    /// The session (login) the token belongs to, when it has one: the
    /// issuer can end it, and with it the token, before `exp` (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The client the token was issued to (RFC 9068 2.2): set for a service
    /// client's own token (client credentials), where `sub` is the client too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When the user signed in, seconds since the Unix epoch (OpenID
    /// Connect Core 2): refreshes keep it. None in a client's own token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// How strongly (RFC 9470): `aal1` a password, `aal2` with a second
    /// factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// How (RFC 8176): `["pwd"]`, or `["pwd", "otp", "mfa"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

/// One pass over the payload: every claim above required with its type,
/// unknown claims skipped, and any member name given twice refused (RFC 7519
/// 4), known or not, however it is escaped.
impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let (mut iss, mut sub, mut aud, mut jti, mut scope, mut username) =
            (None, None, None, None, None, None);
        let (mut sid, mut client_id) = (None, None);
        let (mut auth_time, mut acr, mut amr) = (None, None, None);
        let (mut exp, mut nbf, mut iat) = (None, None, None);
        let mut others: Vec<Name<'de>> = Vec::new();
        while let Some(name) = map.next_key::<Name<'de>>()? {
            match name.0.as_ref() {
                "iss" => once(&mut iss, map.next_value()?)?,
                "sub" => once(&mut sub, map.next_value()?)?,
                "aud" => once(&mut aud, map.next_value()?)?,
                // Rounded to the stricter side: expiry earlier, validity later.
                "exp" => once(&mut exp, map.next_value::<NumericDate<false>>()?.0)?,
                "nbf" => once(&mut nbf, map.next_value::<NumericDate<true>>()?.0)?,
                "iat" => once(&mut iat, map.next_value::<NumericDate<false>>()?.0)?,
                "jti" => once(&mut jti, map.next_value()?)?,
                "scope" => once(&mut scope, map.next_value()?)?,
                "username" => once(&mut username, map.next_value()?)?,
                "sid" => once(&mut sid, map.next_value()?)?,
                "client_id" => once(&mut client_id, map.next_value()?)?,
                "auth_time" => once(&mut auth_time, map.next_value::<NumericDate<false>>()?.0)?,
                "acr" => once(&mut acr, map.next_value()?)?,
                "amr" => once(&mut amr, map.next_value()?)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    remember(&mut others, name)?;
                }
            }
        }
        let missing = de::Error::missing_field;
        Ok(Claims {
            iss: iss.ok_or_else(|| missing("iss"))?,
            sub: sub.ok_or_else(|| missing("sub"))?,
            aud: aud.ok_or_else(|| missing("aud"))?,
            exp: exp.ok_or_else(|| missing("exp"))?,
            nbf: nbf.ok_or_else(|| missing("nbf"))?,
            iat: iat.ok_or_else(|| missing("iat"))?,
            jti: jti.ok_or_else(|| missing("jti"))?,
            scope: scope.ok_or_else(|| missing("scope"))?,
            username: username.ok_or_else(|| missing("username"))?,
            sid,
            client_id,
            auth_time,
            acr,
            amr,
        })
    }
}

/// A NumericDate claim (RFC 7519 2): seconds since the epoch, which may be
/// non-integer; a fraction is rounded up when `UP`, else down. Anything but
/// a finite number from 0 to `u64::MAX` is refused.
struct NumericDate<const UP: bool>(u64);

impl<'de, const UP: bool> Deserialize<'de> for NumericDate<UP> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumericDateVisitor::<UP>)
    }
}

struct NumericDateVisitor<const UP: bool>;

impl<const UP: bool> Visitor<'_> for NumericDateVisitor<UP> {
    type Value = NumericDate<UP>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("seconds since the epoch")
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Self::Value, E> {
        Ok(NumericDate(seconds))
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Self::Value, E> {
        u64::try_from(seconds)
            .map(NumericDate)
            .map_err(|_| E::custom("a NumericDate before 1970"))
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<Self::Value, E> {
        let rounded = if UP { seconds.ceil() } else { seconds.floor() };
        // 2^64 is exact in f64; below it every whole value fits a u64.
        if rounded.is_finite() && (0.0..18_446_744_073_709_551_616.0).contains(&rounded) {
            Ok(NumericDate(rounded as u64))
        } else {
            Err(E::custom("a NumericDate out of range"))
        }
    }
}

impl Claims {
    /// The granted scopes, in token order.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_ascii_whitespace()
    }

    /// Whether `scope` is among the granted scopes (exact match).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|granted| granted == scope)
    }
}

/// The `aud` claim: one string or an array of strings (RFC 7519 4.1.3).
/// A single audience is written as a plain string.
///
/// ```
/// use shared::token::Audience;
/// assert!(Audience::one("items-service").contains("items-service"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience(Vec<String>);

impl Audience {
    /// An audience of one service.
    pub fn one(audience: impl Into<String>) -> Self {
        Self(vec![audience.into()])
    }

    /// An audience of several services.
    pub fn many<I, S>(audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(audiences.into_iter().map(Into::into).collect())
    }

    /// Whether `audience` is one of the token's audiences.
    pub fn contains(&self, audience: &str) -> bool {
        self.0.iter().any(|a| a == audience)
    }

    /// The audiences, in token order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [single] => serializer.serialize_str(single),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;

        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Audience, E> {
                Ok(Audience::one(value))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut audiences = Vec::new();
                while let Some(audience) = seq.next_element::<String>()? {
                    audiences.push(audience);
                }
                Ok(Audience(audiences))
            }
        }

        deserializer.deserialize_any(AudienceVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_a_repeated_member_is_refused() {
        let claims = Claims {
            iss: "i".into(),
            sub: "s".into(),
            aud: Audience::one("a"),
            exp: 2,
            nbf: 1,
            iat: 1,
            jti: "j".into(),
            scope: "x".into(),
            username: "u".into(),
            sid: None,
            client_id: None,
            auth_time: None,
            acr: None,
            amr: None,
        };
        let json = serde_json::to_string(&claims).expect("json");
        assert!(!json.contains("sid"), "{json}");
        assert_eq!(
            serde_json::from_str::<Claims>(&json).ok(),
            Some(claims.clone())
        );
        let in_session = Claims {
            sid: Some("family-1".into()),
            auth_time: Some(1),
            acr: Some("aal2".into()),
            amr: Some(vec!["pwd".into(), "otp".into(), "mfa".into()]),
            ..claims.clone()
        };
        let with_sid = serde_json::to_string(&in_session).expect("json");
        assert_eq!(
            serde_json::from_str::<Claims>(&with_sid).ok(),
            Some(in_session)
        );
        let repeated = format!("{},\"iss\":\"other\"}}", &json[..json.len() - 1]);
        let error = serde_json::from_str::<Claims>(&repeated).expect_err("duplicate");
        assert!(super::super::json::is_duplicate_member(&error), "{error}");
        let missing = serde_json::from_str::<Claims>("{}").expect_err("missing");
        assert!(!super::super::json::is_duplicate_member(&missing));
    }

    #[test]
    fn a_single_audience_is_written_as_a_string_and_read_from_either_form() {
        assert_eq!(
            serde_json::to_string(&Audience::one("x")).ok().as_deref(),
            Some("\"x\"")
        );
        let from_array: Audience = serde_json::from_str(r#"["x","y"]"#).expect("array");
        assert!(from_array.contains("y"));
        assert!(serde_json::from_str::<Audience>("42").is_err());
    }
}
