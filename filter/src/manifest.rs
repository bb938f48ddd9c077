//! Signed build manifests: what proves that an artefact is the one a lexset deployment
//! published.
//!
//! A manifest names one artefact by its build number, SHA-256 and size, with its fold profile
//! and publication time. It travels as an envelope (`docs/artifact-format.md`, "Manifest"):
//!
//! ```json
//! { "payload": "<base64 of the manifest's JSON bytes>",
//!   "signatures": [ { "key_id": "ed25519:…", "signature": "<base64 ed25519 signature>" } ] }
//! ```
//!
//! Each signature is ed25519 over the payload's bytes exactly as decoded, so a verifier in any
//! language checks the bytes it received and only then parses them; nothing depends on how
//! JSON is re-serialized. A deployment without a signing key publishes the envelope with no
//! signatures.
//!
//! Trust rule ([`SignedManifest::open`]): given public keys, a manifest must carry a valid
//! signature by one of them; given none, it is accepted unsigned (integrity only, against the
//! artefact's hash). A signature by a key not given is ignored; every signature by a given
//! key must verify, and there must be at least one. During a rotation, clients given both the
//! old and the new public key accept builds signed by either.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::checksum::sha256_hex;

/// What a build's manifest states about its artefact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub build_number: u64,
    /// Lower-case hex SHA-256 of the whole artefact file.
    pub artifact_sha256: String,
    pub artifact_size: u64,
    pub fold_profile_id: String,
    pub fold_profile_hash: String,
    /// When the build was published, RFC 3339.
    pub created_at: String,
    /// The key that signed it (`None`: unsigned). Set by [`SignedManifest::sign`]; part of
    /// the signed bytes, so the signature says which key it claims to be by.
    pub signer_key_id: Option<String>,
}

/// One signature of a manifest's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSignature {
    pub key_id: String,
    /// Base64 of the 64-byte ed25519 signature.
    pub signature: String,
}

/// The envelope a manifest travels in: its exact bytes and their signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// Base64 of the manifest's JSON bytes.
    pub payload: String,
    pub signatures: Vec<ManifestSignature>,
}

/// A public key a client trusts, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key_id: String,
    key: VerifyingKey,
}

/// Why a manifest, or an artefact against its manifest, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest is malformed: {0}")]
    Malformed(String),
    #[error("public key is malformed: {0}")]
    BadPublicKey(String),
    #[error("manifest is unsigned, and a signature by a trusted key is required")]
    Unsigned,
    #[error("manifest is signed only by keys not trusted here: {}", .0.join(", "))]
    UnknownKey(Vec<String>),
    #[error("manifest signature by key {0} does not verify: the manifest was altered")]
    BadSignature(String),
    #[error(
        "artefact does not match its manifest: {field} is {found}, the manifest says {expected}"
    )]
    ArtifactMismatch {
        field: &'static str,
        expected: String,
        found: String,
    },
}

/// The id of a public key: `ed25519:` and the first 16 hex digits of the SHA-256 of its 32
/// bytes. Stable, so a client can name the keys it trusts.
pub fn key_id(key: &VerifyingKey) -> String {
    format!("ed25519:{}", &sha256_hex(key.as_bytes())[..16])
}

impl PublicKey {
    /// Parses a public key from the base64 of its 32 bytes (as `GET /v1/signing-keys` gives
    /// it).
    pub fn parse(base64: &str) -> Result<Self, ManifestError> {
        let bytes = BASE64
            .decode(base64.trim())
            .map_err(|e| ManifestError::BadPublicKey(e.to_string()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            ManifestError::BadPublicKey(format!("{} bytes, expected 32", bytes.len()))
        })?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| ManifestError::BadPublicKey(e.to_string()))?;
        Ok(Self::from(key))
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The base64 of its 32 bytes.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.key.as_bytes())
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(key: VerifyingKey) -> Self {
        Self {
            key_id: key_id(&key),
            key,
        }
    }
}

