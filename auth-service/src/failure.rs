//! What fails below the service's decisions: the database, the password
//! hasher, the signer. Routes answer these 503 or 500; the cause is logged
//! there, once.

use shared::token::SignError;

use crate::passwords::HashError;
use crate::store::StoreError;

/// A failure below a decision, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The database failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The password hasher is saturated, or failed.
    #[error(transparent)]
    Hashing(#[from] HashError),
    /// A token could not be signed (a key that does not fit).
    #[error(transparent)]
    Signing(#[from] SignError),
    /// An ID token could not be signed.
    #[error(transparent)]
    IdToken(#[from] crate::id_tokens::IdTokenError),
}
