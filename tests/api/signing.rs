//! Signed builds: a deployment's key signs each published build's manifest; filter services
//! verify the manifest and the artefact against the public keys before loading; keys rotate.

use lexset_filter::{Filter, LoadError, ManifestError, PublicKey, SignedManifest};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, expect_error, expect_json, run_cli};

/// Writes a new signing key with `lexset signing-key create` and returns its path and the
/// public key it printed.
fn new_key(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, PublicKey) {
    let path = dir.join(name);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lexset"))
        .args(["signing-key", "create", "--out"])
        .arg(&path)
        .output()
        .expect("lexset runs");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).unwrap();
    let public = printed
        .lines()
        .find_map(|line| line.strip_prefix("public_key: "))
        .expect("the public key is printed");
    (path, PublicKey::parse(public).expect("a public key"))
}

async fn signed_server(key_file: std::path::PathBuf) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    TestApp::spawn_configured(dir, |settings| settings.signing_key_file = Some(key_file)).await
}

/// A published build's artefact and manifest, as a filter service downloads them.
async fn download(app: &TestApp, number: i64) -> (Vec<u8>, SignedManifest) {
    let artifact = app
        .get(&format!("/v1/builds/{number}/artifact"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let manifest = expect_json(
        app.get(&format!("/v1/builds/{number}/manifest")).await,
        StatusCode::OK,
    )
    .await;
    let manifest = SignedManifest::from_json(manifest.to_string().as_bytes()).unwrap();
    (artifact, manifest)
}

async fn keys_listed(app: &TestApp) -> Vec<Value> {
    let keys = expect_json(app.get("/v1/signing-keys").await, StatusCode::OK).await;
    keys["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_signed_build_loads_and_tampering_or_an_unknown_key_is_refused() {
    let keys_dir = tempfile::tempdir().unwrap();
    let (key_file, public) = new_key(keys_dir.path(), "signing.pem");
    let app = signed_server(key_file).await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let number = app.build().await;

    let (artifact, manifest) = download(&app, number).await;
    let trusted = std::slice::from_ref(&public);
    let (filter, stated) =
        Filter::load_verified(&artifact, &manifest, trusted).expect("the signed build loads");
    assert_eq!(stated.build_number, number as u64);
    assert_eq!(filter.find("有人在卖法轮功的书").len(), 1);
    let build = expect_json(
        app.get(&format!("/v1/builds/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stated.artifact_sha256, build["sha256"].as_str().unwrap());
    assert_eq!(manifest.signatures[0].key_id, public.key_id());
    assert_eq!(stated.signer_key_id.as_deref(), Some(public.key_id()));

    let listed = keys_listed(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["public_key"], public.to_base64());
    assert_eq!(listed[0]["key_id"], public.key_id());
    assert_eq!(listed[0]["in_use"], true);

    // One byte of the artefact changed (a cache or mirror serving something else).
    let mut tampered = artifact.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    assert!(matches!(
        Filter::load_verified(&tampered, &manifest, trusted),
        Err(LoadError::Manifest(ManifestError::ArtifactMismatch {
            field: "artifact_sha256",
            ..
        }))
    ));
    // The manifest rewritten to name the tampered artefact: its signature no longer holds.
    let mut rewritten: Value = serde_json::from_slice(&base64_decode(&manifest.payload)).unwrap();
    rewritten["artifact_sha256"] = lexset_filter::checksum::sha256_hex(&tampered).into();
    let mut forged = manifest.clone();
    forged.payload = base64_encode(rewritten.to_string().as_bytes());
    assert!(matches!(
        Filter::load_verified(&tampered, &forged, trusted),
        Err(LoadError::Manifest(ManifestError::BadSignature(_)))
    ));
    // A service trusting another deployment's key.
    let (_, stranger) = new_key(keys_dir.path(), "stranger.pem");
    assert!(matches!(
        Filter::load_verified(&artifact, &manifest, &[stranger]),
        Err(LoadError::Manifest(ManifestError::UnknownKey(_)))
    ));

    // The manifest of a build that is not there.
    expect_error(
        app.get("/v1/builds/999/manifest").await,
        StatusCode::NOT_FOUND,
        "build_not_found",
        "999",
    )
    .await;
}

#[tokio::test]
async fn after_a_rotation_both_keys_are_listed_and_each_build_verifies_with_its_own() {
    let keys_dir = tempfile::tempdir().unwrap();
    let (old_file, old) = new_key(keys_dir.path(), "old.pem");
    let (new_file, new) = new_key(keys_dir.path(), "new.pem");
    let app = signed_server(old_file).await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let first = app.build().await;
    let (data_dir, database_url) = app.stop().await;
    let app = TestApp::spawn_configured(data_dir, |settings| {
        settings.database_url = database_url;
        settings.signing_key_file = Some(new_file);
    })
    .await;
    let second = app.build().await;

    let listed = keys_listed(&app).await;
    let ids: Vec<(&str, bool)> = listed
        .iter()
        .map(|k| {
            (
                k["key_id"].as_str().unwrap(),
                k["in_use"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, [(old.key_id(), false), (new.key_id(), true)]);

    let both = [old.clone(), new.clone()];
    for (number, signer) in [(first, &old), (second, &new)] {
        let (artifact, manifest) = download(&app, number).await;
        assert!(Filter::load_verified(&artifact, &manifest, &both).is_ok());
        assert!(Filter::load_verified(&artifact, &manifest, std::slice::from_ref(signer)).is_ok());
    }
    // A service that already trusts only the new key refuses the build the old one signed.
    let (artifact, manifest) = download(&app, first).await;
    assert!(Filter::load_verified(&artifact, &manifest, &[new]).is_err());
}

#[tokio::test]
async fn without_a_key_manifests_are_unsigned_and_a_loader_requiring_signatures_refuses_them() {
    let app = TestApp::spawn().await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let number = app.build().await;
    let (artifact, manifest) = download(&app, number).await;
    assert!(manifest.signatures.is_empty());
    assert!(keys_listed(&app).await.is_empty());
    assert!(Filter::load_verified(&artifact, &manifest, &[]).is_ok());
    let (_, key) = new_key(tempfile::tempdir().unwrap().path(), "k.pem");
    assert_eq!(
        Filter::load_verified(&artifact, &manifest, &[key]).unwrap_err(),
        LoadError::Manifest(ManifestError::Unsigned)
    );
}

#[tokio::test]
async fn a_server_with_an_unreadable_key_file_does_not_start_and_keys_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a key").unwrap();
    let output = run_cli(
        &["serve", "--signing-key-file", bad.to_str().unwrap()],
        dir.path(),
        &None,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not an ed25519 private key"), "{stderr}");

    let (path, _) = new_key(dir.path(), "k.pem");
    let before = std::fs::read(&path).unwrap();
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_lexset"))
        .args(["signing-key", "create", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn the_latest_build_answers_304_until_a_newer_one_is_published() {
    let app = TestApp::spawn().await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let first = app.build().await;
    let latest = app.get("/v1/builds/latest").await;
    let etag = latest.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"build-{first}\""));
    let poll = || {
        app.request(reqwest::Method::GET, "/v1/builds/latest")
            .header("If-None-Match", &etag)
            .send()
    };
    assert_eq!(poll().await.unwrap().status(), StatusCode::NOT_MODIFIED);
    let second = app.build().await;
    let polled = expect_json(poll().await.unwrap(), StatusCode::OK).await;
    assert_eq!(polled["number"], second);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
