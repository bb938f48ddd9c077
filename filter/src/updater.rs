//! Keeping a filter service on the newest build without a restart (feature `updater`).
//!
//! An [`Updater`] follows the server's build event stream (`GET /v1/builds/events`) in a
//! background thread; when the stream is unavailable it polls `GET /v1/builds/latest` with
//! `If-None-Match`. For each newer build it downloads the artefact, verifies it against the
//! build's signed manifest and the trusted public keys ([`Filter::load_verified`]), and swaps
//! it in atomically: [`Updater::current`] is one atomic load (`arc-swap`), so threads matching
//! never block and never see half a swap — a match runs entirely on the build it loaded. The
//! last good build is kept in the cache directory, so a restart works without the server.
//!
//! Never goes backwards: a build is installed only if its number is above the current one.
//! A build that fails verification is refused and reported by [`Updater::last_error`]; the
//! current build stays.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use crate::manifest::{Manifest, PublicKey, SignedManifest};
use crate::matcher::{Filter, LoadError};

/// The largest artefact downloaded.
const ARTIFACT_LIMIT: u64 = 1 << 30;
/// An event stream is reopened (resuming from the current build) at least this often, so a
/// connection that died without a word stalls updates for no longer.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// A stream that stayed open this long without an event worked: reopened at once.
const STREAM_WORKED: Duration = Duration::from_secs(5);
/// The first wait before reconnecting to a failed stream; doubles up to the poll interval.
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Where the updater finds builds and what it trusts.
#[derive(Debug, Clone)]
pub struct UpdaterConfig {
    /// The lexset server, e.g. `https://lexset.example.cn`.
    pub server: String,
    /// A bearer token of a reader (or any role).
    pub token: Option<String>,
    /// Public keys a build's manifest must be signed by; empty: unsigned builds accepted
    /// (integrity only, see `docs/artifact-format.md`).
    pub trusted_keys: Vec<PublicKey>,
    /// Where the last good build is kept.
    pub cache_dir: PathBuf,
    /// How often to poll when the event stream is unavailable (or switched off).
    pub poll_interval: Duration,
    /// Whether to follow the event stream (else poll only).
    pub follow_events: bool,
}

impl UpdaterConfig {
    /// Follows `server`, keeping the last good build in `cache_dir`; no token, no trusted
    /// keys, a poll every 30 s when events are unavailable.
    pub fn new(server: impl Into<String>, cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            server: server.into().trim_end_matches('/').to_owned(),
            token: None,
            trusted_keys: Vec::new(),
            cache_dir: cache_dir.into(),
            poll_interval: Duration::from_secs(30),
            follow_events: true,
        }
    }
}

/// A loaded build: its filter and the manifest it was verified against.
#[derive(Debug)]
pub struct Build {
    pub filter: Filter,
    pub manifest: Manifest,
}

