//! `/v1/signing-keys`: the public keys build manifests are signed with.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use crate::services::signing;
use crate::store::entities::signing_key;

/// A public key builds were signed with.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyView {
    /// `ed25519:` and the first 16 hex digits of the SHA-256 of the key's bytes.
    pub key_id: String,
    pub algorithm: &'static str,
    /// Base64 of the 32-byte ed25519 public key: what `lexset-filter` is given to trust.
    pub public_key: String,
    pub first_used_at: DateTime<Utc>,
    /// Whether this server signs new builds with it.
    pub in_use: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyList {
    pub items: Vec<SigningKeyView>,
}

/// Every public key a server of this deployment has signed with (recorded when a replica
/// starts with it), oldest first; a key stays listed after a rotation, since the builds it
/// signed keep its signature. Empty when the deployment never had a signing key.
#[utoipa::path(get, path = "/v1/signing-keys", tag = "builds",
    responses((status = 200, description = "The public keys", body = SigningKeyList)))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let in_use = state
        .signer
        .as_ref()
        .map(|signer| signer.public_key().key_id().to_owned());
    let items = signing::keys(&state.reads)
        .await?
        .into_iter()
        .map(|key: signing_key::Model| SigningKeyView {
            in_use: in_use.as_deref() == Some(key.key_id.as_str()),
            key_id: key.key_id,
            algorithm: "ed25519",
            public_key: key.public_key,
            first_used_at: key.first_used_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SigningKeyList { items }))
}
