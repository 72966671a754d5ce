//! The project's documents stand alone: every relative link and every path named in README.md
//! and `docs/` exists inside the repository, and every `#anchor` names a heading of its file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// README.md and the Markdown files under docs/.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut md: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        md.sort();
        docs.extend(md);
    }
    docs
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> HashSet<String> {
    prose_lines(text)
        .filter(|(_, line)| line.starts_with('#'))
        .map(|(_, line)| slug(line.trim_start_matches('#')))
        .collect()
}

/// `(line number, line)` of the lines outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut in_code = false;
    text.lines().enumerate().filter_map(move |(n, line)| {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            return None;
        }
        (!in_code).then_some((n + 1, line))
    })
}

/// `(target, line)` of every Markdown link `[..](target)` outside code blocks.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((after[..end].to_string(), n));
            rest = &after[end..];
        }
    }
    out
}

/// `(path, line)` of every inline-code span that names a file or folder of the repository:
/// a relative path with a `/`, made only of path characters.
fn named_paths(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        for (i, span) in line.split('`').enumerate() {
            let looks_like_path = i % 2 == 1
                && span.contains('/')
                && !span.starts_with('/')
                && !span.contains("://")
                && span
                    .chars()
                    .all(|c| c.is_alphanumeric() || "/._-".contains(c))
                && (span.starts_with("..") || has_repo_root(span));
            if looks_like_path {
                out.push((span.to_string(), n));
            }
        }
    }
    out
}

/// Whether `path` starts with a top-level entry of the repository (so `a/b` in prose, or a
/// media type like `application/json`, is not taken for a path).
fn has_repo_root(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or_default();
    [
        "src", "crates", "docs", "tests", "benches", "examples", "grammar", "fuzz", ".ci",
    ]
    .contains(&first)
}

fn inside(root: &Path, path: &Path) -> Option<bool> {
    let real = path.canonicalize().ok()?;
    Some(real.starts_with(root.canonicalize().ok()?))
}

#[test]
fn every_link_and_path_of_the_docs_stays_in_the_repository_and_exists() {
    let root = crate::common::root();
    let mut wrong = Vec::new();
    for doc in documents(&root) {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc
            .strip_prefix(&root)
            .unwrap_or(&doc)
            .display()
            .to_string();
        let dir = doc.parent().unwrap();
        for (target, line) in links(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file_path = if file.is_empty() {
                doc.clone()
            } else {
                dir.join(file)
            };
            match inside(&root, &file_path) {
                None => wrong.push(format!("{name}:{line}: {target}: no such file")),
                Some(false) => {
                    wrong.push(format!("{name}:{line}: {target}: leaves the repository"));
                }
                Some(true) => {
                    let is_md = file_path.extension().is_some_and(|e| e == "md");
                    if !anchor.is_empty() && is_md {
                        let there = std::fs::read_to_string(&file_path).unwrap_or_default();
                        if !anchors(&there).contains(anchor) {
                            wrong.push(format!("{name}:{line}: {target}: no such heading"));
                        }
                    }
                }
            }
        }
        for (path, line) in named_paths(&text) {
            // Named from the repository's root, or from the document's folder.
            let found = [root.join(&path), dir.join(&path)]
                .iter()
                .find_map(|p| inside(&root, p));
            match found {
                None => wrong.push(format!("{name}:{line}: `{path}`: no such file")),
                Some(false) => {
                    wrong.push(format!("{name}:{line}: `{path}`: leaves the repository"));
                }
                Some(true) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checker_finds_what_it_should() {
    assert_eq!(slug("The firehose log"), "the-firehose-log");
    assert_eq!(
        slug(" `--rule-stats` and Ctrl-C"),
        "--rule-stats-and-ctrl-c"
    );
    let text = "see [a](docs/x.md#y) and `crates/powertrack-cli/src/main.rs`, not `application/json`\n```\n[b](c)\n```\n";
    assert_eq!(links(text), [("docs/x.md#y".to_string(), 1)]);
    assert_eq!(
        named_paths(text),
        [("crates/powertrack-cli/src/main.rs".to_string(), 1)]
    );
    assert_eq!(
        named_paths("`../shared/data`"),
        [("../shared/data".to_string(), 1)]
    );
}

/// An example of docs/matching-semantics.md: a rule and a post it should or should not match.
struct Example {
    line: usize,
    rule: String,
    post: String,
    matches: bool,
}

/// The examples: in `text` blocks, a `rule:` line, then `matches:` / `no match:` lines, each a
/// JSON post or `text: …` (the minimal native post with that text, by user 2, id 1000).
fn semantics_examples(text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut rule: Option<String> = None;
    let mut in_block = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            in_block = line == "```text";
            rule = None;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(r) = line.strip_prefix("rule:") {
            rule = Some(r.trim().to_string());
            continue;
        }
        let (matches, post) = if let Some(p) = line.strip_prefix("matches:") {
            (true, p)
        } else if let Some(p) = line.strip_prefix("no match:") {
            (false, p)
        } else {
            continue;
        };
        let rule = rule
            .clone()
            .unwrap_or_else(|| panic!("line {}: a post before its rule", n + 1));
        let post = post.trim_start();
        let post = match post.strip_prefix("text: ") {
            Some(t) => serde_json::json!({
                "id_str": "1000",
                "text": t,
                "user": {"id_str": "2", "screen_name": "someone"}
            })
            .to_string(),
            None => post.to_string(),
        };
        out.push(Example {
            line: n + 1,
            rule,
            post,
            matches,
        });
    }
    out
}

/// Every example of docs/matching-semantics.md holds, for the matcher and for the reference
/// evaluator alike.
#[test]
fn every_example_of_the_matching_semantics_holds() {
    use powertrack::matcher::RuleSetBuilder;
    use powertrack::post::{Line, Parser};
    use powertrack::syntax::Rule;
    let path = crate::common::root().join("docs/matching-semantics.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let examples = semantics_examples(&text);
    assert!(examples.len() >= 100, "{} examples", examples.len());
    let mut wrong = Vec::new();
    let mut parser = Parser::new();
    for e in &examples {
        let rule = match Rule::parse(&e.rule) {
            Ok(r) => r,
            Err(err) => {
                wrong.push(format!("line {}: `{}`: {err}", e.line, e.rule));
                continue;
            }
        };
        let mut b = RuleSetBuilder::new();
        b.add_value(1, None, &e.rule).unwrap();
        let matcher = match b.build().unwrap().matching_ids(e.post.as_bytes()) {
            Ok(ids) => !ids.is_empty(),
            Err(err) => {
                wrong.push(format!("line {}: the post does not parse: {err}", e.line));
                continue;
            }
        };
        let reference = match parser.parse(e.post.as_bytes()) {
            Ok(Line::Post(post)) => powertrack::reference::matches(&rule, &post),
            _ => false,
        };
        if matcher != e.matches || reference != e.matches {
            wrong.push(format!(
                "line {}: `{}` {} the post (matcher: {matcher}, reference: {reference})",
                e.line,
                e.rule,
                if e.matches {
                    "should match"
                } else {
                    "should not match"
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
