//! An email address a user gives: what SMTP can deliver to, no longer than
//! RFC 5321 allows, compared ignoring case.

/// RFC 5321 4.5.3.1.3: a path holds at most 256 octets, an address 254.
pub const MAX_EMAIL_BYTES: usize = 254;

/// A deliverable address, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks `raw`, or says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > MAX_EMAIL_BYTES {
            return Err(format!("must be at most {MAX_EMAIL_BYTES} bytes"));
        }
        // lettre's parser is what sends: what it refuses could not be mailed.
        match raw.parse::<lettre::Address>() {
            Ok(address) if address.domain().contains('.') || address.domain() == "localhost" => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err("is not an email address (name@example.com)".to_owned()),
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What addresses are compared and looked up by.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The key of any text, valid address or not (a lookup of what a
    /// request names).
    pub fn key_of(raw: &str) -> String {
        raw.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn deliverable_addresses_pass_and_keys_ignore_case() {
        let address = EmailAddress::parse("Alice.Smith+tag@Example.COM").expect("valid");
        assert_eq!(address.as_str(), "Alice.Smith+tag@Example.COM");
        assert_eq!(address.key(), "alice.smith+tag@example.com");
        assert!(EmailAddress::parse("root@localhost").is_ok());
    }

    #[test]
    fn what_cannot_be_mailed_is_refused() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "alice smith@example.com",
            "alice@exa mple.com",
            "alice@example.com\r\nBcc: eve@example.com",
            "<alice@example.com>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }
}
