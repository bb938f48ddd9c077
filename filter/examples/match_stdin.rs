//! Loads a build artefact and prints the hits of every line read from standard input.
//!
//! `cargo run -p lexset-filter --example match_stdin -- build-7.lexset < texts.txt`

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: match_stdin <artefact file>")?;
    let filter = lexset_filter::Filter::load(&std::fs::read(&path)?)?;
    let header = filter.header();
    eprintln!(
        "build {} ({} patterns, fold profile {})",
        header.build_number, header.patterns, header.fold_profile_id
    );
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        for hit in filter.find(&line) {
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({ "text": line, "hit": hit }))?
            );
        }
    }
    Ok(())
}
