//! How a user signed in, as tokens tell it: RFC 8176 `amr` methods and the
//! RFC 9470 `acr` level.

/// The `acr` of a password alone.
pub const AAL1: &str = "aal1";
/// The `acr` of a password and a second factor.
pub const AAL2: &str = "aal2";

/// The factors of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factors {
    /// A password.
    Password,
    /// A password and a one-time code (TOTP or a recovery code).
    PasswordAndCode,
}

impl Factors {
    /// RFC 8176 methods.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Self::Password => &["pwd"],
            Self::PasswordAndCode => &["pwd", "otp", "mfa"],
        }
    }

    /// RFC 9470 level.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Password => AAL1,
            Self::PasswordAndCode => AAL2,
        }
    }

    /// Whether a second factor was given.
    pub fn is_multi(self) -> bool {
        self == Self::PasswordAndCode
    }

    /// As stored: the methods, space-separated.
    pub fn stored(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::PasswordAndCode => "pwd otp mfa",
        }
    }

    /// As read back; anything without `mfa` is a password alone.
    pub fn from_stored(amr: &str) -> Self {
        match amr.split_ascii_whitespace().any(|method| method == "mfa") {
            true => Self::PasswordAndCode,
            false => Self::Password,
        }
    }

    /// Whether these factors meet `acr` (`aal1` or `aal2`; an unknown
    /// level is met by nothing).
    pub fn meets(self, acr: &str) -> bool {
        match acr {
            AAL1 => true,
            AAL2 => self.is_multi(),
            _ => false,
        }
    }
}

/// A sign-in: its factors, and when, in milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    /// With what.
    pub factors: Factors,
    /// When.
    pub at_ms: i64,
}

impl SignedIn {
    /// As tokens say it.
    pub fn claims(&self) -> shared::token::SignIn<'static> {
        shared::token::SignIn {
            auth_time: u64::try_from(self.at_ms / 1000).unwrap_or(0),
            acr: self.factors.acr(),
            amr: self.factors.amr(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_read_back_as_stored_and_meet_their_level() {
        for factors in [Factors::Password, Factors::PasswordAndCode] {
            assert_eq!(Factors::from_stored(factors.stored()), factors);
            assert_eq!(factors.stored(), factors.amr().join(" "));
            assert!(factors.meets(AAL1));
            assert!(factors.meets(factors.acr()));
            assert!(!factors.meets("aal3"));
        }
        assert!(!Factors::Password.meets(AAL2));
    }
}
