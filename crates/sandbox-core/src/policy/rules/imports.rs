//! `blocked-import`: imports of modules the policy does not allow.
//!
//! **What it blocks.** `import x`, `import x.y as z` and `from x import y`
//! when `x` (or `x.y`) is denied or, under a deny-by-default policy, on
//! neither list; submodules follow their package (`os.path` is `os`).
//! Relative imports (`from . import x`) are refused too: the program is a
//! single `main.py` with no package around it. Dynamic imports
//! (`__import__`, `importlib`) are covered by `forbidden-builtin` and the
//! deny list, and at run time by the import guard.
//!
//! **Why.** Modules are where the dangerous abilities live: running
//! programs, the network, the interpreter's internals. Refusing them before
//! anything runs gives the user a precise message instead of a kernel
//! `PermissionError` half-way through.
//!
//! **Example.**
//! ```python
//! import subprocess          # blocked-import: running programs is not allowed
//! from os import listdir     # blocked-import: use open() or pathlib.Path
//! import json                # fine
//! ```

use ruff_python_ast::{StmtImport, StmtImportFrom};

use crate::policy::check::Checker;
use crate::policy::modules::import_hint;
use crate::policy::{ModuleDecision, Rule};

pub(crate) fn check_import(checker: &mut Checker<'_>, import: &StmtImport) {
    for alias in &import.names {
        let module = alias.name.id.as_str();
        if let Some(message) = refusal(checker, module) {
            checker.report(Rule::BlockedImport, alias.range, message);
        }
    }
}

pub(crate) fn check_import_from(checker: &mut Checker<'_>, import: &StmtImportFrom) {
    if import.level > 0 {
        let dots = ".".repeat(import.level as usize);
        let module = import.module.as_ref().map_or("", |m| m.id.as_str());
        checker.report(
            Rule::BlockedImport,
            import.range,
            format!(
                "relative import `from {dots}{module} import ...` has no package to resolve \
                 against in the sandbox; import the module by name, e.g. `import helper`"
            ),
        );
        return;
    }
    let Some(module) = &import.module else {
        return;
    };
    let Some(message) = refusal(checker, module.id.as_str()) else {
        return;
    };
    // `from os import path` may still be fine when `os.path` itself is
    // allowed by a more specific entry.
    let all_allowed_below = import.names.iter().all(|alias| {
        let full = format!("{}.{}", module.id, alias.name.id);
        matches!(
            checker.policy.module(&full),
            ModuleDecision::Allowed(Some(entry)) if entry.len() > module.id.len()
        )
    });
    if !all_allowed_below {
        checker.report(Rule::BlockedImport, module.range, message);
    }
}

/// The message for a refused import of `module`, or `None` when allowed.
pub(crate) fn refusal(checker: &Checker<'_>, module: &str) -> Option<String> {
    let top = module.split('.').next().unwrap_or(module);
    match checker.policy.module(module) {
        ModuleDecision::Allowed(_) => None,
        ModuleDecision::Denied(entry) => Some(format!(
            "import of `{module}` is blocked: `{entry}` is on the sandbox policy's deny list; {}",
            import_hint(module)
        )),
        ModuleDecision::Unlisted if checker.local_modules.contains(top) => None,
        ModuleDecision::Unlisted => Some(format!(
            "import of `{module}` is blocked: `{top}` is not on the sandbox policy's allow list \
             (allowed: {}); {}",
            allowed_summary(checker),
            import_hint(module)
        )),
    }
}

fn allowed_summary(checker: &Checker<'_>) -> String {
    let allowed: Vec<&str> = checker
        .policy
        .allow_modules
        .iter()
        .map(String::as_str)
        // Implementation modules (`_strptime`) are no advice to a user, nor
        // are modules the interpreter does not have.
        .filter(|m| !m.starts_with('_') || m.starts_with("__"))
        .filter(|m| checker.policy.is_installed(m))
        .collect();
    if allowed.is_empty() {
        "none".into()
    } else {
        allowed.join(", ")
    }
}
