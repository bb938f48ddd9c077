//! `lexset_filter::updater` against a real server: it follows the event stream (or polls),
//! verifies and swaps builds while other threads keep matching, keeps the last good build on
//! disk for a restart without the server, and refuses what does not verify.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lexset_filter::PublicKey;
use lexset_filter::updater::{Updater, UpdaterConfig};

use crate::helpers::TestApp;

const TEXT: &str = "有人在卖法轮功的书，还有大麻和枪支出售的消息";

/// A server signing with a new key, and that key's public half.
async fn signed_server(keys: &std::path::Path) -> (TestApp, PublicKey) {
    let path = keys.join("signing.pem");
    let public = lexset::services::signing::create_key_file(&path).expect("a key");
    let dir = tempfile::tempdir().unwrap();
    let app =
        TestApp::spawn_configured(dir, |settings| settings.signing_key_file = Some(path)).await;
    (app, public)
}

fn config(app: &TestApp, cache: &std::path::Path, keys: &[PublicKey]) -> UpdaterConfig {
    let mut config = UpdaterConfig::new(app.address.clone(), cache);
    config.token = Some(app.secrets[&lexset::domain::role::Role::Reader].clone());
    config.trusted_keys = keys.to_vec();
    config
}

/// Waits (off the server's runtime) until `updater` uses build `number` or above; gives up
/// after 20 s (a hang, not a timing target).
async fn reaches(updater: &Arc<Updater>, number: i64) -> bool {
    reaches_within(updater, number, Duration::from_secs(20)).await
}

async fn reaches_within(updater: &Arc<Updater>, number: i64, wait: Duration) -> bool {
    let updater = updater.clone();
    tokio::task::spawn_blocking(move || updater.wait_for_build(number as u64, wait))
        .await
        .unwrap()
}

/// What a build finds in [`TEXT`]: its terms and spans.
fn found(build: &lexset_filter::updater::Build) -> Vec<(String, usize, usize)> {
    build
        .filter
        .find(TEXT)
        .iter()
        .map(|hit| (hit.term.to_owned(), hit.span.byte_start, hit.span.byte_end))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_swap_under_concurrent_matching_and_every_match_is_one_builds_whole_answer() {
    let keys = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (app, public) = signed_server(keys.path()).await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let first = app.build().await;
    let updater = Arc::new(
        Updater::start(config(&app, cache.path(), std::slice::from_ref(&public))).unwrap(),
    );
    assert!(reaches(&updater, first).await, "{:?}", updater.last_error());
    let before = found(&updater.current().unwrap());

    // Readers match without pause while the next build arrives.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (updater, stop) = (updater.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let build = updater.current().expect("a build");
                    seen.push((build.manifest.build_number, found(&build)));
                }
                seen
            })
        })
        .collect();
    app.approved_keyword("大麻", "A.1.f", "block").await;
    app.approved_keyword("枪支+出售", "A.1.f", "all_of").await;
    let second = app.build().await;
    assert!(
        reaches(&updater, second).await,
        "{:?}",
        updater.last_error()
    );
    let after = found(&updater.current().unwrap());
    assert_ne!(before, after);
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::Relaxed);

    let mut numbers = BTreeSet::new();
    for reader in readers {
        for (number, result) in reader.join().unwrap() {
            numbers.insert(number);
            let expected = if number == first as u64 {
                &before
            } else {
                &after
            };
            assert_eq!(&result, expected, "build {number} answered partly");
        }
    }
    assert!(numbers.contains(&(second as u64)));

    // A restart without the server: the last good build comes from the cache.
    drop(updater);
    let mut offline = config(&app, cache.path(), &[public]);
    offline.server = "http://127.0.0.1:9".into();
    let restarted = Updater::start(offline).unwrap();
    assert_eq!(restarted.build_number(), Some(second as u64));
    assert_eq!(found(&restarted.current().unwrap()), after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_alone_follows_new_builds_with_if_none_match() {
    let app = TestApp::spawn().await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let first = app.build().await;
    let cache = tempfile::tempdir().unwrap();
    let mut polling = config(&app, cache.path(), &[]);
    polling.follow_events = false;
    polling.poll_interval = Duration::from_millis(200);
    let updater = Arc::new(Updater::start(polling).unwrap());
    assert!(reaches(&updater, first).await, "{:?}", updater.last_error());
    let second = app.build().await;
    assert!(
        reaches(&updater, second).await,
        "{:?}",
        updater.last_error()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_signed_by_an_untrusted_key_is_refused_and_a_tampered_cache_is_not_loaded() {
    let keys = tempfile::tempdir().unwrap();
    let (app, _) = signed_server(keys.path()).await;
    let stranger =
        lexset::services::signing::create_key_file(&keys.path().join("other.pem")).expect("a key");
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let number = app.build().await;
    let cache = tempfile::tempdir().unwrap();
    let updater = Arc::new(
        Updater::start(config(&app, cache.path(), std::slice::from_ref(&stranger))).unwrap(),
    );
    assert!(!reaches_within(&updater, number, Duration::from_secs(2)).await);
    let error = updater.last_error().expect("the refusal is reported");
    assert!(error.contains("not trusted"), "{error}");
    drop(updater);

    // A good build cached, then its file changed on disk.
    let trusting = Arc::new(Updater::start(config(&app, cache.path(), &[])).unwrap());
    assert!(reaches(&trusting, number).await);
    drop(trusting);
    let artefact = cache.path().join(format!("build-{number}.lexset"));
    let mut bytes = std::fs::read(&artefact).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&artefact, bytes).unwrap();
    let mut offline = config(&app, cache.path(), &[]);
    offline.server = "http://127.0.0.1:9".into();
    let restarted = Updater::start(offline).unwrap();
    assert_eq!(restarted.build_number(), None);
    assert!(restarted.last_error().is_some());
}
