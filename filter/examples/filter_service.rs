//! A filter service that swaps builds live: matches every line of standard input against the
//! newest verified build of a lexset server, printing one JSON line per input line (the build
//! used and its hits), while the updater follows the server in the background.
//!
//! ```sh
//! LEXSET_SERVER=http://127.0.0.1:8080 LEXSET_TOKEN=… LEXSET_PUBLIC_KEYS=<base64>[,<base64>] \
//!   cargo run -p lexset-filter --features updater --example filter_service -- ./filter-cache
//! ```
//!
//! Without `LEXSET_PUBLIC_KEYS` it refuses to start, unless `LEXSET_ALLOW_UNSIGNED=1` says
//! that unsigned builds are meant (a deployment without a signing key).

use std::io::{BufRead, Write};
use std::time::Duration;

use lexset_filter::PublicKey;
use lexset_filter::updater::{Updater, UpdaterConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cache_dir = std::env::args()
        .nth(1)
        .ok_or("usage: filter_service <cache directory>")?;
    let mut config = UpdaterConfig::new(std::env::var("LEXSET_SERVER")?, cache_dir);
    config.token = std::env::var("LEXSET_TOKEN").ok();
    config.trusted_keys = std::env::var("LEXSET_PUBLIC_KEYS")
        .unwrap_or_default()
        .split(',')
        .filter(|key| !key.trim().is_empty())
        .map(PublicKey::parse)
        .collect::<Result<_, _>>()?;
    let unsigned_meant = std::env::var("LEXSET_ALLOW_UNSIGNED").is_ok_and(|v| v == "1");
    if config.trusted_keys.is_empty() && !unsigned_meant {
        return Err(
            "LEXSET_PUBLIC_KEYS is empty (set LEXSET_ALLOW_UNSIGNED=1 to accept unsigned builds)"
                .into(),
        );
    }
    let updater = Updater::start(config)?;
    if !updater.wait_for_build(0, Duration::from_secs(30)) {
        return Err(format!("no build within 30 s: {:?}", updater.last_error()).into());
    }
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        // One load per text: the whole match runs on one build, even if a swap happens now.
        let Some(build) = updater.current() else {
            continue;
        };
        let hits = build.filter.find(&line);
        let answer = serde_json::json!({ "build": build.manifest.build_number, "hits": hits });
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}