/// Why an update failed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("cannot reach {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("the server sent something unexpected: {0}")]
    Malformed(String),
    #[error("build refused: {0}")]
    Refused(#[from] LoadError),
    #[error("cache directory: {0}")]
    Cache(#[from] std::io::Error),
}

struct Shared {
    config: UpdaterConfig,
    current: ArcSwapOption<Build>,
    stop: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Signalled on each swap and on stop.
    changed: (Mutex<()>, Condvar),
    /// The last build refused (it did not verify): not downloaded again; a newer one is.
    refused: Mutex<Option<u64>>,
}

/// Follows a lexset server and keeps the newest verified build loaded. Dropping it stops the
/// background thread (at its next wake-up; it holds nothing the caller needs).
pub struct Updater {
    shared: Arc<Shared>,
}

impl Updater {
    /// Loads the last good build from the cache directory (if there is one that still
    /// verifies), then starts following the server in a background thread.
    pub fn start(config: UpdaterConfig) -> Result<Updater, UpdateError> {
        std::fs::create_dir_all(&config.cache_dir)?;
        let shared = Arc::new(Shared {
            config,
            current: ArcSwapOption::empty(),
            stop: AtomicBool::new(false),
            last_error: Mutex::new(None),
            changed: (Mutex::new(()), Condvar::new()),
            refused: Mutex::new(None),
        });
        match load_cached(&shared.config) {
            Ok(Some(build)) => shared.current.store(Some(Arc::new(build))),
            Ok(None) => {}
            Err(error) => shared.record(&error),
        }
        let worker = shared.clone();
        std::thread::Builder::new()
            .name("lexset-updater".into())
            .spawn(move || follow(&worker))?;
        Ok(Updater { shared })
    }

    /// The build in use now (none before the first one arrived). Lock-free: hold the `Arc`
    /// for one match, and load again for the next.
    pub fn current(&self) -> Option<Arc<Build>> {
        self.shared.current.load_full()
    }

    /// The number of the build in use now.
    pub fn build_number(&self) -> Option<u64> {
        self.shared
            .current
            .load()
            .as_ref()
            .map(|build| build.manifest.build_number)
    }

    /// Waits until a build numbered `at_least` or above is in use, or `timeout` passes;
    /// returns whether it is.
    pub fn wait_for_build(&self, at_least: u64, timeout: Duration) -> bool {
        // A timeout too long to add to now waits without a deadline.
        let deadline = Instant::now().checked_add(timeout);
        let (lock, signal) = &self.shared.changed;
        let mut guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if self.build_number().is_some_and(|n| n >= at_least) {
                return true;
            }
            let left = deadline.map_or(Duration::from_secs(3600), |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return false;
            }
            guard = signal
                .wait_timeout(guard, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Why the last update (or the cached build) failed, if it did; cleared by the next
    /// successful swap.
    pub fn last_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Drop for Updater {
    fn drop(&mut self) {
        self.shared
            .signal(|| self.shared.stop.store(true, Ordering::Relaxed));
    }
}

impl Shared {
    fn record(&self, error: &UpdateError) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
    }

    fn current_number(&self) -> Option<u64> {
        self.current
            .load()
            .as_ref()
            .map(|build| build.manifest.build_number)
    }

    /// Runs `change` under the `changed` lock, then wakes the waiters: a waiter checks its
    /// condition under the lock, so none can miss the change between its check and its wait.
    fn signal(&self, change: impl FnOnce()) {
        let (lock, signal) = &self.changed;
        let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        change();
        signal.notify_all();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps `wait`, or less if stopped meanwhile.
    fn pause(&self, wait: Duration) {
        let (lock, signal) = &self.changed;
        let guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !self.stopped() {
            drop(signal.wait_timeout(guard, wait));
        }
    }

    /// Verifies the artefact against `signed` and, unless it is not newer than the current
    /// build, writes it to the cache and swaps it in. A cache that cannot be written is
    /// reported, and the build is used all the same.
    fn install(&self, signed: &SignedManifest, artifact: Vec<u8>) -> Result<(), UpdateError> {
        let (filter, manifest) =
            Filter::load_verified(&artifact, signed, &self.config.trusted_keys)?;
        let number = manifest.build_number;
        if self
            .current_number()
            .is_some_and(|current| current >= number)
        {
            return Ok(());
        }
        let cached = serde_json::to_vec(signed)
            .map_err(|e| UpdateError::Malformed(e.to_string()))
            .and_then(|signed| {
                write_cache(&self.config.cache_dir, number, &signed, &artifact)
                    .map_err(UpdateError::from)
            });
        // The error cleared with the swap, so a waiter woken by it reads the new state.
        self.signal(|| {
            self.current
                .store(Some(Arc::new(Build { filter, manifest })));
            *self
                .last_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                cached.err().map(|e| e.to_string());
        });
        Ok(())
    }
}

/// The background thread: the event stream while it works, polling while it does not.
fn follow(shared: &Shared) {
    let mut retry = FIRST_RETRY;
    while !shared.stopped() {
        if shared.config.follow_events {
            match follow_events(shared) {
                // The stream ran and ended (or its lifetime ran out): one poll, in case a
                // proxy held its events back, then reconnect at once.
                Ok(true) => {
                    if let Err(error) = poll_latest(shared) {
                        shared.record(&error);
                    }
                    retry = FIRST_RETRY;
                    continue;
                }
                Ok(false) => {}
                Err(error) => shared.record(&error),
            }
        }
        if let Err(error) = poll_latest(shared) {
            shared.record(&error);
        }
        let wait = if shared.config.follow_events {
            retry
        } else {
            shared.config.poll_interval
        };
        shared.pause(wait);
        retry = (retry * 2).min(shared.config.poll_interval);
    }
}

fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(timeout)
        .build()
        .into()
}

fn get(
    shared: &Shared,
    agent: &ureq::Agent,
    path: &str,
    headers: &[(&str, String)],
) -> Result<ureq::http::Response<ureq::Body>, UpdateError> {
    let url = format!("{}{path}", shared.config.server);
    let mut request = agent.get(&url);
    if let Some(token) = &shared.config.token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.call().map_err(|e| UpdateError::Http {
        url,
        reason: e.to_string(),
    })
}

fn expect_ok(
    shared: &Shared,
    path: &str,
    response: ureq::http::Response<ureq::Body>,
) -> Result<ureq::http::Response<ureq::Body>, UpdateError> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(UpdateError::Status {
            url: format!("{}{path}", shared.config.server),
            status: response.status().as_u16(),
        })
    }
}

/// Downloads build `number`'s artefact and installs it under `manifest`.
fn fetch_and_install(
    shared: &Shared,
    number: u64,
    manifest: &SignedManifest,
) -> Result<(), UpdateError> {
    let refused = || {
        shared
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if *refused() == Some(number) {
        return Ok(());
    }
    let agent = agent(Some(Duration::from_secs(300)));
    let path = format!("/v1/builds/{number}/artifact");
    let response = expect_ok(shared, &path, get(shared, &agent, &path, &[])?)?;
    let artifact = response
        .into_body()
        .into_with_config()
        .limit(ARTIFACT_LIMIT)
        .read_to_vec()
        .map_err(|e| UpdateError::Http {
            url: path,
            reason: e.to_string(),
        })?;
    let installed = shared.install(manifest, artifact);
    if matches!(installed, Err(UpdateError::Refused(_))) {
        *refused() = Some(number);
    }
    installed
}

/// Follows the event stream until it ends. `Ok(true)`: it worked (it carried an event, or
/// stayed open a while) and may be reopened at once; `Ok(false)`: poll instead for now (the
/// server has no stream, something else answered, it closed at once, or an announced build
/// could not be installed).
fn follow_events(shared: &Shared) -> Result<bool, UpdateError> {
    let agent = agent(Some(STREAM_LIFETIME));
    let path = "/v1/builds/events";
    let resume: Vec<(&str, String)> = shared
        .current_number()
        .map(|n| ("Last-Event-ID", n.to_string()))
        .into_iter()
        .collect();
    let response = get(shared, &agent, path, &resume)?;
    if response.status().as_u16() == 404 {
        return Ok(false);
    }
    let response = expect_ok(shared, path, response)?;
    let is_stream = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    if !is_stream {
        // A proxy's page, say: not an event stream.
        return Ok(false);
    }
    let opened = Instant::now();
    let mut events = 0;
    let mut lines = BufReader::new(response.into_body().into_reader());
    let mut data = String::new();
    let mut line = String::new();
    while !shared.stopped() {
        line.clear();
        match lines.read_line(&mut line) {
            // The stream ended, or its lifetime ran out: reopen it, unless it did not work.
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim_start());
        } else if line.is_empty() && !data.is_empty() {
            events += 1;
            let event = std::mem::take(&mut data);
            if let Err(error) = on_event(shared, &event) {
                // Poll for it (with backoff) rather than wait for the next event.
                shared.record(&error);
                return Ok(false);
            }
        }
    }
    Ok(events > 0 || opened.elapsed() >= STREAM_WORKED)
}

/// An event's data: a published build's number and signed manifest.
#[derive(serde::Deserialize)]
struct PublishedBuild {
    build: u64,
    manifest: SignedManifest,
}

fn on_event(shared: &Shared, data: &str) -> Result<(), UpdateError> {
    let event: PublishedBuild =
        serde_json::from_str(data).map_err(|e| UpdateError::Malformed(e.to_string()))?;
    if shared.current_number().is_some_and(|n| n >= event.build) {
        return Ok(());
    }
    fetch_and_install(shared, event.build, &event.manifest)
}

/// One poll of the newest build; installs it if it is newer.
fn poll_latest(shared: &Shared) -> Result<(), UpdateError> {
    let agent = agent(Some(Duration::from_secs(30)));
    let path = "/v1/builds/latest";
    let held: Vec<(&str, String)> = shared
        .current_number()
        .map(|n| ("If-None-Match", format!("\"build-{n}\"")))
        .into_iter()
        .collect();
    let response = get(shared, &agent, path, &held)?;
    if response.status().as_u16() == 304 {
        return Ok(());
    }
    let mut response = expect_ok(shared, path, response)?;
    let latest: serde_json::Value = response
        .body_mut()
        .read_json()
        .map_err(|e| UpdateError::Malformed(e.to_string()))?;
    let number = latest["number"]
        .as_u64()
        .ok_or_else(|| UpdateError::Malformed("builds/latest has no number".into()))?;
    if shared.current_number().is_some_and(|n| n >= number) {
        return Ok(());
    }
    let manifest_path = format!("/v1/builds/{number}/manifest");
    let mut response = expect_ok(
        shared,
        &manifest_path,
        get(shared, &agent, &manifest_path, &[])?,
    )?;
    let manifest: SignedManifest = response
        .body_mut()
        .read_json()
        .map_err(|e| UpdateError::Malformed(e.to_string()))?;
    fetch_and_install(shared, number, &manifest)
}

/// The cache: `build-<n>.lexset` and `build-<n>.manifest.json`, and `current` naming `n`,
/// replaced by a rename once both files are complete; older builds' files are removed.
fn write_cache(
    dir: &Path,
    number: u64,
    manifest: &[u8],
    artifact: &[u8],
) -> Result<(), std::io::Error> {
    let write_whole = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let partial = dir.join(format!("{name}.partial"));
        std::fs::write(&partial, bytes)?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, dir.join(name))
    };
    write_whole(&format!("build-{number}.lexset"), artifact)?;
    write_whole(&format!("build-{number}.manifest.json"), manifest)?;
    write_whole("current", number.to_string().as_bytes())?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let older = name
            .strip_prefix("build-")
            .and_then(|rest| rest.split('.').next())
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n != number);
        if older {
            std::fs::remove_file(entry.path()).ok();
        }
    }
    Ok(())
}

/// The cached build, verified again (a cache is a file anyone with access could change).
fn load_cached(config: &UpdaterConfig) -> Result<Option<Build>, UpdateError> {
    let dir = &config.cache_dir;
    let number = match std::fs::read_to_string(dir.join("current")) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|e| UpdateError::Malformed(format!("cache pointer: {e}")))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let artifact = std::fs::read(dir.join(format!("build-{number}.lexset")))?;
    let manifest = std::fs::read(dir.join(format!("build-{number}.manifest.json")))?;
    let manifest = SignedManifest::from_json(&manifest).map_err(LoadError::from)?;
    let (filter, manifest) = Filter::load_verified(&artifact, &manifest, &config.trusted_keys)?;
    Ok(Some(Build { filter, manifest }))
}
