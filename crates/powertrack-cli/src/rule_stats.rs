//! `powertrack match --rule-stats FILE`: how often each rule matched, for finding the noisy
//! rules and the ones that never fire. Counted from what was written (a post whose output could
//! not be built counts for no rule), so the counts equal the `matching_rules` entries of the
//! output.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use powertrack::api::RuleEntry;

/// One line of the file.
#[derive(serde::Serialize)]
struct Line<'a> {
    id: u64,
    tag: Option<&'a str>,
    value: Option<&'a str>,
    matches: u64,
    share: f64,
}

/// Matches per rule so far.
#[derive(Debug)]
pub(crate) struct RuleStats {
    path: PathBuf,
    /// Every rule the run knew, by id: its tag and value.
    known: HashMap<u64, (Option<String>, String)>,
    matches: HashMap<u64, u64>,
    posts: u64,
}

impl RuleStats {
    pub(crate) fn new(path: PathBuf, rules: &[RuleEntry]) -> RuleStats {
        let mut s = RuleStats {
            path,
            known: HashMap::new(),
            matches: HashMap::new(),
            posts: 0,
        };
        s.know(rules);
        s
    }

    /// Adds rules (a `--watch` edit): listed at the end even if they never match.
    pub(crate) fn know(&mut self, rules: &[RuleEntry]) {
        for r in rules {
            if let Some(id) = r.id {
                self.known.insert(id, (r.tag.clone(), r.value.clone()));
            }
        }
    }

    /// Counts one batch: its posts, and the rule ids of each post written.
    pub(crate) fn add(&mut self, posts: u64, hits: &[u64]) {
        self.posts += posts;
        for &id in hits {
            *self.matches.entry(id).or_default() += 1;
        }
    }

    /// The `n` rules with the most matches, for the progress line: `#ID×COUNT …`.
    pub(crate) fn busiest(&self, n: usize) -> String {
        let mut top: Vec<(u64, u64)> = self.matches.iter().map(|(&id, &c)| (c, id)).collect();
        let n = n.min(top.len());
        if n == 0 {
            return String::new();
        }
        top.select_nth_unstable_by(n - 1, |a, b| b.cmp(a));
        top.truncate(n);
        top.sort_unstable_by(|a, b| b.cmp(a));
        let items: Vec<String> = top.iter().map(|(c, id)| format!("#{id}×{c}")).collect();
        format!(" busiest: {}", items.join(" "))
    }

    /// One JSON line per rule, the most matches first (then by id): `id`, `tag`, `value`,
    /// `matches`, `share` (of the posts read). Rules that never matched are listed with 0.
    pub(crate) fn lines(&self) -> Vec<u8> {
        let mut ids: Vec<u64> = self.known.keys().copied().collect();
        ids.extend(
            self.matches
                .keys()
                .filter(|id| !self.known.contains_key(id)),
        );
        let count = |id: &u64| self.matches.get(id).copied().unwrap_or(0);
        ids.sort_unstable_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
        let mut out = Vec::new();
        for id in ids {
            let (tag, value) = match self.known.get(&id) {
                Some((tag, value)) => (tag.as_deref(), Some(value.as_str())),
                None => (None, None),
            };
            let matches = count(&id);
            #[allow(clippy::cast_precision_loss)] // a share, to 6 digits
            let share = if self.posts == 0 {
                0.0
            } else {
                matches as f64 / self.posts as f64
            };
            let line = Line {
                id,
                tag,
                value,
                matches,
                share: (share * 1e6).round() / 1e6,
            };
            // A struct of plain fields always serialises.
            if serde_json::to_writer(&mut out, &line).is_ok() {
                out.push(b'\n');
            }
        }
        out
    }

    /// Writes [`RuleStats::lines`] to the file, replacing a regular file whole (through a
    /// renamed temporary: a reader never sees half). Anything else that exists (`/dev/stdout`,
    /// `/dev/stderr`, a FIFO) is written in place: renaming over it would replace the device.
    pub(crate) fn write(&self) -> std::io::Result<()> {
        let special = std::fs::metadata(&self.path).is_ok_and(|m| !m.is_file());
        if special {
            let mut f = std::fs::OpenOptions::new().write(true).open(&self.path)?;
            return f.write_all(&self.lines());
        }
        let tmp = tmp_path(&self.path);
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&self.lines())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busiest_first_silent_rules_listed_unknown_ids_kept() {
        let mut rules = vec![
            RuleEntry::new("snow", Some("w")),
            RuleEntry::new("rain", None),
        ];
        rules[0].id = Some(1);
        rules[1].id = Some(2);
        let mut s = RuleStats::new(PathBuf::from("x"), &rules);
        s.add(10, &[1, 1, 9, 1]);
        let text = String::from_utf8(s.lines()).unwrap();
        assert_eq!(
            text,
            "{\"id\":1,\"tag\":\"w\",\"value\":\"snow\",\"matches\":3,\"share\":0.3}\n\
             {\"id\":9,\"tag\":null,\"value\":null,\"matches\":1,\"share\":0.1}\n\
             {\"id\":2,\"tag\":null,\"value\":\"rain\",\"matches\":0,\"share\":0.0}\n"
        );
        assert_eq!(s.busiest(2), " busiest: #1×3 #9×1");
    }
}
