//! `/v1/admin/audit`: the audit log's events, newest first.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::page;
use shared::problem::{ApiError, Problem};

use super::{AdminRefusals, limit};
use crate::admin::Admin;
use crate::audit;
use crate::routes::live_token::AdminCaller;
use crate::store::{AuditEvent, AuditFilter};
/// A page of audit events, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct AuditPage {
    items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// `?limit&cursor&user_id&event`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(in crate::routes) struct AuditQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page: the id of its last event.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// Only events concerning this user.
    user_id: Option<String>,
    /// Only this event.
    #[param(schema_with = event_schema)]
    event: Option<String>,
}

/// The audit events there are.
fn event_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(audit::EVENTS.iter().copied()))
        .examples(["login_failed"])
}

/// The audit log, newest first.
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    tag = "admin",
    params(AuditQuery),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "A page of events.", body = AuditPage),
        (status = 400, description = "A bad limit, cursor or event name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
    ),
)]
pub(in crate::routes) async fn audit_log(
    _caller: AdminCaller,
    query: web::Query<AuditQuery>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    let AuditQuery {
        limit: requested,
        cursor: raw_cursor,
        user_id,
        event,
    } = query.into_inner();
    let limit = limit(requested)?;
    let before = raw_cursor
        .map(|id| {
            id.parse::<i64>().map_err(|_| {
                ApiError::from(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "the cursor is not one this API issued; pass `next_cursor` as it was returned",
                ))
            })
        })
        .transpose()?;
    if let Some(event) = event.as_deref().filter(|e| !audit::EVENTS.contains(e)) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!(
                "`{event}` is not an audit event; one of: {}",
                audit::EVENTS.join(", ")
            ),
        )
        .into());
    }
    let filter = AuditFilter {
        user_id,
        event,
        before,
    };
    let rows = admin.store.list_audit(&filter, limit + 1).await?;
    // The cursor is the last id itself: a number needs no encoding.
    let page = page::split(rows, limit, |e| e.id.to_string());
    Ok(HttpResponse::Ok().json(AuditPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
