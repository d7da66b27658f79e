use std::collections::HashSet;
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};

/// Fewer characters than this is refused (OWASP ASVS 2.1.1, NIST SP
/// 800-63B: 8 or more).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// More characters than this is refused, to bound hashing work (NIST asks
/// that at least 64 be allowed). Characters, as the OpenAPI document's
/// `maxLength` counts them.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// No password this policy allows is longer (4 bytes a character at most):
/// a login with a longer one is refused before hashing.
pub const MAX_PASSWORD_BYTES: usize = 4 * MAX_PASSWORD_CHARS;

/// The 8-byte-and-longer entries of the 20,000 most common passwords list
/// Django ships (by Royce Williams), lower-cased.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// A password a user chose: 8 to 256 characters, any script, not a common
/// password, not the user name.
#[derive(Debug)]
pub struct NewPassword(SecretString);

impl NewPassword {
    /// Checks `raw` for the user `username`, or says what is wrong.
    pub fn parse(raw: SecretString, username: &str) -> Result<Self, String> {
        let password = raw.expose_secret();
        let characters = password.chars().count();
        if characters < MIN_PASSWORD_CHARS {
            return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if characters > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        let lowered = password.to_lowercase();
        if COMMON_PASSWORDS.contains(lowered.as_str()) {
            return Err("is too common; choose another".into());
        }
        if lowered == username.to_lowercase() {
            return Err("must differ from the username".into());
        }
        Ok(Self(raw))
    }

    /// The password, for hashing.
    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(password: &str) -> Result<NewPassword, String> {
        NewPassword::parse(SecretString::from(password), "alice")
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(COMMON_PASSWORDS.len() > 8000);
    }

    #[test]
    fn strong_passwords_of_any_script_are_accepted() {
        for password in [
            "correct horse battery",
            "пароль-надёжный-42",
            "🔑🔑🔑🔑🔑🔑🔑🔑",
        ] {
            assert!(parse(password).is_ok(), "{password}");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        let cases = [
            ("short12", "7 characters"),
            ("🔑🔑🔑🔑", "4 characters (16 bytes)"),
            (long.as_str(), "over 256 characters"),
            ("password", "common"),
            ("PassWord1", "common, any case"),
            ("qwertyuiop", "common"),
            ("Alice-not", "fine"),
        ];
        for (password, why) in cases {
            let refused = parse(password).is_err();
            assert_eq!(refused, why != "fine", "{why}: {password}");
        }
        assert!(NewPassword::parse(SecretString::from("alice-bob"), "ALICE-BOB").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_a_password_or_refused_with_a_reason(raw in proptest::prelude::any::<String>()) {
            match NewPassword::parse(SecretString::from(raw.clone()), "someone") {
                Ok(password) => {
                    let secret = password.into_secret();
                    proptest::prop_assert_eq!(secret.expose_secret(), raw.as_str());
                }
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
        }
    }
}
