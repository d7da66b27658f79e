//! User names by RFC 8265's UsernameCaseMapped profile (PRECIS), as the
//! `precis-profiles` crate implements it with the Unicode data: width
//! mapping (`ｒｏｏｔ` is `root`), NFC (a decomposed `josé` is the composed
//! one), and no spaces, symbols, control, invisible or compatibility
//! characters (`ㅤ`, the Hangul filler, is refused). The name is kept as
//! written, width-mapped and normalised (UsernameCasePreserved); the key the
//! store keeps unique is the case-mapped form.
//!
//! Beyond RFC 8265, a name that mixes scripts the way spoofs do is refused
//! by UTS #39's restriction levels (`unicode-security`): Latin with Cyrillic
//! or Greek (`rооt` with Cyrillic `о`) is, Latin with one other script (or
//! with Han and Japanese kana) is not.
//!
//! Names stored before these rules keep working: login looks a name up by
//! its new key and then by the key it had (the lower-cased name), so a
//! stored name the new rules refuse can still sign in, and only a new
//! registration is held to them.

use std::borrow::Cow;

use precis_core::Error as PrecisError;
use precis_core::profile::Profile as _;
use precis_profiles::{UsernameCaseMapped, UsernameCasePreserved};
use unicode_security::{GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

/// The shortest and longest name, in characters.
const LENGTH: std::ops::RangeInclusive<usize> = 3..=64;

/// A user name: 3 to 64 characters as RFC 8265 allows them, of one script
/// (or a combination UTS #39 calls moderately restrictive). Unique
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
        if length < *LENGTH.start() {
            return Err(format!("must be at least {} characters", LENGTH.start()));
        }
        if length > *LENGTH.end() {
            return Err(format!("must be at most {} characters", LENGTH.end()));
        }
        let name = UsernameCasePreserved::new()
            .enforce(raw)
            .map_err(refusal)?
            .into_owned();
        let key = UsernameCaseMapped::new()
            .enforce(raw)
            .map_err(refusal)?
            .into_owned();
        if !LENGTH.contains(&name.chars().count()) {
            return Err(format!(
                "must be {} to {} characters once normalised",
                LENGTH.start(),
                LENGTH.end()
            ));
        }
        if mixes_scripts_confusably(&name) {
            return Err(
                "must not mix scripts that look alike (such as Latin with Cyrillic or \
                        Greek): write it in one script"
                    .into(),
            );
        }
        Ok(Self { name, key })
    }

    /// The keys a name given at login may be stored under: its key by the
    /// rules above, then the lower-cased name (the key of names stored
    /// before them) when that differs.
    pub fn lookup_keys(raw: &str) -> Vec<String> {
        let legacy = raw.to_lowercase();
        match UsernameCaseMapped::new().enforce(raw) {
            Ok(key) if key != legacy => vec![key.into_owned(), legacy],
            _ => vec![legacy],
        }
    }

    /// The comparison key of any name, parsed or not (the admin list's
    /// prefix search, the throttle).
    pub fn key_of(raw: &str) -> String {
        UsernameCaseMapped::new()
            .enforce(raw)
            .map_or_else(|_| raw.to_lowercase(), Cow::into_owned)
    }

    /// The name as the user wrote it (width-mapped, NFC).
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The case-insensitive key the store keeps unique.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Why PRECIS refused a name, naming the character by its code point only
/// (an invisible one would not show).
fn refusal(error: PrecisError) -> String {
    match error {
        PrecisError::BadCodepoint(info) => format!(
            "must not contain U+{:04X}: a name is letters, digits and punctuation, with no \
             spaces, symbols, invisible or compatibility characters",
            info.cp
        ),
        _ => "is not a valid user name (RFC 8265: letters, digits and punctuation, with no \
              spaces, and right-to-left text kept apart from left-to-right)"
            .into(),
    }
}

/// UTS #39: the name's letters are less than moderately restrictive.
/// Punctuation the identifier profile leaves out (`@`, `.`) has no script
/// of its own and is left out of the test.
fn mixes_scripts_confusably(name: &str) -> bool {
    let letters: String = name
        .chars()
        .filter(|c| GeneralSecurityProfile::identifier_allowed(*c))
        .collect();
    !letters
        .as_str()
        .check_restriction_level(RestrictionLevel::ModeratelyRestrictive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_any_script_within_the_length_are_accepted() {
        for name in [
            "bob",
            "Zoë_Ångström",
            "用户名",
            "alice@example.com",
            "jean-luc.picard",
            "Ωμέγα",
            "ユーザー名",
            "山田taro",
            &"x".repeat(64),
        ] {
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
            ("ab c", "a space"),
            ("\u{3164}\u{3164}\u{3164}", "Hangul fillers, blank-looking"),
            ("r\u{43e}\u{43e}t", "Latin with Cyrillic о"),
            ("p\u{3b1}ypal", "Latin with Greek α"),
            ("bob\u{2122}", "a compatibility character (™)"),
        ];
        for (name, why) in cases {
            let refused = Username::parse(name);
            assert!(refused.is_err(), "{why} should be refused");
            let reason = refused.expect_err("refused");
            assert!(!reason.contains(name) || name.is_ascii(), "{why}: {reason}");
        }
    }

    #[test]
    fn width_case_and_normalisation_give_one_key() {
        let root = Username::parse("root").expect("valid");
        for same in ["ROOT", "\u{ff52}\u{ff4f}\u{ff4f}\u{ff54}", "Root"] {
            assert_eq!(
                Username::parse(same).expect(same).key(),
                root.key(),
                "{same}"
            );
        }
        let composed = Username::parse("jos\u{e9}").expect("valid");
        let decomposed = Username::parse("jose\u{301}").expect("valid");
        assert_eq!(composed.key(), decomposed.key());
        assert_eq!(decomposed.as_str(), "jos\u{e9}", "stored composed");
        let fullwidth = Username::parse("\u{ff32}\u{ff4f}\u{ff4f}\u{ff54}").expect("valid");
        assert_eq!(fullwidth.as_str(), "Root", "stored width-mapped, case kept");
    }

    #[test]
    fn a_stored_name_is_found_by_its_new_key_and_the_old_one() {
        assert_eq!(Username::lookup_keys("Alice"), ["alice"]);
        assert_eq!(
            Username::lookup_keys("jose\u{301}"),
            ["jos\u{e9}", "jose\u{301}"]
        );
        assert_eq!(Username::lookup_keys("Zoë Ångström"), ["zoë ångström"]);
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_a_username_or_refused_with_a_reason(raw in proptest::prelude::any::<String>()) {
            check(&raw)?;
        }

        #[test]
        fn likely_names_are_a_username_or_refused_with_a_reason(raw in "[ a-zA-Zé用\u{200B}\u{202E}\u{43e}\t]{0,70}") {
            check(&raw)?;
        }
    }

    fn check(raw: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        match Username::parse(raw) {
            Ok(name) => {
                proptest::prop_assert_eq!(name.key(), Username::key_of(raw));
                proptest::prop_assert_eq!(Username::parse(name.as_str()).ok(), Some(name.clone()));
                proptest::prop_assert!(Username::lookup_keys(raw).contains(&name.key().to_owned()));
            }
            Err(why) => proptest::prop_assert!(!why.is_empty()),
        }
        Ok(())
    }
}
