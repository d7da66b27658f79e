//! Step-up (RFC 9470): what a route, or a scope, needs of how the user
//! signed in. A token that falls short is refused with 401
//! `insufficient_user_authentication`, naming `acr_values` and `max_age`, so
//! that the client can send the user back to sign in as asked (the
//! authorization endpoint takes the same parameters).
//!
//! Policy: an `acr` requirement is met by that value; for NIST's levels
//! (`aal1`, `aal2`, `aal3`) by that level or a higher one. A `max_age` is
//! met by an `auth_time` no older than that many seconds. A token without
//! `acr` or `auth_time` (a service client's) meets neither.

use crate::token::Claims;

/// A requirement on how the user signed in; empty, it asks for nothing.
///
/// ```
/// use shared::auth::StepUp;
///
/// let writes = StepUp::default().acr("aal2").max_age(600);
/// assert_eq!(writes.challenge_parameters(), r#"acr_values="aal2", max_age="600""#);
/// assert!(StepUp::from_settings("", 0).is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepUp {
    acr: Option<String>,
    max_age: Option<u64>,
}

impl StepUp {
    /// The token's `acr` must be `acr` (or, for `aalN`, a higher level).
    /// `acr` must be a plain token (letters, digits, `.`, `:`, `-`, `_`).
    pub fn acr(self, acr: &str) -> Self {
        Self {
            acr: Some(acr.to_owned()),
            ..self
        }
    }

    /// The sign-in must be at most `seconds` old.
    pub fn max_age(self, seconds: u64) -> Self {
        Self {
            max_age: Some(seconds),
            ..self
        }
    }

    /// From two settings: an empty `acr` and a zero `max_age` ask for
    /// nothing.
    pub fn from_settings(acr: &str, max_age_seconds: u64) -> Self {
        let acr = acr.trim();
        Self {
            acr: (!acr.is_empty()).then(|| acr.to_owned()),
            max_age: (max_age_seconds > 0).then_some(max_age_seconds),
        }
    }

    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.acr.is_none() && self.max_age.is_none()
    }

    /// Whether a token with these claims meets it at `now` (seconds).
    pub fn is_met_by(&self, claims: &Claims, now: u64) -> bool {
        let acr_met = self
            .acr
            .as_deref()
            .is_none_or(|needed| claims.acr.as_deref().is_some_and(|acr| meets(acr, needed)));
        let age_met = self.max_age.is_none_or(|max_age| {
            claims
                .auth_time
                .is_some_and(|auth_time| now.saturating_sub(auth_time) <= max_age)
        });
        acr_met && age_met
    }

    /// The RFC 9470 3 parameters of its challenge.
    pub fn challenge_parameters(&self) -> String {
        let acr = self.acr.as_ref().map(|acr| format!("acr_values=\"{acr}\""));
        let age = self.max_age.map(|seconds| format!("max_age=\"{seconds}\""));
        acr.into_iter().chain(age).collect::<Vec<_>>().join(", ")
    }

    /// What the refusal says.
    pub(super) fn description(&self) -> String {
        match (&self.acr, self.max_age) {
            (Some(acr), Some(seconds)) => format!(
                "this request needs a sign-in at level {acr} within the last {seconds} seconds"
            ),
            (Some(acr), None) => format!("this request needs a sign-in at level {acr}"),
            (None, Some(seconds)) => {
                format!("this request needs a sign-in within the last {seconds} seconds")
            }
            (None, None) => "this request needs a stronger sign-in".to_owned(),
        }
    }
}

/// Whether `acr` meets `needed`: the same value, or a higher NIST level.
fn meets(acr: &str, needed: &str) -> bool {
    let level = |value: &str| value.strip_prefix("aal")?.parse::<u8>().ok();
    match (level(acr), level(needed)) {
        (Some(have), Some(need)) => have >= need,
        _ => acr == needed,
    }
}

/// Step-up by scope, registered as `web::Data<StepUpPolicy>`: a route whose
/// extractor requires one of these scopes ([`super::Authorized`]) requires
/// its step-up too. (A route may also carry a [`StepUp`] as route data, for
/// any caller of it.)
///
/// ```
/// use shared::auth::{StepUp, StepUpPolicy};
///
/// let policy = StepUpPolicy::default().require("items:write", StepUp::default().acr("aal2"));
/// assert!(policy.for_scope("items:write").is_some());
/// assert!(policy.for_scope("items:read").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct StepUpPolicy {
    by_scope: Vec<(String, StepUp)>,
}

impl StepUpPolicy {
    /// Requires `step_up` of every token used for `scope` (nothing if empty).
    pub fn require(mut self, scope: &str, step_up: StepUp) -> Self {
        if !step_up.is_empty() {
            self.by_scope.push((scope.to_owned(), step_up));
        }
        self
    }

    /// What `scope` requires, if anything.
    pub fn for_scope(&self, scope: &str) -> Option<&StepUp> {
        self.by_scope
            .iter()
            .find(|(name, _)| name == scope)
            .map(|(_, step_up)| step_up)
    }

    /// Whether it requires nothing.
    pub fn is_empty(&self) -> bool {
        self.by_scope.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Audience;

    fn claims(acr: Option<&str>, auth_time: Option<u64>) -> Claims {
        Claims {
            iss: "i".into(),
            sub: "s".into(),
            aud: Audience::one("a"),
            exp: 2_000,
            nbf: 0,
            iat: 0,
            jti: "j".into(),
            scope: "x".into(),
            username: "u".into(),
            sid: None,
            client_id: None,
            auth_time,
            acr: acr.map(str::to_owned),
            amr: None,
        }
    }

    #[test]
    fn levels_are_met_by_themselves_and_higher_ones_ages_by_recent_sign_ins() {
        let aal2 = StepUp::default().acr("aal2");
        assert!(aal2.is_met_by(&claims(Some("aal2"), None), 0));
        assert!(aal2.is_met_by(&claims(Some("aal3"), None), 0));
        assert!(!aal2.is_met_by(&claims(Some("aal1"), None), 0));
        assert!(
            !aal2.is_met_by(&claims(None, None), 0),
            "no acr: a client's token"
        );
        let custom = StepUp::default().acr("urn:example:strong");
        assert!(custom.is_met_by(&claims(Some("urn:example:strong"), None), 0));
        assert!(!custom.is_met_by(&claims(Some("aal3"), None), 0));

        let recent = StepUp::default().max_age(600);
        assert!(recent.is_met_by(&claims(None, Some(1_000)), 1_600));
        assert!(!recent.is_met_by(&claims(None, Some(1_000)), 1_601));
        assert!(!recent.is_met_by(&claims(None, None), 0));
        assert!(StepUp::default().is_met_by(&claims(None, None), 0));
    }
}
