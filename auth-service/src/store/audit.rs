//! The `audit_events` table: what happened, newest first. A change's
//! events are written by its own transaction (`sql::commit_events`); here
//! they are read, and those that record no change are written.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{Filter, commit_event, decode_all, failed};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// A stored audit event, as the admin API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Increasing.
    pub id: i64,
    /// When (RFC 3339, UTC).
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    /// What happened.
    pub event: String,
    /// The user it concerns.
    pub user_id: Option<String>,
    /// The user who did it, when not the user it concerns.
    pub actor_id: Option<String>,
    /// The client it concerns or that did it.
    pub client_id: Option<String>,
    /// Where the request came from.
    pub client_address: Option<String>,
    /// More, as JSON.
    pub detail: Option<serde_json::Value>,
}

fn rfc3339<S: serde::Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&shared::db::timestamp(*ms))
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's.
    pub user_id: Option<String>,
    /// Only this event.
    pub event: Option<String>,
    /// Only events older than this id (the keyset cursor).
    pub before: Option<i64>,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Writes an event that records no change of ours (a throttled login).
    async fn record(&self, event: &NewEvent) -> Result<(), StoreError>;

    /// Audit events, newest first.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

fn audit_from(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    let detail: Option<String> = row.try_get("detail")?;
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        event: row.try_get("event")?,
        user_id: row.try_get("user_id")?,
        actor_id: row.try_get("actor_id")?,
        client_id: row.try_get("client_id")?,
        client_address: row.try_get("client_address")?,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

#[async_trait]
impl AuditStore for SqlAuthStore {
    async fn record(&self, event: &NewEvent) -> Result<(), StoreError> {
        let tx = self.begin("starting an audit event").await?;
        commit_event(tx, event, "committing an audit event").await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let mut conditions = Filter::default();
        if let Some(before) = filter.before {
            conditions.integer("id <", before);
        }
        if let Some(user_id) = &filter.user_id {
            conditions.text("user_id =", user_id);
        }
        if let Some(event) = &filter.event {
            conditions.text("event =", event);
        }
        let sql = format!(
            "SELECT id, at, event, user_id, actor_id, client_id, client_address, detail \
             FROM audit_events{} ORDER BY id DESC LIMIT {limit}",
            conditions.clause()
        );
        let rows = conditions
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing audit events"))?;
        decode_all(&rows, audit_from, "decoding audit events")
    }
}
