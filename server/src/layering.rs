//! The layer rules of `docs/architecture.md`, checked over the source: each layer may name
//! only the crates and modules below it. A grep, not the compiler, so the words are matched
//! as paths (`sea_orm::`, `utoipa::`, `actix_web`, `http::`) in code lines, comments aside.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `src/<dir>` (or the file `src/<dir>`).
pub(crate) fn sources(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    let mut pending = vec![root];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("source directory") {
                pending.push(entry.expect("directory entry").path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    assert!(!found.is_empty(), "no sources under {dir}");
    found
}

/// The code lines of the files under `dir` that name any of `forbidden`, as `file:line`.
fn naming(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut offending = Vec::new();
    for file in sources(dir) {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if forbidden.iter().any(|word| code.contains(word)) {
                offending.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    offending
}

#[test]
fn the_domain_knows_no_storage_or_wire_crate() {
    let offending = naming(
        "domain",
        &["sea_orm", "utoipa", "actix", "crate::store", "crate::http"],
    );
    assert!(offending.is_empty(), "{offending:#?}");
}

#[test]
fn the_message_catalogue_knows_no_storage_or_wire_crate() {
    let offending = naming(
        "messages.rs",
        &["sea_orm", "utoipa", "actix", "crate::store", "crate::http"],
    );
    assert!(offending.is_empty(), "{offending:#?}");
}

#[test]
fn services_and_the_store_know_no_web_framework() {
    for dir in ["services", "store"] {
        let offending = naming(dir, &["actix", "crate::http", "http::"]);
        assert!(offending.is_empty(), "{offending:#?}");
    }
}

#[test]
fn the_store_knows_no_api_schema() {
    let offending = naming("store", &["utoipa", "ToSchema"]);
    assert!(offending.is_empty(), "{offending:#?}");
}

#[test]
fn the_command_line_calls_services_not_handlers() {
    let offending = naming("main.rs", &["http::"]);
    assert!(offending.is_empty(), "{offending:#?}");
}
