//! Local administration: what `auth-service users ...` asks of the running
//! service over its admin socket (`AUTH__SERVER__ADMIN_SOCKET`, mode 0600:
//! only the service's own user opens it). Over TCP these routes answer 404,
//! as if they did not exist. This is how the first admin is made where the
//! service runs, whatever the database (a SQLite file is one process's).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::http::AdminSocket;
use shared::problem::{ApiError, Problem};

use crate::accounts::{self, Accounts, GrantError};

/// Passes only requests that came over the admin socket; checked before the
/// body is read, so TCP callers learn nothing of these routes.
pub(super) struct LocalOnly;

impl FromRequest for LocalOnly {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.conn_data::<AdminSocket>() {
            Some(_) => Ok(Self),
            None => Err(Problem::new(StatusCode::NOT_FOUND, "no such resource").into()),
        })
    }
}

/// `POST /local/users/{username}/grant` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct GrantRequest {
    /// Scopes to add, e.g. `["auth:admin"]`.
    scopes: Vec<String>,
}

/// What the user is granted after.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Granted {
    /// The name as asked.
    username: String,
    /// Every scope the user now has, space-separated.
    scopes: String,
}

/// Add scopes to a user (the command line's `users grant`; admin socket only).
#[utoipa::path(
    post,
    path = "/local/users/{username}/grant",
    tag = "local",
    params(("username" = String, Path, description = "The user's name, any case.")),
    request_body = GrantRequest,
    responses(
        (status = 200, description = "The user's scopes after.", body = Granted),
        (status = 404, description = "Not over the admin socket, or no user has this name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not a scope name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn grant(
    _local: LocalOnly,
    username: web::Path<String>,
    accounts: web::Data<Accounts>,
    Json(request): Json<GrantRequest>,
) -> Result<HttpResponse, ApiError> {
    let username = username.into_inner();
    let granted = accounts::grant(
        accounts.store.as_ref(),
        &accounts.default_scope,
        &username,
        &request.scopes,
        &accounts.clock,
    )
    .await;
    match granted {
        Ok(scopes) => Ok(HttpResponse::Ok().json(Granted { username, scopes })),
        Err(error @ GrantError::NoSuchUser(_)) => {
            Err(Problem::new(StatusCode::NOT_FOUND, error.to_string()).into())
        }
        Err(error @ GrantError::BadScope(_)) => {
            Err(Problem::invalid_fields([("scopes", error.to_string())]).into())
        }
        Err(GrantError::Failed(e)) => Err(e.into()),
    }
}
