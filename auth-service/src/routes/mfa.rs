//! `/v1/me/mfa`: the caller's second factor (an administrator's reset is
//! `admin::mfa`).

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::problem::{ApiError, Problem};

use super::client_address::ClientAddress;
use super::live_token::{LiveCaller, LiveTokenRefusal};
use crate::audit::Actor;
use crate::mfa::Mfa;
use crate::store::User;

/// A new authenticator, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EnrolmentView {
    /// The secret, base32, for typing into an app by hand.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    secret: String,
    /// What the QR code holds: RFC 6238, SHA-1, 6 digits, 30 s.
    #[schema(
        example = "otpauth://totp/auth-service:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=auth-service&algorithm=SHA1&digits=6&period=30"
    )]
    otpauth_uri: String,
    /// The URI as a QR code: an SVG image in a `data:` URL, for an `<img>`.
    #[schema(example = "data:image/svg+xml;base64,PD94bWwg...")]
    qr_code: String,
}

/// `uri` as a QR code, an SVG image in a `data:` URL.
fn qr_code(uri: &str) -> Result<String, ApiError> {
    use base64::Engine as _;
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| ApiError::Unexpected(e.into()))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg);
    Ok(format!("data:image/svg+xml;base64,{encoded}"))
}

/// A code of the caller's authenticator (or a recovery code, to turn it off).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCode {
    /// Six digits, or a recovery code.
    #[schema(value_type = String, example = "123456")]
    code: SecretString,
}

/// The recovery codes: shown this once, each works once.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RecoveryCodes {
    /// Ten codes; only their HMACs are kept.
    recovery_codes: Vec<String>,
}

/// Whether the caller has a second factor.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct MfaStatus {
    /// A confirmed TOTP authenticator is on: sign-ins ask for a code.
    totp: bool,
    /// Unused recovery codes.
    recovery_codes_left: u64,
}

/// What a code refusal answers.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum CodeRefusals {
    /// Nothing to confirm, or nothing to turn off.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(shared::problem::ProblemDetails),
    /// The code is wrong or was already used (`errors.code`).
    #[response(status = 422, content_type = "application/problem+json")]
    WrongCode(shared::problem::ProblemDetails),
    /// Too many wrong codes; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    Throttled(shared::problem::ProblemDetails),
}

/// How recent a sign-in enrolling, confirming or turning off a second
/// factor needs (RFC 9470 `max_age`): ten minutes.
pub(super) fn recent_sign_in() -> shared::auth::StepUp {
    shared::auth::StepUp::default().max_age(600)
}

async fn caller_user(caller: &LiveCaller, mfa: &Mfa) -> Result<User, ApiError> {
    mfa.store
        .find_by_id(caller.user_id())
        .await?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "the user no longer exists").into())
}

/// The caller's second factor.
#[utoipa::path(
    get,
    path = "/v1/me/mfa",
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Whether a second factor is on.", body = MfaStatus),
        LiveTokenRefusal,
    ),
)]
pub(super) async fn status(
    caller: LiveCaller,
    mfa: web::Data<Mfa>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.user_id();
    Ok(HttpResponse::Ok().json(MfaStatus {
        totp: mfa.is_on(user_id).await?,
        recovery_codes_left: mfa.store.recovery_codes_left(user_id).await?,
    }))
}

/// Enrol a TOTP authenticator (RFC 6238).
///
/// A new secret, asking for nothing until a code of it confirms it; an
/// unconfirmed one is replaced. 409 while one is on. Like confirming and
/// turning off, it needs a sign-in of the last ten minutes (401
/// `insufficient_user_authentication` with `max_age="600"` otherwise), so
/// that a stolen token cannot lock the owner out.
#[utoipa::path(
    post,
    path = "/v1/me/mfa/totp",
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The secret, its `otpauth://` URI and that URI's QR code, shown once.", body = EnrolmentView),
        LiveTokenRefusal,
        (status = 409, description = "A second factor is on: turn it off first.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn enrol(
    caller: LiveCaller,
    mfa: web::Data<Mfa>,
) -> Result<HttpResponse, ApiError> {
    let user = caller_user(&caller, &mfa).await?;
    let enrolment = mfa.enrol(&user).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(EnrolmentView {
            qr_code: qr_code(&enrolment.otpauth_uri)?,
            secret: enrolment.secret,
            otpauth_uri: enrolment.otpauth_uri,
        }))
}

/// Turn the enrolled authenticator on with one of its codes.
///
/// Every other session of the user ends (a password alone signed it in).
#[utoipa::path(
    post,
    path = "/v1/me/mfa/totp/confirm",
    tag = "users",
    request_body = MfaCode,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "On: the recovery codes, shown this once.", body = RecoveryCodes),
        shared::openapi::JsonBodyRefusals,
        LiveTokenRefusal,
        CodeRefusals,
    ),
)]
pub(super) async fn confirm(
    caller: LiveCaller,
    client: ClientAddress,
    mfa: web::Data<Mfa>,
    Json(body): Json<MfaCode>,
) -> Result<HttpResponse, ApiError> {
    let user = caller_user(&caller, &mfa).await?;
    let actor = Actor::from_address(&client.0);
    let session = caller.claims().sid.as_deref();
    let codes = mfa
        .confirm(&user, body.code.expose_secret(), session, &actor)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(RecoveryCodes {
            recovery_codes: codes,
        }))
}

/// Turn the second factor off, with a code of it (or a recovery code).
#[utoipa::path(
    delete,
    path = "/v1/me/mfa/totp",
    tag = "users",
    request_body = MfaCode,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Off; the recovery codes are gone."),
        shared::openapi::JsonBodyRefusals,
        LiveTokenRefusal,
        CodeRefusals,
    ),
)]
pub(super) async fn disable(
    caller: LiveCaller,
    client: ClientAddress,
    mfa: web::Data<Mfa>,
    Json(body): Json<MfaCode>,
) -> Result<HttpResponse, ApiError> {
    let user = caller_user(&caller, &mfa).await?;
    let actor = Actor::from_address(&client.0);
    mfa.disable(&user, body.code.expose_secret(), &actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
