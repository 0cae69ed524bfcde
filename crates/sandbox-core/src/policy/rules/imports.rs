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

use super::RuleViolation;
use crate::policy::check::Checker;
use crate::policy::modules::import_hint;
use crate::policy::{ModuleDecision, Rule};

/// An import the policy refuses.
enum BlockedImport<'a> {
    /// `from .x import y`: no package around the program.
    Relative { level: u32, module: &'a str },
    /// On the deny list, as `entry`.
    Denied { module: &'a str, entry: String },
    /// On neither list under a deny-by-default policy; `allowed` summarises
    /// the allow list.
    Unlisted { module: &'a str, allowed: String },
}

impl RuleViolation for BlockedImport<'_> {
    const RULE: Rule = Rule::BlockedImport;

    fn message(&self) -> String {
        match self {
            Self::Relative { level, module } => {
                let dots = ".".repeat(*level as usize);
                format!(
                    "relative import `from {dots}{module} import ...` has no package to resolve \
                     against in the sandbox; import the module by name, e.g. `import helper`"
                )
            }
            Self::Denied { module, entry } => format!(
                "import of `{module}` is blocked: `{entry}` is on the sandbox policy's deny list; {}",
                import_hint(module)
            ),
            Self::Unlisted { module, allowed } => format!(
                "import of `{module}` is blocked: `{}` is not on the sandbox policy's allow list \
                 (allowed: {allowed}); {}",
                top_level(module),
                import_hint(module)
            ),
        }
    }
}

/// `os` of `os.path`.
fn top_level(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

pub(crate) fn check_import(checker: &mut Checker<'_>, import: &StmtImport) {
    for alias in &import.names {
        let module = alias.name.id.as_str();
        if let Some(violation) = refusal(checker, module) {
            checker.report(alias.range, violation);
        }
    }
}

pub(crate) fn check_import_from(checker: &mut Checker<'_>, import: &StmtImportFrom) {
    if import.level > 0 {
        let module = import.module.as_ref().map_or("", |m| m.id.as_str());
        let level = import.level;
        checker.report(import.range, BlockedImport::Relative { level, module });
        return;
    }
    let Some(module) = &import.module else {
        return;
    };
    let Some(violation) = refusal(checker, module.id.as_str()) else {
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
        checker.report(module.range, violation);
    }
}

/// Why an import of `module` is refused, or `None` when it is allowed.
fn refusal<'a>(checker: &Checker<'_>, module: &'a str) -> Option<BlockedImport<'a>> {
    match checker.policy.module(module) {
        ModuleDecision::Allowed(_) => None,
        ModuleDecision::Denied(entry) => Some(BlockedImport::Denied { module, entry }),
        ModuleDecision::Unlisted if checker.local_modules.contains(top_level(module)) => None,
        ModuleDecision::Unlisted => Some(BlockedImport::Unlisted {
            module,
            allowed: allowed_summary(checker),
        }),
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
