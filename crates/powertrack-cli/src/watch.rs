//! `powertrack match --watch`: applies edits of the rules file to the live rule set while the
//! stream flows.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use powertrack::live::LiveRules;

use crate::rules_file;

/// Polls `path` every `interval` and applies each new version of it to `live` as one change.
/// `loaded` is the version `live` holds: any other found at the first look is applied.
pub(crate) fn spawn(
    path: PathBuf,
    loaded: Vec<u8>,
    live: LiveRules,
    max_rules: usize,
    interval: Duration,
) {
    let _ = std::thread::Builder::new()
        .name("powertrack-watch".into())
        .spawn(move || {
            let mut seen = None;
            let mut last = Some(loaded);
            loop {
                std::thread::sleep(interval);
                let now = stamp(&path);
                if now == seen {
                    continue;
                }
                seen = now;
                let bytes = std::fs::read(&path).ok();
                if bytes.is_none() || bytes == last {
                    continue;
                }
                last = bytes;
                eprintln!("powertrack match: {}", apply(&path, &live, max_rules));
            }
        });
}

/// What identifies a version of the file without reading it.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Applies the file's current rules; the line to report.
fn apply(path: &Path, live: &LiveRules, max_rules: usize) -> String {
    let name = path.display();
    let file = match rules_file::load(path, max_rules) {
        Ok(f) => f,
        Err(msg) => return format!("{msg}; not applied, the rules in force stay"),
    };
    let (deletes, adds) = rules_file::diff(&live.list().rules, &file);
    if deletes.is_empty() && adds.is_empty() {
        return format!("{name}: no change");
    }
    match live.apply(&deletes, &adds) {
        Ok((_, added)) if added.is_invalid() => {
            let why: Vec<String> = added
                .detail
                .iter()
                .filter_map(|d| {
                    d.message
                        .as_ref()
                        .map(|m| format!("{:?}: {}", d.rule.value, m.trim_end()))
                })
                .collect();
            format!(
                "{name}: {}; not applied, the rules in force stay",
                why.join("; ")
            )
        }
        Ok((deleted, added)) => {
            let mut line = format!(
                "{name}: applied: deleted {}, added {} (generation {})",
                deleted.deleted,
                added.created(),
                added.generation
            );
            for w in &file.warnings {
                line.push_str("\npowertrack match: ");
                line.push_str(w);
            }
            line
        }
        Err(e) => format!(
            "{name}: {}; not applied, the rules in force stay",
            e.powertrack_message()
        ),
    }
}
