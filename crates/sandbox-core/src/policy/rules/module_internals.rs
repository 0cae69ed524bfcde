//! `module-internals`: reaching a blocked module, or a module's private
//! names, through a module the policy allows.
//!
//! **What it blocks.** On a name bound by `import`: attributes that name a
//! denied module (`typing.sys`, `pathlib.os`) or are private
//! (`random._os`, `json._default_decoder`); and the same names in
//! `from allowed import ...`.
//!
//! **Why.** Allowed modules import blocked ones for their own use and keep
//! them as attributes; `import random; random._os.system(...)` imports
//! nothing the import rule could see.
//!
//! **Example.**
//! ```python
//! import random
//! random._os.getcwd()   # module-internals
//! random.randint(1, 6)  # fine
//! ```

use ruff_python_ast::{Expr, ExprAttribute, StmtImportFrom};

use super::{is_dunder, nfkc};
use crate::policy::check::Checker;
use crate::policy::{ModuleDecision, Rule};

pub(crate) fn check_attribute(checker: &mut Checker<'_>, attribute: &ExprAttribute) {
    let Some(root) = module_root(&attribute.value) else {
        return;
    };
    if !checker.module_names.contains(root) {
        return;
    }
    let attr = nfkc(attribute.attr.id.as_str());
    if let Some(message) = refusal(checker, &attr) {
        checker.report(Rule::ModuleInternals, attribute.attr.range, message);
    }
}

pub(crate) fn check_import_from(checker: &mut Checker<'_>, import: &StmtImportFrom) {
    if import.level > 0 || import.module.is_none() {
        return;
    }
    for alias in &import.names {
        let name = nfkc(alias.name.id.as_str());
        if let Some(message) = refusal(checker, &name) {
            checker.report(Rule::ModuleInternals, alias.name.range, message);
        }
    }
}

/// The root name of a chain of attributes (`a` for `a.b.c`).
fn module_root(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => module_root(&attribute.value),
        _ => None,
    }
}

fn refusal(checker: &Checker<'_>, attr: &str) -> Option<String> {
    if is_dunder(attr) {
        return None; // the introspection rule judges dunders
    }
    if attr.starts_with('_') {
        return Some(format!(
            "`{attr}` is a private name of a module and is blocked by the sandbox policy \
             (modules keep what they imported under such names); use the module's public API"
        ));
    }
    match checker.policy.module(attr) {
        ModuleDecision::Denied(entry) if checker.policy.deny_modules.contains(attr) => {
            Some(format!(
                "`{attr}` reaches the module `{entry}`, which the sandbox policy denies, \
                 through an allowed module; use the allowed module's own functions"
            ))
        }
        _ => None,
    }
}
