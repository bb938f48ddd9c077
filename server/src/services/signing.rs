//! The deployment's signing key and the manifests of published builds.
//!
//! The private key lives only in a PKCS#8 PEM file named by `--signing-key-file`
//! (`lexset signing-key create` writes one, readable by its owner only); the database keeps
//! the public keys builds were signed with, so after a rotation `GET /v1/signing-keys` still
//! lists the old one. Without a key file, manifests are published unsigned.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use lexset_filter::{Manifest, PublicKey, SignedManifest};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use super::builds::{self, BuildError};
use crate::store::entities::{build, signing_key};

/// Why a key file could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("{path} exists already: a signing key is never overwritten")]
    Exists { path: PathBuf },
    #[error("cannot write the signing key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the signing key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an ed25519 private key in PKCS#8 PEM: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// A build's manifest envelope as the API and webhooks send it (`docs/artifact-format.md`,
/// "Manifest"); the same JSON as `lexset_filter::SignedManifest`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestEnvelope {
    /// Base64 of the manifest's JSON bytes: build number, artefact SHA-256 and size, fold
    /// profile id and hash, publication time.
    pub payload: String,
    /// ed25519 signatures of the payload's bytes; empty when the deployment has no signing
    /// key.
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnvelopeSignature {
    /// `ed25519:` and 16 hex digits, as `GET /v1/signing-keys` lists it.
    pub key_id: String,
    /// Base64 of the 64-byte signature.
    pub signature: String,
}

impl From<SignedManifest> for ManifestEnvelope {
    fn from(signed: SignedManifest) -> Self {
        Self {
            payload: signed.payload,
            signatures: signed
                .signatures
                .into_iter()
                .map(|s| EnvelopeSignature {
                    key_id: s.key_id,
                    signature: s.signature,
                })
                .collect(),
        }
    }
}

/// The key this replica signs manifests with.
pub struct BuildSigner {
    key: SigningKey,
}

impl BuildSigner {
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from(self.key.verifying_key())
    }

    fn sign(&self, manifest: &Manifest) -> SignedManifest {
        SignedManifest::sign(manifest, Some(&self.key))
    }
}

/// Writes a new ed25519 key to `path` (created, never overwritten; mode 0600) and returns
/// its public key.
pub fn create_key_file(path: &Path) -> Result<PublicKey, SigningKeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| SigningKeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SigningKeyError::Random(e.to_string()))?;
    let write_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::AlreadyExists => SigningKeyError::Exists {
            path: path.to_owned(),
        },
        _ => SigningKeyError::Write {
            path: path.to_owned(),
            source,
        },
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(write_error)?;
    file.write_all(pem.as_bytes()).map_err(write_error)?;
    file.sync_all().map_err(write_error)?;
    Ok(PublicKey::from(key.verifying_key()))
}

/// Reads the key file at `path`.
pub fn load_key_file(path: &Path) -> Result<BuildSigner, SigningKeyError> {
    let pem = std::fs::read_to_string(path).map_err(|source| SigningKeyError::Read {
        path: path.to_owned(),
        source,
    })?;
    let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| SigningKeyError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(BuildSigner { key })
}

/// Records `signer`'s public key (once: a replica restarting with it changes nothing).
pub async fn register(db: &DatabaseConnection, signer: &BuildSigner) -> Result<(), DbErr> {
    let public = signer.public_key();
    signing_key::Entity::insert(signing_key::ActiveModel {
        key_id: Set(public.key_id().to_owned()),
        public_key: Set(public.to_base64()),
        first_used_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([signing_key::Column::KeyId])
    .exec(db)
    .await
    .map(|_| ())
}

/// Every public key a replica has signed with (recorded at its start), oldest first.
pub async fn keys(db: &DatabaseConnection) -> Result<Vec<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .order_by_asc(signing_key::Column::FirstUsedAt)
        .order_by_asc(signing_key::Column::KeyId)
        .all(db)
        .await
}

/// The manifest of the build being published, signed by `signer` if there is one; as JSON,
/// to be stored with the build.
pub fn published_manifest(
    signer: Option<&BuildSigner>,
    manifest: &Manifest,
) -> Result<String, serde_json::Error> {
    let signed = match signer {
        Some(signer) => signer.sign(manifest),
        None => SignedManifest::sign(manifest, None),
    };
    serde_json::to_string(&signed)
}

/// The manifest a build states: its number, artefact and fold profile, published at
/// `published_at`.
pub fn manifest_of(
    number: i64,
    sha256: &str,
    size: usize,
    fold_profile: (&str, &str),
    published_at: DateTime<Utc>,
) -> Manifest {
    Manifest {
        build_number: number.unsigned_abs(),
        artifact_sha256: sha256.to_owned(),
        artifact_size: size as u64,
        fold_profile_id: fold_profile.0.to_owned(),
        fold_profile_hash: fold_profile.1.to_owned(),
        created_at: published_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        signer_key_id: None,
    }
}

/// The manifest envelope of published build `number`: as published, or, for a build
/// published before manifests, an unsigned one stated from its row.
pub async fn manifest(
    db: &DatabaseConnection,
    number: i64,
) -> Result<ManifestEnvelope, BuildError> {
    manifest_of_build(&builds::published(db, number).await?)
}

/// The manifest envelope of a published build's row (see [`manifest`]).
pub fn manifest_of_build(build: &build::Model) -> Result<ManifestEnvelope, BuildError> {
    let signed = match &build.manifest {
        Some(json) => SignedManifest::from_json(json.as_bytes())
            .map_err(|e| BuildError::Other(format!("build {}'s manifest: {e}", build.number)))?,
        None => SignedManifest::sign(&stated(build), None),
    };
    Ok(signed.into())
}

fn stated(build: &build::Model) -> Manifest {
    manifest_of(
        build.number,
        build.sha256.as_deref().unwrap_or_default(),
        build.size.unwrap_or_default().max(0) as usize,
        (&build.fold_profile_id, &build.fold_profile_hash),
        build.published_at.unwrap_or(build.created_at),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_file_loads_back_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.pem");
        let public = create_key_file(&path).unwrap();
        let signer = load_key_file(&path).unwrap();
        assert_eq!(signer.public_key(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            create_key_file(&path),
            Err(SigningKeyError::Exists { .. })
        ));
        assert_eq!(load_key_file(&path).unwrap().public_key(), public);
        std::fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
        assert!(matches!(
            load_key_file(&dir.path().join("bad.pem")),
            Err(SigningKeyError::Parse { .. })
        ));
    }
}
