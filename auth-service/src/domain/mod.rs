//! Types that are valid once built: a request becomes these before any
//! store or hash call.

mod password;
pub mod scope;
mod username;

pub use password::{NewPassword, MAX_PASSWORD_BYTES, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use username::Username;

/// Characters that render as nothing or reorder text, so two names that
/// look the same could differ (zero-width, bidi controls).
pub(crate) fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}
