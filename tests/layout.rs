//! The layout's one-way doors: inside every source folder of the workspace (the engine's `src/`
//! and each `crates/*/src/`), no files import each other in a loop, so each folder reads from
//! its leaves up. Imports are read from the source text: every `crate::a::b…` path, `super::…`
//! path and `use crate::{…}` / `use super::{…}` list, comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::root;

/// Module path (e.g. `["post", "view"]`) → the paths it names.
type Refs = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/post/view.rs` → `["post", "view"]`; `mod.rs` and `lib.rs` name their folder.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn path_after(text: &str, at: usize) -> Vec<String> {
    let rest = &text[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    rest[..end]
        .split("::")
        .take_while(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every module path a file's code names, resolved from the crate root.
fn references(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    // `super` of `a/b.rs` and of `a/b/mod.rs` (both module a::b) is `a`.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let mut out = BTreeSet::new();
    for (prefix, root) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut from = 0;
        while let Some(i) = code[from..].find(prefix) {
            let at = from + i + prefix.len();
            from = at;
            // `xcrate::` or `self::super::` are not what is looked for.
            let before = code[..at - prefix.len()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            // `prefix a::b`, or `prefix a::{b, c::D}` (each item's first name counts).
            let mut base = root.clone();
            base.extend(path_after(code, at));
            let after = at
                + code[at..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(code.len() - at);
            if code[after..].starts_with('{') {
                let close = code[after..].find('}').map_or(code.len(), |j| after + j);
                for item in code[after + 1..close].split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() && first != "self" {
                        let mut p = base.clone();
                        p.push(first.to_owned());
                        out.insert(p);
                    }
                }
            } else {
                out.insert(base);
            }
        }
    }
    out
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The import loops among the files of each folder of the source tree at `src`.
fn loops_in(src: &Path) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut refs = Refs::new();
    for file in &files {
        let module = module_of(src, file);
        let code = without_comments(&std::fs::read_to_string(file).unwrap());
        refs.entry(module.clone())
            .or_default()
            .extend(references(&module, &code));
    }
    // An edge a → b when b is a sibling of a (same folder) and a names b or something in it.
    let modules: BTreeSet<Vec<String>> = refs.keys().cloned().collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (a, named) in &refs {
        let Some((_, folder)) = a.split_last() else {
            continue;
        };
        for path in named {
            if path.len() > folder.len() && path[..folder.len()] == *folder {
                let sibling = path[..=folder.len()].to_vec();
                if sibling != *a && modules.contains(&sibling) {
                    edges.entry(a.clone()).or_default().insert(sibling);
                }
            }
        }
    }
    // Each loop once: a path from a module back to itself through lower-ordered modules only.
    let mut loops = Vec::new();
    for start in &modules {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    loops.push(path.iter().map(|m| m.join("/")).collect());
                } else if next > start && !path.contains(next) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    loops
}

#[test]
fn no_folder_has_files_that_import_each_other_in_a_loop() {
    let root = root();
    let mut trees = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        trees.push(entry.path().join("src"));
    }
    let mut found = Vec::new();
    for src in &trees {
        for cycle in loops_in(src) {
            found.push(format!("{}: {}", src.display(), cycle.join(" → ")));
        }
    }
    assert!(trees.len() >= 4, "the engine and its crates: {trees:?}");
    assert!(found.is_empty(), "import loops:\n{}", found.join("\n"));
}

/// The checker finds a loop when there is one (so the test above can fail).
#[test]
fn a_loop_between_two_files_is_found() {
    let dir = std::env::temp_dir().join(format!("powertrack-layout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "mod x;\nmod y;\nmod z;\n").unwrap();
    std::fs::write(dir.join("a/x.rs"), "use super::y::Y; // uses y\n").unwrap();
    std::fs::write(dir.join("a/y.rs"), "use crate::a::{z::Z, x};\n").unwrap();
    std::fs::write(dir.join("a/z.rs"), "// use super::x;  (a comment)\n").unwrap();
    let loops = loops_in(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(loops, vec![vec!["a/x".to_owned(), "a/y".to_owned()]]);
}
