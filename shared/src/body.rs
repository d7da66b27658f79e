//! Request bodies: JSON (and, for the OAuth token endpoint, form-encoded),
//! read with a size cap and parsed with the failing field named.
//!
//! Policy: a body over [`MAX_BODY_BYTES`] is 413, a wrong media type 415,
//! malformed JSON 400, and JSON of the wrong shape (missing, unknown or
//! mistyped field) 422 with the field named in `errors`. Nothing reaches a
//! handler unless the whole body parsed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use crate::auth::ErrorStyle;
use crate::problem::Problem;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A JSON request body (`application/json` or `application/*+json`).
///
/// ```
/// use serde::Deserialize;
/// use shared::body::Json;
///
/// #[derive(Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct NewNote { text: String }
///
/// async fn create(Json(note): Json<NewNote>) -> String {
///     note.text
/// }
/// # let _ = actix_web::web::post().to(create);
/// ```
#[derive(Debug)]
pub struct Json<T>(pub T);

/// A body that is JSON or `application/x-www-form-urlencoded` (RFC 6749
/// token requests come form-encoded; JSON is accepted too).
///
/// ```
/// use serde::Deserialize;
/// use shared::body::JsonOrForm;
///
/// #[derive(Deserialize)]
/// struct Grant { grant_type: String }
///
/// async fn token(JsonOrForm(grant): JsonOrForm<Grant>) -> String {
///     grant.grant_type
/// }
/// # let _ = actix_web::web::post().to(token);
/// ```
#[derive(Debug)]
pub struct JsonOrForm<T>(pub T);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Form,
}

/// Why a body was refused.
///
/// ```
/// use actix_web::{test::TestRequest, FromRequest};
/// use shared::body::{BodyError, Json};
///
/// #[derive(serde::Deserialize, Debug)]
/// #[serde(deny_unknown_fields)]
/// struct NewNote { text: String }
///
/// let (req, mut payload) = TestRequest::post()
///     .insert_header(("Content-Type", "application/json"))
///     .set_payload(r#"{"txt": "hi"}"#)
///     .to_http_parts();
/// let refused: BodyError = futures_util::FutureExt::now_or_never(
///     Json::<NewNote>::from_request(&req, &mut payload),
/// ).expect("in memory").expect_err("an unknown field");
/// assert_eq!(actix_web::ResponseError::status_code(&refused), 422);
/// assert_eq!(refused.field(), Some(("txt", "this field is not allowed here")));
/// assert_eq!(refused.detail(), "the field `txt` is invalid: this field is not allowed here");
/// ```
#[derive(Debug, Clone)]
pub struct BodyError {
    status: StatusCode,
    detail: String,
    field: Option<(String, String)>,
    style: ErrorStyle,
}

impl BodyError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            field: None,
            style: ErrorStyle::Problem,
        }
    }

    /// The sentence that says what was wrong.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The field at fault and what is wrong with it, when one is.
    pub fn field(&self) -> Option<(&str, &str)> {
        self.field.as_ref().map(|(f, m)| (f.as_str(), m.as_str()))
    }

    /// This error as problem details.
    pub fn to_problem(&self) -> Problem {
        let problem = Problem::new(self.status, self.detail.clone());
        match &self.field {
            Some((field, message)) => problem.with_field_error(field.clone(), message.clone()),
            None => problem,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl ResponseError for BodyError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        match self.style {
            ErrorStyle::Problem => self.to_problem().error_response(),
            // Flask-RESTful's shape: {"message": ...}.
            ErrorStyle::Flask => {
                let message = match &self.field {
                    Some((field, message)) => serde_json::json!({ field: message }),
                    None => serde_json::Value::from(self.detail.clone()),
                };
                HttpResponse::build(self.status).json(FlaskMessage { message })
            }
        }
    }
}

/// Flask-RESTful's error body, on the Flask-compatible routes.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"message": {"price": "This field cannot be left blank!"}})))]
pub struct FlaskMessage {
    /// A sentence, or an object of messages per field.
    pub message: serde_json::Value,
}

fn media_type(req: &HttpRequest) -> Option<Format> {
    let value = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Some(Format::Json)
    } else if essence == "application/x-www-form-urlencoded" {
        Some(Format::Form)
    } else {
        None
    }
}

async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<BytesMut, BodyError> {
    let too_large = || {
        BodyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(512).min(MAX_BODY_BYTES));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            BodyError::new(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(BodyError::new(
            StatusCode::BAD_REQUEST,
            "the request body is empty; expected a JSON object",
        ));
    }
    Ok(body)
}

