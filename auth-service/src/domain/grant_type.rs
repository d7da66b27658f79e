//! The OAuth 2.0 grant types this service knows (RFC 6749 4, 6).

/// A `grant_type` this service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// RFC 6749 4.1 with PKCE: a code from the sign-in page.
    AuthorizationCode,
    /// RFC 6749 4.3: a user's name and password.
    Password,
    /// RFC 6749 6: a refresh token.
    RefreshToken,
    /// RFC 6749 4.4: a service client's own token.
    ClientCredentials,
}

impl GrantType {
    /// Every grant type, in the order the metadata lists them.
    pub const ALL: [Self; 4] = [
        Self::AuthorizationCode,
        Self::Password,
        Self::RefreshToken,
        Self::ClientCredentials,
    ];

    /// The grant type named `name`, if it is one of ours (names are
    /// case-sensitive, RFC 6749 3.1).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grant| grant.as_str() == name)
    }

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Password => "password",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GrantType;

    #[test]
    fn grant_types_parse_by_their_exact_name() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
        }
        for unknown in ["Password", "implicit", "", "refresh-token"] {
            assert_eq!(GrantType::parse(unknown), None, "{unknown}");
        }
    }
}
