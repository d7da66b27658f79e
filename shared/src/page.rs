//! Keyset pages: `?limit&cursor` in, `{"items": [...], "next_cursor"}` out.
//! A cursor is the last key of a page, base64url-encoded: opaque to
//! clients, and a deep page costs what the first does.

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use serde::Serialize;

use crate::problem::{ApiError, Problem};

/// The pattern every cursor matches (for the OpenAPI document).
pub const CURSOR_PATTERN: &str = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$";

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// This page, in list order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// How many rows a page holds: `requested`, at most `max` (larger is
/// capped), `default` when absent; 0 or less is a 400.
///
/// ```
/// assert_eq!(shared::page::limit(None, 20, 100).ok(), Some(20));
/// assert_eq!(shared::page::limit(Some(500), 20, 100).ok(), Some(100));
/// assert!(shared::page::limit(Some(0), 20, 100).is_err());
/// ```
pub fn limit(requested: Option<i64>, default: u32, max: u32) -> Result<u32, ApiError> {
    match requested {
        Some(..=0) => Err(Problem::new(StatusCode::BAD_REQUEST, "limit must be at least 1").into()),
        Some(limit) => Ok(u32::try_from(limit).unwrap_or(max).min(max)),
        None => Ok(default),
    }
}

/// The key a cursor stands for. Any base64url decodes to a place in the
/// order, so every cursor the document allows is accepted.
///
/// ```
/// let cursor = shared::page::cursor_of("apple");
/// assert_eq!(shared::page::decode_cursor(&cursor).ok().as_deref(), Some("apple"));
/// assert!(shared::page::decode_cursor("not base64!").is_err());
/// ```
pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let bytes = LENIENT.decode(cursor).map_err(|_| {
        ApiError::from(Problem::new(
            StatusCode::BAD_REQUEST,
            "the cursor is not one this API issued; pass `next_cursor` as it was returned",
        ))
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The cursor of a key.
pub fn cursor_of(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// A page from `rows`, fetched with one row more than `limit`: that row,
/// if there, says there is a next page, which starts after the last kept
/// row, at its `cursor` (e.g. [`cursor_of`] its key).
pub fn split<T>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> String) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_only_what_is_not_base64url_is_refused() {
        let cursor = cursor_of("椅子");
        assert_eq!(decode_cursor(&cursor).ok().as_deref(), Some("椅子"));
        assert!(decode_cursor("!!!").is_err());
        assert!(
            decode_cursor("abcde").is_err(),
            "5 characters decode to no whole byte"
        );
        // Any base64url the document's pattern allows is a place in the order.
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe]);
        assert_eq!(
            decode_cursor(&not_utf8).ok().as_deref(),
            Some("\u{fffd}\u{fffd}")
        );
        assert!(decode_cursor("AB").is_ok(), "trailing bits are ignored");
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last() {
        let page = split(vec!["a", "b", "c"], 2, |s| cursor_of(s));
        assert_eq!(page.items, ["a", "b"]);
        assert_eq!(page.next_cursor, Some(cursor_of("b")));
        let last = split(vec!["a", "b"], 2, |s| cursor_of(s));
        assert_eq!(last.next_cursor, None);
    }
}
