//! Single-pass JSON helpers for the header and the claims: each member
//! parsed once, and a member name given twice refused (RFC 7515 4, RFC 7519
//! 4), whether or not we know the member, however it is escaped.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de;

/// The message of the error a repeated member name raises.
pub(super) const DUPLICATE_MEMBER: &str = "duplicate member name";

/// Whether a parse failed on a repeated member name.
pub(super) fn is_duplicate_member(error: &serde_json::Error) -> bool {
    error.to_string().starts_with(DUPLICATE_MEMBER)
}

/// A member name, borrowed from the input when it has no escapes.
#[derive(Deserialize, PartialEq)]
pub(super) struct Name<'a>(#[serde(borrow)] pub(super) Cow<'a, str>);

/// Fills a member's slot, refusing a second value.
pub(super) fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::custom(DUPLICATE_MEMBER)),
        None => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// Refuses a second occurrence of a member we skip.
pub(super) fn remember<'a, E: de::Error>(
    seen: &mut Vec<Name<'a>>,
    name: Name<'a>,
) -> Result<(), E> {
    if seen.contains(&name) {
        return Err(E::custom(DUPLICATE_MEMBER));
    }
    seen.push(name);
    Ok(())
}
