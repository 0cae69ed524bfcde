//! `forbidden-builtin`: built-ins that run code, import by name, expose
//! namespaces or wait for a terminal.
//!
//! **What it blocks.** Calls of, and references to, the policy's forbidden
//! built-ins (by default `eval`, `exec`, `compile`, `__import__`,
//! `globals`, `locals`, `vars`, `breakpoint`, `help`, `input`). A reference
//! is blocked as well as a call because `f = eval; f(s)` or a `__reduce__`
//! returning `(eval, ...)` runs it just the same. `input` and `help` are
//! ordinary names often enough that only calling them is blocked. A
//! function's own parameter or local of that name is not the built-in and
//! is left alone; at module level a read may fall back to the built-in, so
//! there the name is always judged.
//!
//! **Why.** `eval`/`exec`/`compile` run code the checker never saw;
//! `__import__` imports by a computed name; `globals`/`locals`/`vars` hand
//! out namespaces (and `vars(module)` its whole dictionary); `input`,
//! `help` and `breakpoint` wait for a terminal that does not exist.
//!
//! **Example.**
//! ```python
//! eval("1 + 1")          # forbidden-builtin: write the expression directly
//! handler = exec         # forbidden-builtin
//! value = json.loads(s)  # fine
//! ```

use ruff_python_ast::{ExprCall, ExprContext, ExprName};
use ruff_text_size::Ranged as _;

use super::RuleViolation;
use crate::policy::Rule;
use crate::policy::check::Checker;
use crate::policy::modules::builtin_hint;

/// A forbidden built-in, called or used as a value.
enum ForbiddenBuiltin<'a> {
    Called(&'a str),
    Referenced(&'a str),
}

impl RuleViolation for ForbiddenBuiltin<'_> {
    const RULE: Rule = Rule::ForbiddenBuiltin;

    fn message(&self) -> String {
        match *self {
            Self::Called(id) => format!(
                "`{id}()` is blocked by the sandbox policy; {}",
                builtin_hint(id)
            ),
            Self::Referenced(id) => format!(
                "`{id}` is blocked by the sandbox policy, even as a value; {}",
                builtin_hint(id)
            ),
        }
    }
}

/// Names that are only blocked when called.
const CALL_ONLY: &[&str] = &["input", "help"];

pub(crate) fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let ruff_python_ast::Expr::Name(name) = call.func.as_ref() else {
        return;
    };
    let id = name.id.as_str();
    if checker.policy.forbids_builtin(id) && !checker.is_function_local(id) {
        checker.judge_callee(call.func.range());
        checker.report(name.range, ForbiddenBuiltin::Called(id));
    }
}

pub(crate) fn check_name(checker: &mut Checker<'_>, name: &ExprName) {
    let id = name.id.as_str();
    if name.ctx != ExprContext::Load
        || CALL_ONLY.contains(&id)
        || !checker.policy.forbids_builtin(id)
        || checker.is_function_local(id)
    {
        return;
    }
    if checker.is_judged_callee(name.range()) {
        return;
    }
    checker.report(name.range(), ForbiddenBuiltin::Referenced(id));
}
