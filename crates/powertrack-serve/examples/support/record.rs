//! What the service's measuring examples share: a run's report, printed and kept in
//! `benches/record/<UTC date and time>-<name>.json`.

use std::path::Path;

/// Sets the report's `date` (now, UTC), prints it, and writes it to `dir/<date>-<name>.json`
/// when `dir` is a directory (run from the workspace root); returns where it went, if anywhere.
pub(crate) fn write(
    dir: &Path,
    name: &str,
    mut report: serde_json::Value,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let date = powertrack::api::rfc3339_millis(u64::try_from(now_ms)?);
    let stamp: String = date.chars().take(16).filter(|c| *c != ':').collect();
    report["date"] = serde_json::Value::String(date);
    let text = serde_json::to_string_pretty(&report)? + "\n";
    print!("{text}");
    if !dir.is_dir() {
        return Ok(None);
    }
    let path = dir.join(format!("{stamp}-{name}.json"));
    std::fs::write(&path, text)?;
    Ok(Some(path))
}
