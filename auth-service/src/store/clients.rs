//! The `clients` table: service clients (RFC 6749 4.4) and clients that
//! sign users in (the code flow), their secrets as hashes.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{Filter, commit_event, decode_all, decode_one, failed};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// An OAuth client: a service (RFC 6749 4.4) or an app that signs users in.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Its public id.
    pub client_id: String,
    /// What the administrator called it.
    pub name: String,
    /// SHA-256 of the secret; empty for a public client (nothing matches).
    pub secret_hash: Vec<u8>,
    /// The scopes its tokens may carry, space-separated.
    pub scopes: String,
    /// When it was registered.
    pub created_at: i64,
    /// The grants it may use, space-separated.
    pub grant_types: String,
    /// Where the code flow may send the browser back, space-separated.
    pub redirect_uris: String,
    /// Where end-session may send the browser, space-separated.
    pub post_logout_redirect_uris: String,
    /// No secret: a single-page or native app (PKCE alone binds its codes).
    pub public: bool,
    /// How its ID tokens are signed: `ES256` or `RS256`.
    pub id_token_signed_response_alg: String,
}

impl Client {
    /// Whether it may use `grant`.
    pub fn allows(&self, grant: crate::domain::GrantType) -> bool {
        self.grant_types
            .split_ascii_whitespace()
            .any(|name| name == grant.as_str())
    }
}

/// A change to a client; `None` keeps a field.
#[derive(Debug, Default)]
pub struct ClientChange {
    /// A new name.
    pub name: Option<String>,
    /// New scopes, space-separated.
    pub scopes: Option<String>,
    /// New grant types, space-separated.
    pub grant_types: Option<String>,
    /// New redirect URIs, space-separated.
    pub redirect_uris: Option<String>,
    /// New post-logout redirect URIs, space-separated.
    pub post_logout_redirect_uris: Option<String>,
    /// Public or confidential; set with `secret_hash`.
    pub public: Option<bool>,
    /// A new secret hash (empty for a public client).
    pub secret_hash: Option<Vec<u8>>,
    /// A new ID token algorithm.
    pub id_token_signed_response_alg: Option<String>,
}

/// The service clients.
#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    /// Adds a client.
    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError>;

    /// Adds a client the service defines itself (the console's), or sets
    /// it as given where it exists: replicas starting at once agree.
    async fn put_builtin_client(&self, client: &Client) -> Result<(), StoreError>;

    /// The client with this id.
    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;

    /// Clients by id, after `after`.
    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Client>, StoreError>;

    /// Changes a client; whether there was one.
    async fn update_client(
        &self,
        client_id: &str,
        change: &ClientChange,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Deletes a client; whether there was one.
    async fn delete_client(&self, client_id: &str, event: &NewEvent) -> Result<bool, StoreError>;
}

const CLIENT_COLUMNS: &str = "SELECT client_id, name, secret_hash, scopes, created_at, \
     grant_types, redirect_uris, post_logout_redirect_uris, is_public, \
     id_token_signed_response_alg FROM clients";

const INSERT_CLIENT: &str = "INSERT INTO clients (client_id, name, secret_hash, scopes, \
     created_at, grant_types, redirect_uris, post_logout_redirect_uris, is_public, \
     id_token_signed_response_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// `sql`, an insert of every column in `INSERT_CLIENT`'s order, bound to `client`.
fn bound<'q>(
    sql: &'q str,
    client: &'q Client,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(&client.scopes)
        .bind(client.created_at)
        .bind(&client.grant_types)
        .bind(&client.redirect_uris)
        .bind(&client.post_logout_redirect_uris)
        .bind(i64::from(client.public))
        .bind(&client.id_token_signed_response_alg)
}

fn client_from(row: &AnyRow) -> Result<Client, sqlx::Error> {
    Ok(Client {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        scopes: row.try_get("scopes")?,
        created_at: row.try_get("created_at")?,
        grant_types: row.try_get("grant_types")?,
        redirect_uris: row.try_get("redirect_uris")?,
        post_logout_redirect_uris: row.try_get("post_logout_redirect_uris")?,
        public: row.try_get::<i64, _>("is_public")? != 0,
        id_token_signed_response_alg: row.try_get("id_token_signed_response_alg")?,
    })
}

#[async_trait]
impl ClientStore for SqlAuthStore {
    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a client registration").await?;
        bound(INSERT_CLIENT, client)
            .execute(&mut *tx)
            .await
            .map_err(failed("inserting a client"))?;
        commit_event(tx, event, "committing a client registration").await
    }

    async fn put_builtin_client(&self, client: &Client) -> Result<(), StoreError> {
        let upsert = format!(
            "{INSERT_CLIENT} ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, \
             secret_hash = excluded.secret_hash, scopes = excluded.scopes, \
             grant_types = excluded.grant_types, redirect_uris = excluded.redirect_uris, \
             post_logout_redirect_uris = excluded.post_logout_redirect_uris, \
             is_public = excluded.is_public, \
             id_token_signed_response_alg = excluded.id_token_signed_response_alg"
        );
        bound(&upsert, client)
            .execute(&self.db.pool)
            .await
            .map_err(failed("setting a built-in client"))?;
        Ok(())
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

    async fn update_client(
        &self,
        client_id: &str,
        change: &ClientChange,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a client change").await?;
        // Each column keeps its value where the change has none.
        let updated = sqlx::query(
            "UPDATE clients SET name = COALESCE($2, name), scopes = COALESCE($3, scopes), \
             grant_types = COALESCE($4, grant_types), \
             redirect_uris = COALESCE($5, redirect_uris), \
             post_logout_redirect_uris = COALESCE($6, post_logout_redirect_uris), \
             secret_hash = COALESCE($7, secret_hash), is_public = COALESCE($8, is_public), \
             id_token_signed_response_alg = COALESCE($9, id_token_signed_response_alg) \
             WHERE client_id = $1",
        )
        .bind(client_id)
        .bind(change.name.as_deref())
        .bind(change.scopes.as_deref())
        .bind(change.grant_types.as_deref())
        .bind(change.redirect_uris.as_deref())
        .bind(change.post_logout_redirect_uris.as_deref())
        .bind(change.secret_hash.as_deref())
        .bind(change.public.map(i64::from))
        .bind(change.id_token_signed_response_alg.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(failed("changing a client"))?
        .rows_affected()
            > 0;
        if updated {
            commit_event(tx, event, "committing a client change").await?;
        }
        Ok(updated)
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
