//! The rules file of `powertrack match`: a Rules API body whose rules get deterministic ids,
//! and the difference between two versions of it (for `--watch`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use powertrack::api::{Body, Limits, RuleEntry};
use powertrack::post::fnv1a64;
use powertrack::syntax::Rule;

/// A rule of the file, parsed, with its id.
pub(crate) struct FileRule {
    pub(crate) entry: RuleEntry,
    pub(crate) rule: Rule,
    /// Whether the file gave the id (else it was derived from the value).
    pub(crate) explicit: bool,
}

/// The rules of a file, in file order, and what was skipped.
pub(crate) struct RulesFile {
    /// The file's bytes, as read.
    pub(crate) bytes: Vec<u8>,
    pub(crate) rules: Vec<FileRule>,
    pub(crate) warnings: Vec<String>,
}

/// Reads, parses and validates the rules file. Rules without an id get one derived from the
/// value (stable across edits of the file); a value given twice keeps its first rule.
pub(crate) fn load(path: &Path, max_rules: usize) -> Result<RulesFile, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    let entries = match Body::parse(
        &bytes,
        &Limits {
            max_bytes: None,
            max_rules,
        },
    ) {
        Ok(Body::Rules(r)) => r,
        Ok(Body::RuleIds(_)) => {
            return Err(format!(
                "{name}: a {{\"rule_ids\":[…]}} body has no rule values; the rules file must be {{\"rules\":[{{\"value\":…}}]}}"
            ));
        }
        Err(e) => {
            return Err(format!(
                "{name}: {} ({})",
                e.powertrack_message(),
                e.detail()
            ));
        }
    };
    // Given ids must be unique; values too (the first rule with a value wins, as PowerTrack
    // keeps the stored rule).
    let mut given: HashMap<u64, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(id) = e.id
            && let Some(first) = given.insert(id, i)
        {
            return Err(format!(
                "{name}: rules {} and {} have the same id {id}",
                first + 1,
                i + 1
            ));
        }
    }
    let mut used: HashSet<u64> = given.keys().copied().collect();
    let mut values: HashMap<&str, (usize, u64)> = HashMap::new();
    let mut rules = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(&(first, first_id)) = values.get(e.value.as_str()) {
            warnings.push(format!(
                "{name}: rule {}: A rule with this value already exists (rule {}, id {first_id}); skipped",
                i + 1,
                first + 1
            ));
            continue;
        }
        let rule = Rule::parse(&e.value).map_err(|err| {
            format!(
                "{name}: rule {} ({:?}): {}",
                i + 1,
                e.value,
                err.powertrack_message().trim_end()
            )
        })?;
        let id = if let Some(id) = e.id {
            id
        } else {
            // Deterministic for the file: derived from the value, stepped past any id in use.
            let mut id = fnv1a64(e.value.as_bytes()) >> 1;
            while !used.insert(id) {
                id = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 1) >> 1;
            }
            id
        };
        values.insert(e.value.as_str(), (i, id));
        rules.push(FileRule {
            entry: RuleEntry {
                value: e.value.clone(),
                tag: e.tag.clone(),
                id: Some(id),
            },
            rule,
            explicit: e.id.is_some(),
        });
    }
    Ok(RulesFile {
        bytes,
        rules,
        warnings,
    })
}

/// What turns the rules `current` into the file's: the ids to delete (rules whose value left
/// the file, or whose tag or given id changed) and the rules to add (values new to the set,
/// or re-added with their new tag or id).
pub(crate) fn diff(current: &[RuleEntry], file: &RulesFile) -> (Vec<u64>, Vec<RuleEntry>) {
    let wanted: HashMap<&str, &FileRule> = file
        .rules
        .iter()
        .map(|r| (r.entry.value.as_str(), r))
        .collect();
    let mut deletes = Vec::new();
    let mut kept: HashMap<&str, u64> = HashMap::new();
    for r in current {
        let id = r.id.unwrap_or_default();
        match wanted.get(r.value.as_str()) {
            Some(w) if w.entry.tag == r.tag && (!w.explicit || w.entry.id == r.id) => {
                kept.insert(r.value.as_str(), id);
            }
            _ => deletes.push(id),
        }
    }
    let staying: HashSet<u64> = kept.values().copied().collect();
    let adds = file
        .rules
        .iter()
        .filter(|r| !kept.contains_key(r.entry.value.as_str()))
        .map(|r| {
            let mut e = r.entry.clone();
            // A derived id that a staying rule holds (a hash collision): let the store choose.
            if !r.explicit && e.id.is_some_and(|id| staying.contains(&id)) {
                e.id = None;
            }
            e
        })
        .collect();
    (deletes, adds)
}
