//! `module-internals`: reaching a blocked module, or a module's private
//! names, through a module the policy allows.
//!
//! **What it blocks.** On anything that may hold a module (a name bound by
//! `import`, and what it flows into: `m = pathlib`, attribute chains,
//! returns of the program's own functions, literal containers,
//! `getattr(pathlib, "os")`; see the alias analysis): attributes that name
//! a denied module (`typing.sys`, `pathlib.os`, `enum.bltns`, which is
//! `builtins`) or are private (`random._os`, `json._default_decoder`); the
//! same names as `getattr` literals; and the same names in
//! `from allowed import ...`. On names bound by `from allowed import x`,
//! which are modules as often as classes, only denied modules' names.
//!
//! **Why.** Allowed modules import blocked ones for their own use and keep
//! them as attributes; `import random; random._os.system(...)` imports
//! nothing the import rule could see, and `m = pathlib; m.os` hides the
//! module behind another name.
//!
//! **Example.**
//! ```python
//! import pathlib, random
//! random._os.getcwd()   # module-internals
//! m = pathlib
//! m.os.system("sh")     # module-internals
//! random.randint(1, 6)  # fine
//! ```

use ruff_python_ast::{Expr, ExprAttribute, ExprCall, StmtImportFrom};
use ruff_text_size::Ranged as _;

use super::{RuleViolation, is_dunder, nfkc};
use crate::policy::aliases::Origin;
use crate::policy::check::Checker;
use crate::policy::{ModuleDecision, Rule};

/// A module's internals, or a denied module reached through an allowed one.
enum ModuleInternals<'a> {
    /// `random._os`: a module's private name.
    PrivateName(&'a str),
    /// `asyncio.exceptions_mod`: a public name holding a denied module.
    Renamed {
        attr: &'a str,
        module: &'static str,
        entry: String,
    },
    /// `typing.sys`: a denied module under its own name.
    Denied { attr: &'a str, entry: String },
}

impl RuleViolation for ModuleInternals<'_> {
    const RULE: Rule = Rule::ModuleInternals;

    fn message(&self) -> String {
        match self {
            Self::PrivateName(attr) => format!(
                "`{attr}` is a private name of a module and is blocked by the sandbox policy \
                 (modules keep what they imported under such names); use the module's public API"
            ),
            Self::Renamed {
                attr,
                module,
                entry,
            } => format!(
                "`{attr}` is the module `{module}`, which the sandbox policy denies (`{entry}` is \
                 on its deny list), reached through an allowed module; use the allowed module's \
                 own functions"
            ),
            Self::Denied { attr, entry } => format!(
                "`{attr}` reaches the module `{entry}`, which the sandbox policy denies, \
                 through an allowed module; use the allowed module's own functions"
            ),
        }
    }
}

/// Public attributes of standard-library modules that hold a denied module
/// under another name (found by importing every standard-library module of
/// CPython 3.10 to 3.13 and comparing each module attribute's name with the
/// module's own).
const RENAMED_MODULES: &[(&str, &str)] = &[
    ("bltns", "builtins"),
    ("exceptions_mod", "asyncio.exceptions"),
    ("reducer", "multiprocessing.reduction"),
];

/// Submodules of allowed packages whose names are those of denied modules:
/// `pd.api.types` is pandas' own module, not the standard library's `types`.
const SUBMODULES_NAMED_LIKE_DENIED: &[&str] = &["pandas.api.types", "pandas.io.pickle"];

pub(crate) fn check_attribute(checker: &mut Checker<'_>, attribute: &ExprAttribute) {
    let Some(origin) = checker.modules.origin(&attribute.value) else {
        return;
    };
    let attr = attribute.attr.id.as_str();
    if let Some(owner) = checker.modules.dotted(&attribute.value) {
        let dotted = format!("{owner}.{attr}");
        if SUBMODULES_NAMED_LIKE_DENIED.contains(&dotted.as_str())
            && checker.policy.module(&dotted).is_allowed()
        {
            return;
        }
    }
    if let Some(violation) = refusal(checker, attr, origin) {
        checker.report(attribute.attr.range, violation);
    }
}

/// `getattr(module, "name")` with a literal name reads the same attribute
/// as `module.name`.
pub(crate) fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let Expr::Name(callee) = call.func.as_ref() else {
        return;
    };
    if callee.id.as_str() != "getattr" || checker.is_function_local("getattr") {
        return;
    }
    let [object, Expr::StringLiteral(name), ..] = &*call.arguments.args else {
        return;
    };
    let Some(origin) = checker.modules.origin(object) else {
        return;
    };
    let attr = nfkc(name.value.to_str()).into_owned();
    if let Some(violation) = refusal(checker, &attr, origin) {
        checker.report(name.range(), violation);
    }
}

pub(crate) fn check_import_from(checker: &mut Checker<'_>, import: &StmtImportFrom) {
    if import.level > 0 || import.module.is_none() {
        return;
    }
    for alias in &import.names {
        let name = alias.name.id.as_str();
        if let Some(violation) = refusal(checker, name, Origin::Import) {
            checker.report(alias.name.range, violation);
        }
    }
}

/// Why reading `attr` from a value that came from a module (as `origin`
/// says) is refused, or `None`.
fn refusal<'a>(
    checker: &Checker<'_>,
    attr: &'a str,
    origin: Origin,
) -> Option<ModuleInternals<'a>> {
    if is_dunder(attr) {
        return None; // the introspection rule judges dunders
    }
    if attr.starts_with('_') {
        // Private names of what `from m import x` bound may be a class's
        // (`Enum._member_map_`); only a module's are judged.
        return (origin == Origin::Import).then_some(ModuleInternals::PrivateName(attr));
    }
    if let Some(&(_, module)) = RENAMED_MODULES.iter().find(|(name, _)| *name == attr) {
        return match checker.policy.module(module) {
            ModuleDecision::Denied(entry) => Some(ModuleInternals::Renamed {
                attr,
                module,
                entry,
            }),
            _ => None,
        };
    }
    match checker.policy.module(attr) {
        ModuleDecision::Denied(entry) if checker.policy.deny_modules.contains(attr) => {
            Some(ModuleInternals::Denied { attr, entry })
        }
        _ => None,
    }
}
