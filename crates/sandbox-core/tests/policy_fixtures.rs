//! The policy's fixtures, driven by one harness:
//! - `resources/allowed/*.py`: ordinary programs (the false-positive
//!   corpus) that the default policy must accept without a diagnostic (the
//!   root suite also runs each in the sandbox);
//! - `resources/denied/*.py`: rule exercises and bypass attempts that it
//!   must refuse. Each starts with `# expect: rule, rule` naming exactly the
//!   rules that fire; the rendered diagnostics are snapshot-tested.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use sandbox_core::Policy;
use sandbox_core::policy::{Rejection, render_diagnostics, validate};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("resources")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn ordinary_programs_pass_the_default_policy() {
    let files = fixtures("allowed");
    assert!(files.len() >= 30, "the corpus has {} programs", files.len());
    let mut refused = Vec::new();
    for path in &files {
        let code = fs::read_to_string(path).unwrap();
        match validate(
            &code,
            None,
            Some(Policy::secure_default()),
            &BTreeSet::new(),
        ) {
            Ok(()) => {}
            Err(Rejection::Policy(diagnostics)) => {
                refused.push(render_diagnostics(&name(path), &diagnostics));
            }
            Err(Rejection::Syntax { issue, .. }) => {
                refused.push(format!("{}: syntax error: {issue:?}", name(path)));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "false positives:\n{}",
        refused.join("\n")
    );
}

#[test]
fn attacks_and_rule_exercises_are_refused_with_diagnostics() {
    let files = fixtures("denied");
    assert!(files.len() >= 25, "{} denied fixtures", files.len());
    for path in &files {
        let name = name(path);
        let code = fs::read_to_string(path).unwrap();
        let expected: BTreeSet<String> = code
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: rule, ...`"))
            .split(',')
            .map(|rule| rule.trim().to_owned())
            .collect();
        let diagnostics = match validate(
            &code,
            None,
            Some(Policy::secure_default()),
            &BTreeSet::new(),
        ) {
            Err(Rejection::Policy(diagnostics)) => diagnostics,
            other => panic!("{name}: expected policy violations, got {other:?}"),
        };
        let fired: BTreeSet<String> = diagnostics
            .iter()
            .map(|d| d.rule.code().to_owned())
            .collect();
        assert_eq!(fired, expected, "{name}: rules fired");
        let rendered = render_diagnostics(&name, &diagnostics);
        insta::with_settings!({
            snapshot_path => "../resources/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.trim_end_matches(".py"), rendered);
        });
    }
}
