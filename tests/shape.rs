//! The shape of the code: `sandbox-core`'s and `sandbox-server`'s top-level
//! modules import each other without a cycle, so each can be read (and
//! moved) from the leaves up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of the crate at `src` and the modules its code
/// (not its tests) names as `crate::module`. A module is `name.rs` or the
/// directory `name/`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut text = String::new();
        if path.is_dir() {
            for file in walk(&path) {
                text.push_str(&code_of(&file));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            text = code_of(&path);
        } else {
            continue;
        }
        let used: BTreeSet<String> = text
            .match_indices("crate::")
            .map(|(at, _)| {
                text[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|used| !used.is_empty() && *used != name)
            .collect();
        graph.insert(name, used);
    }
    graph
}

/// A file's code without its tests: nothing of a test file (`tests.rs`,
/// `*_tests.rs`), nothing from a `#[cfg(test)] mod` on.
fn code_of(file: &Path) -> String {
    let stem = file.file_stem().unwrap().to_string_lossy();
    if stem == "tests" || stem.ends_with("_tests") {
        return String::new();
    }
    let text = std::fs::read_to_string(file).unwrap();
    match text.find("#[cfg(test)]\nmod ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// A cycle through `graph`'s modules, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next)
                && let Some(found) = visit(next, graph, path, done)
            {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn core_and_server_modules_import_each_other_without_a_cycle() {
    for krate in ["sandbox-core", "sandbox-server"] {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates")
            .join(krate)
            .join("src");
        let graph = imports(&src);
        assert!(graph.len() > 5, "{krate}: {graph:?}");
        if let Some(found) = cycle(&graph) {
            panic!(
                "{krate}: the modules {} import each other",
                found.join(" -> ")
            );
        }
    }
}

#[test]
fn a_cycle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a", "outside"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}