impl SignedManifest {
    /// The envelope of `manifest` signed by `key` (none: unsigned), its `signer_key_id` set
    /// to the key's id.
    pub fn sign(manifest: &Manifest, key: Option<&SigningKey>) -> Self {
        let manifest = Manifest {
            signer_key_id: key.map(|key| key_id(&key.verifying_key())),
            ..manifest.clone()
        };
        let payload = serde_json::to_vec(&manifest).expect("a manifest serializes");
        let signatures = key
            .map(|key| ManifestSignature {
                key_id: key_id(&key.verifying_key()),
                signature: BASE64.encode(key.sign(&payload).to_bytes()),
            })
            .into_iter()
            .collect();
        Self {
            payload: BASE64.encode(payload),
            signatures,
        }
    }

    /// Parses an envelope from its JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, ManifestError> {
        serde_json::from_slice(json).map_err(|e| ManifestError::Malformed(e.to_string()))
    }

    /// The manifest, once its signatures satisfy the trust rule of the module: with `trusted`
    /// keys, a valid signature by one of them; without, none needed. Cost: one ed25519
    /// verification per signature by a trusted key (tens of microseconds).
    pub fn open(&self, trusted: &[PublicKey]) -> Result<Manifest, ManifestError> {
        let payload = BASE64
            .decode(&self.payload)
            .map_err(|e| ManifestError::Malformed(format!("payload: {e}")))?;
        let mut verified_by = Vec::new();
        if !trusted.is_empty() {
            if self.signatures.is_empty() {
                return Err(ManifestError::Unsigned);
            }
            for signed in &self.signatures {
                let Some(key) = trusted.iter().find(|key| key.key_id == signed.key_id) else {
                    continue;
                };
                let signature = BASE64
                    .decode(&signed.signature)
                    .ok()
                    .and_then(|bytes| Signature::from_slice(&bytes).ok())
                    .ok_or_else(|| ManifestError::BadSignature(signed.key_id.clone()))?;
                key.key
                    .verify(&payload, &signature)
                    .map_err(|_| ManifestError::BadSignature(signed.key_id.clone()))?;
                verified_by.push(signed.key_id.as_str());
            }
            if verified_by.is_empty() {
                let ids = self.signatures.iter().map(|s| s.key_id.clone()).collect();
                return Err(ManifestError::UnknownKey(ids));
            }
        }
        let manifest: Manifest = serde_json::from_slice(&payload)
            .map_err(|e| ManifestError::Malformed(e.to_string()))?;
        if let Some(signer) = &manifest.signer_key_id
            && !verified_by.is_empty()
            && !verified_by.contains(&signer.as_str())
        {
            return Err(ManifestError::Malformed(format!(
                "it names {signer} as its signer, but is signed by {}",
                verified_by.join(", ")
            )));
        }
        Ok(manifest)
    }
}

