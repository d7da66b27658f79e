//! The `clients` table: service clients (RFC 6749 4.4), their secrets as
//! hashes.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{Filter, commit_event, decode_all, decode_one, failed};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// A service client (RFC 6749 4.4).
#[derive(Debug, Clone)]
pub struct Client {
    /// Its public id.
    pub client_id: String,
    /// What the administrator called it.
    pub name: String,
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
    /// The scopes its tokens may carry, space-separated.
    pub scopes: String,
    /// When it was registered.
    pub created_at: i64,
}

/// The service clients.
#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    /// Adds a client.
    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError>;

    /// The client with this id.
    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;

    /// Clients by id, after `after`.
    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Client>, StoreError>;

    /// Deletes a client; whether there was one.
    async fn delete_client(&self, client_id: &str, event: &NewEvent) -> Result<bool, StoreError>;
}

const CLIENT_COLUMNS: &str = "SELECT client_id, name, secret_hash, scopes, created_at FROM clients";

fn client_from(row: &AnyRow) -> Result<Client, sqlx::Error> {
    Ok(Client {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        scopes: row.try_get("scopes")?,
        created_at: row.try_get("created_at")?,
    })
}

#[async_trait]
impl ClientStore for SqlAuthStore {
    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a client registration").await?;
        sqlx::query(
            "INSERT INTO clients (client_id, name, secret_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(&client.scopes)
        .bind(client.created_at)
        .execute(&mut *tx)
        .await
        .map_err(failed("inserting a client"))?;
        commit_event(tx, event, "committing a client registration").await
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query(&format!("{CLIENT_COLUMNS} WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a client"))?;
        decode_one(row.as_ref(), client_from, "decoding a client")
    }

    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Client>, StoreError> {
        let mut filter = Filter::default();
        if let Some(after) = after {
            filter.text("client_id >", after);
        }
        let sql = format!(
            "{CLIENT_COLUMNS}{} ORDER BY client_id LIMIT {limit}",
            filter.clause()
        );
        let rows = filter
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing clients"))?;
        decode_all(&rows, client_from, "decoding clients")
    }

    async fn delete_client(&self, client_id: &str, event: &NewEvent) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a client deletion").await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting a client"))?
            .rows_affected()
            > 0;
        if deleted {
            commit_event(tx, event, "committing a client deletion").await?;
        }
        Ok(deleted)
    }
}
