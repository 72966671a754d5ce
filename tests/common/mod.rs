//! Shared helpers for the integration tests.

use std::path::PathBuf;

/// The workspace root (where `Cargo.lock`, `examples/` and `tests/data/` are), from any of its
/// crates: the command's tests include this module too.
#[allow(dead_code)]
pub(crate) fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|p| p.join("Cargo.lock").is_file())
        .map_or(manifest.clone(), PathBuf::from)
}

/// The shared test data directory (`../shared` beside the workspace, or `$POWERTRACK_SHARED`).
///
/// Returns `None`, after printing why, when it is absent: tests that need the real corpus then
/// skip instead of failing, so the crate's tests pass on a checkout without `../shared`.
#[allow(dead_code)]
pub(crate) fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("POWERTRACK_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("../shared"),
    };
    if dir.join("data/tweets").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping {test}: the shared corpus is not at {} (set POWERTRACK_SHARED to its path)",
            dir.display()
        );
        None
    }
}

/// A file of the real tweet corpus, `data/tweets/<rel>`, or `None` (with the reason printed).
#[allow(dead_code)]
pub(crate) fn corpus_file(test: &str, rel: &str) -> Option<PathBuf> {
    let path = shared_dir(test)?.join("data/tweets").join(rel);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping {test}: {} is missing from the shared corpus",
            path.display()
        );
        None
    }
}
