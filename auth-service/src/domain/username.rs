use super::is_invisible_or_bidi;

/// A user name: 3 to 64 characters of any script, no control, zero-width
/// or bidi-control characters, no surrounding white space. Unique
/// case-insensitively: [`Username::key`] is what the store compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    name: String,
    key: String,
}

impl Username {
    /// Parses a name, or says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < 3 {
            return Err("must be at least 3 characters".into());
        }
        if length > 64 {
            return Err("must be at most 64 characters".into());
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if raw.chars().any(is_invisible_or_bidi) {
            return Err("must not contain zero-width or bidirectional-control characters".into());
        }
        if raw.trim() != raw {
            return Err("must not start or end with white space".into());
        }
        Ok(Self {
            name: raw.to_owned(),
            key: Self::key_of(raw),
        })
    }

    /// The comparison key of any name, parsed or not (login looks up by it).
    pub fn key_of(raw: &str) -> String {
        raw.to_lowercase()
    }

    /// The name as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The case-insensitive key the store keeps unique.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_any_script_within_the_length_are_accepted() {
        for name in ["bob", "Zoë Ångström", "用户名", "ab c", &"x".repeat(64)] {
            assert!(Username::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn invalid_names_are_refused_with_a_reason() {
        let cases = [
            ("ab", "too short"),
            (&"x".repeat(65) as &str, "too long"),
            ("bo\u{0}b", "control character"),
            ("bo\nb", "newline"),
            ("bo\u{200B}b", "zero-width space"),
            ("bo\u{202E}b", "right-to-left override"),
            ("\u{2066}bob", "bidi isolate"),
            (" bob", "leading space"),
            ("bob ", "trailing space"),
        ];
        for (name, why) in cases {
            assert!(Username::parse(name).is_err(), "{why} should be refused");
        }
    }

    #[test]
    fn the_key_ignores_case() {
        let a = Username::parse("Alice").expect("valid");
        let b = Username::parse("aLICE").expect("valid");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Alice");
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_a_username_or_refused_with_a_reason(raw in proptest::prelude::any::<String>()) {
            check(&raw)?;
        }

        #[test]
        fn likely_names_are_a_username_or_refused_with_a_reason(raw in "[ a-zA-Zé用\u{200B}\u{202E}\t]{0,70}") {
            check(&raw)?;
        }
    }

    fn check(raw: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        match Username::parse(raw) {
            Ok(name) => {
                proptest::prop_assert_eq!(name.as_str(), raw);
                proptest::prop_assert_eq!(name.key(), raw.to_lowercase());
                proptest::prop_assert_eq!(Username::parse(name.as_str()).ok(), Some(name));
            }
            Err(why) => proptest::prop_assert!(!why.is_empty()),
        }
        Ok(())
    }
}