impl Manifest {
    /// Checks that `artifact` is the file this manifest names: its size and SHA-256. (The
    /// loader then checks the header's build number and fold profile against it too.)
    pub fn check_artifact(&self, artifact: &[u8]) -> Result<(), ManifestError> {
        if artifact.len() as u64 != self.artifact_size {
            return Err(ManifestError::ArtifactMismatch {
                field: "artifact_size",
                expected: self.artifact_size.to_string(),
                found: artifact.len().to_string(),
            });
        }
        let sha256 = sha256_hex(artifact);
        if sha256 != self.artifact_sha256 {
            return Err(ManifestError::ArtifactMismatch {
                field: "artifact_sha256",
                expected: self.artifact_sha256.clone(),
                found: sha256,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn manifest() -> Manifest {
        Manifest {
            build_number: 7,
            artifact_sha256: sha256_hex(b"artefact"),
            artifact_size: 8,
            fold_profile_id: "zh-fold-v1".into(),
            fold_profile_hash: "abc".into(),
            created_at: "2026-12-06T10:00:00Z".into(),
            signer_key_id: None,
        }
    }

    /// [`manifest`] as signed by `key`.
    fn signed_by(key: &SigningKey) -> Manifest {
        Manifest {
            signer_key_id: Some(key_id(&key.verifying_key())),
            ..manifest()
        }
    }

    fn public(key: &SigningKey) -> PublicKey {
        PublicKey::parse(&PublicKey::from(key.verifying_key()).to_base64()).expect("round trip")
    }

    #[test]
    fn a_signed_manifest_opens_with_its_key_and_names_its_artefact() {
        let signed = SignedManifest::sign(&manifest(), Some(&key(1)));
        let json = serde_json::to_vec(&signed).unwrap();
        let opened = SignedManifest::from_json(&json)
            .unwrap()
            .open(&[public(&key(1))])
            .unwrap();
        assert_eq!(opened, signed_by(&key(1)));
        opened.check_artifact(b"artefact").unwrap();
        assert!(matches!(
            opened.check_artifact(b"artefakt"),
            Err(ManifestError::ArtifactMismatch {
                field: "artifact_sha256",
                ..
            })
        ));
        assert!(matches!(
            opened.check_artifact(b"artefact!"),
            Err(ManifestError::ArtifactMismatch {
                field: "artifact_size",
                ..
            })
        ));
    }

    #[test]
    fn an_altered_payload_or_signature_is_refused() {
        let mut signed = SignedManifest::sign(&manifest(), Some(&key(1)));
        let mut altered = signed_by(&key(1));
        altered.artifact_sha256 = sha256_hex(b"other");
        signed.payload = BASE64.encode(serde_json::to_vec(&altered).unwrap());
        assert!(matches!(
            signed.open(&[public(&key(1))]),
            Err(ManifestError::BadSignature(_))
        ));
        let mut signed = SignedManifest::sign(&manifest(), Some(&key(1)));
        signed.signatures[0].signature = BASE64.encode([0u8; 64]);
        assert!(matches!(
            signed.open(&[public(&key(1))]),
            Err(ManifestError::BadSignature(_))
        ));
    }

    #[test]
    fn unknown_keys_and_missing_signatures_are_refused_when_keys_are_given() {
        let signed = SignedManifest::sign(&manifest(), Some(&key(2)));
        let refused = signed.open(&[public(&key(1))]);
        assert_eq!(
            refused,
            Err(ManifestError::UnknownKey(vec![key_id(
                &key(2).verifying_key()
            )]))
        );
        let unsigned = SignedManifest::sign(&manifest(), None);
        assert_eq!(
            unsigned.open(&[public(&key(1))]),
            Err(ManifestError::Unsigned)
        );
        assert_eq!(unsigned.open(&[]), Ok(manifest()));
    }

    #[test]
    fn during_a_rotation_a_client_trusting_both_keys_opens_what_either_signed() {
        let both = [public(&key(1)), public(&key(2))];
        for signer in [key(1), key(2)] {
            let signed = SignedManifest::sign(&manifest(), Some(&signer));
            assert_eq!(signed.open(&both), Ok(signed_by(&signer)));
        }
        let old = SignedManifest::sign(&manifest(), Some(&key(1)));
        assert!(old.open(&[public(&key(2))]).is_err());
    }

    #[test]
    fn a_manifest_naming_another_signer_than_its_signature_is_refused() {
        // Signed by key 1, its payload claiming key 2: a tool that signs what it is given.
        let claims_2 = signed_by(&key(2));
        let payload = serde_json::to_vec(&claims_2).unwrap();
        let forged = SignedManifest {
            payload: BASE64.encode(&payload),
            signatures: vec![ManifestSignature {
                key_id: key_id(&key(1).verifying_key()),
                signature: BASE64.encode(key(1).sign(&payload).to_bytes()),
            }],
        };
        assert!(matches!(
            forged.open(&[public(&key(1))]),
            Err(ManifestError::Malformed(_))
        ));
    }

    #[test]
    fn public_keys_must_be_32_bytes_of_base64() {
        assert!(matches!(
            PublicKey::parse("not base64!"),
            Err(ManifestError::BadPublicKey(_))
        ));
        assert!(matches!(
            PublicKey::parse(&BASE64.encode([1u8; 31])),
            Err(ManifestError::BadPublicKey(_))
        ));
    }
}
