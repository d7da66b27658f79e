/// An item's name: 1 to 128 characters of any script, taken from the path
/// after percent-decoding; control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemName(String);

impl ItemName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 128;

    /// Parses a name, or says what is wrong with it.
    pub fn parse(raw: String) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_any_script_up_to_128_characters_are_accepted() {
        for name in ["item1", "chaise longue", "椅子", "ü/ß+%", &"é".repeat(128)] {
            assert!(ItemName::parse(name.to_owned()).is_ok(), "{name}");
        }
    }

    #[test]
    fn invalid_names_are_refused_with_a_reason() {
        let cases = [
            (String::new(), "empty"),
            ("x".repeat(129), "129 characters"),
            ("a\u{0}b".to_owned(), "NUL"),
            ("a\tb".to_owned(), "tab"),
            ("a\u{7f}".to_owned(), "DEL"),
            ("a\u{85}".to_owned(), "C1 control"),
        ];
        for (name, why) in cases {
            assert!(ItemName::parse(name).is_err(), "{why} should be refused");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_an_item_name_or_refused_with_a_reason(raw in proptest::prelude::any::<String>()) {
            match ItemName::parse(raw.clone()) {
                Ok(name) => {
                    proptest::prop_assert_eq!(name.as_str(), raw.as_str());
                    proptest::prop_assert!(ItemName::parse(name.as_str().to_owned()).is_ok());
                }
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
        }
    }
}