/// serde names the field in its messages as `` `name` ``.
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Turns a serde "data" message into (field, message) when it names one.
fn field_error(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("missing field ") {
        if let Some(name) = quoted_name(rest) {
            return (name.to_owned(), "this field is required".to_owned());
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        if let Some(name) = quoted_name(rest) {
            return (name.to_owned(), "this field is not allowed here".to_owned());
        }
    }
    if message.starts_with("duplicate field ") {
        if let Some(name) = quoted_name(message) {
            return (
                name.to_owned(),
                "this field is given more than once".to_owned(),
            );
        }
    }
    let field = if path == "." || path.is_empty() {
        "body"
    } else {
        path
    };
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    (field.to_owned(), message)
}

fn invalid_field(path: &str, message: &str) -> BodyError {
    let (field, message) = field_error(path, message);
    BodyError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: format!("the field `{field}` is invalid: {message}"),
        field: Some((field, message)),
        style: ErrorStyle::Problem,
    }
}

fn parse<T: DeserializeOwned>(format: Format, body: &[u8]) -> Result<T, BodyError> {
    match format {
        Format::Json => {
            // serde would take `[..]` for a struct, positionally; our bodies are objects.
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            if first.is_some_and(|b| *b != b'{')
                && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
            {
                return Err(invalid_field(".", "the request body must be a JSON object"));
            }
            let mut de = serde_json::Deserializer::from_slice(body);
            let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_data() {
                    invalid_field(&path, &inner.to_string())
                } else {
                    BodyError::new(
                        StatusCode::BAD_REQUEST,
                        format!("the request body is not valid JSON: {inner}"),
                    )
                }
            })?;
            de.end().map_err(|e| {
                BodyError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the request body is not valid JSON: {e}"),
                )
            })?;
            Ok(value)
        }
        Format::Form => {
            serde_urlencoded::from_bytes(body).map_err(|e| invalid_field(".", &e.to_string()))
        }
    }
}

fn extract<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    accept_form: bool,
) -> Pin<Box<dyn Future<Output = Result<T, BodyError>>>> {
    let req = req.clone();
    let mut payload = payload.take();
    Box::pin(async move {
        let style = ErrorStyle::of(&req);
        let result = async {
            let format = match media_type(&req) {
                Some(Format::Json) => Format::Json,
                Some(Format::Form) if accept_form => Format::Form,
                _ => {
                    let expected = if accept_form {
                        "application/json or application/x-www-form-urlencoded"
                    } else {
                        "application/json"
                    };
                    return Err(BodyError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!("the Content-Type must be {expected}"),
                    ));
                }
            };
            let body = read_body(&req, &mut payload).await?;
            parse(format, &body)
        }
        .await;
        result.map_err(|e| BodyError { style, ..e })
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = BodyError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, BodyError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parsed = extract::<T>(req, payload, false);
        Box::pin(async move { parsed.await.map(Json) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = BodyError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, BodyError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parsed = extract::<T>(req, payload, true);
        Box::pin(async move { parsed.await.map(JsonOrForm) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        price: f64,
    }

    fn json(body: &str) -> Result<Item, BodyError> {
        parse(Format::Json, body.as_bytes())
    }

    #[test]
    fn malformed_json_is_400() {
        assert_eq!(
            json("{\"price\": ").map_err(|e| e.status).err(),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn trailing_garbage_is_400() {
        assert_eq!(
            json("{\"price\": 1} x").map_err(|e| e.status).err(),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn a_missing_field_is_422_and_named() {
        let err = json("{}").expect_err("missing");
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.field(), Some(("price", "this field is required")));
    }

    #[test]
    fn an_unknown_field_is_422_and_named() {
        let err = json(r#"{"price": 1, "colour": "red"}"#).expect_err("unknown");
        assert_eq!(err.field().map(|f| f.0), Some("colour"));
    }

    #[test]
    fn a_mistyped_field_is_422_and_named_by_its_path() {
        let err = json(r#"{"price": "cheap"}"#).expect_err("mistyped");
        assert_eq!(err.field().map(|f| f.0), Some("price"));
    }

    #[test]
    fn an_array_is_422_not_positional_fields() {
        let err = json("[1]").expect_err("array");
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.field().map(|f| f.0), Some("body"));
    }

    #[test]
    fn a_duplicate_field_is_422() {
        let err = json(r#"{"price": 1, "price": 2}"#).expect_err("duplicate");
        assert_eq!(err.field().map(|f| f.0), Some("price"));
    }
}
