//! Every request body type through the extractor its route uses, with any
//! Content-Type: parsed, or refused with a 4xx whose body renders; never a
//! panic. The first byte picks the body type and the media type.
#![no_main]

use actix_web::body::MessageBody as _;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::test::TestRequest;
use actix_web::{FromRequest, HttpResponse};
use futures_util::FutureExt as _;
use libfuzzer_sys::fuzz_target;
use shared::auth::ErrorStyle;
use shared::body::{Json, JsonOrForm, MAX_BODY_BYTES};

use auth_service::routes::bodies::{
    ChangePassword, EmailChange, FlaskLogin, IntrospectRequest, LogoutRequest, MfaCode,
    NewClientRequest, RegisterRequest, ResetRequest, RevokeRequest, TokenRequest, UserPatch,
};
use items_service::routes::bodies::{FlaskItem, PutItem};

const MEDIA_TYPES: [Option<&str>; 6] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/merge-patch+json; charset=utf-8"),
    Some("text/plain"),
    Some("APPLICATION/JSON"),
    None,
];

/// Runs extractor `E` on `body`; the in-memory payload completes at once.
fn extract<E>(style: ErrorStyle, media_type: Option<&str>, body: &[u8])
where
    E: FromRequest,
{
    let mut request = TestRequest::post()
        .app_data(style)
        .set_payload(body.to_vec());
    if let Some(media_type) = media_type {
        request = request.insert_header((CONTENT_TYPE, media_type));
    }
    let (request, mut payload) = request.to_http_parts();
    let outcome = E::from_request(&request, &mut payload)
        .now_or_never()
        .expect("an in-memory body is read without waiting");
    match outcome {
        Ok(_) => assert!(body.len() <= MAX_BODY_BYTES, "an oversized body was taken"),
        Err(error) => {
            let error: actix_web::Error = error.into();
            let response: HttpResponse = error.error_response();
            let status = response.status();
            assert!(status.is_client_error(), "a body was refused with {status}");
            if body.len() > MAX_BODY_BYTES && media_type.is_some() {
                assert_eq!(status.as_u16(), 413);
            }
            let rendered = response
                .into_body()
                .try_into_bytes()
                .expect("an error body is in memory");
            serde_json::from_slice::<serde_json::Value>(&rendered)
                .expect("every error body is JSON");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let media_type = MEDIA_TYPES[usize::from(selector >> 4) % MEDIA_TYPES.len()];
    let (problem, flask) = (ErrorStyle::Problem, ErrorStyle::Flask);
    match selector & 0x0f {
        0 => extract::<Json<RegisterRequest>>(problem, media_type, body),
        1 => extract::<Json<FlaskLogin>>(flask, media_type, body),
        2 => extract::<JsonOrForm<TokenRequest>>(problem, media_type, body),
        3 => extract::<Json<LogoutRequest>>(problem, media_type, body),
        4 => extract::<Json<ChangePassword>>(problem, media_type, body),
        5 => extract::<Json<FlaskItem>>(flask, media_type, body),
        6 => extract::<JsonOrForm<RevokeRequest>>(problem, media_type, body),
        7 => extract::<JsonOrForm<IntrospectRequest>>(problem, media_type, body),
        8 => extract::<Json<UserPatch>>(problem, media_type, body),
        9 => extract::<Json<NewClientRequest>>(problem, media_type, body),
        10 => extract::<Json<MfaCode>>(problem, media_type, body),
        11 => extract::<Json<ResetRequest>>(problem, media_type, body),
        12 => extract::<Json<EmailChange>>(problem, media_type, body),
        _ => extract::<Json<PutItem>>(problem, media_type, body),
    }
});
