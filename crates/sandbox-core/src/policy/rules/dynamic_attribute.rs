//! `dynamic-attribute`: attribute access by a computed or dunder name.
//!
//! **What it blocks.** `getattr`, `setattr` and `delattr` whose name is not
//! a string literal, or is a `__dunder__`; `operator.attrgetter` and
//! `operator.methodcaller` likewise; and passing these functions around as
//! values (`f = getattr`), which hides the call from the check.
//!
//! **Why.** The introspection escapes (`__subclasses__`, `__globals__`,
//! frames) are blocked as attribute names in the source; a name assembled
//! at run time (`getattr(x, "__glo" + "bals__")`) would walk straight past
//! that check.
//!
//! **Example.**
//! ```python
//! getattr(obj, name)            # dynamic-attribute: use a dict, or obj.name
//! getattr(obj, "__class__")     # dynamic-attribute
//! getattr(obj, "size", 0)       # fine
//! ```

use ruff_python_ast::{Expr, ExprCall, ExprContext, ExprName};
use ruff_text_size::Ranged as _;

use super::{RuleViolation, is_dunder, nfkc};
use crate::policy::Rule;
use crate::policy::check::Checker;

/// An attribute reached by a name the checker cannot see, or a dunder.
enum DynamicAttribute<'a> {
    /// `getattr(*args)`: the name is in the unpacked arguments.
    Unpacked { callee: &'a str },
    /// `getattr(x, "__class__")`.
    Dunder { callee: &'a str, part: &'a str },
    /// `getattr(x, name)`.
    Computed { callee: &'a str },
    /// `f = getattr`.
    AsValue(&'a str),
}

impl RuleViolation for DynamicAttribute<'_> {
    const RULE: Rule = Rule::DynamicAttribute;

    fn message(&self) -> String {
        match *self {
            Self::Unpacked { callee } => format!(
                "`{callee}()` with unpacked arguments hides the attribute name; \
                 spell the attribute out: `obj.name`"
            ),
            Self::Dunder { callee, part } => format!(
                "`{callee}()` of the dunder attribute `{part}` is blocked by the \
                 sandbox policy; dunder attributes open introspection escapes"
            ),
            Self::Computed { callee } => format!(
                "`{callee}()` with a computed attribute name is blocked by the sandbox \
                 policy (the name cannot be checked); spell the attribute out \
                 (`obj.name`) or keep the values in a dict"
            ),
            Self::AsValue(id) => format!(
                "`{id}` used as a value hides which attribute it reaches; call it directly with a \
                 literal name, or spell the attribute out"
            ),
        }
    }
}

/// Built-ins whose second argument is an attribute name.
const NAME_FUNCTIONS: &[&str] = &["getattr", "setattr", "delattr"];
/// `operator` functions whose arguments are attribute (or method) names.
const OPERATOR_FUNCTIONS: &[&str] = &["attrgetter", "methodcaller"];

pub(crate) fn check_call(checker: &mut Checker<'_>, call: &ExprCall) {
    let callee = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.id.as_str(),
        _ => return,
    };
    if !NAME_FUNCTIONS.contains(&callee) && !OPERATOR_FUNCTIONS.contains(&callee) {
        return;
    }
    if matches!(call.func.as_ref(), Expr::Name(_)) && checker.is_function_local(callee) {
        return;
    }
    let names: Vec<&Expr> =
        if NAME_FUNCTIONS.contains(&callee) && matches!(call.func.as_ref(), Expr::Name(_)) {
            checker.judge_callee(call.func.range());
            call.arguments.args.get(1).into_iter().collect()
        } else if OPERATOR_FUNCTIONS.contains(&callee) {
            checker.judge_callee(call.func.range());
            // methodcaller's later arguments are the call's arguments.
            let take = if callee == "methodcaller" {
                1
            } else {
                usize::MAX
            };
            call.arguments.args.iter().take(take).collect()
        } else {
            return;
        };
    let unpacked = call.arguments.args.iter().any(Expr::is_starred_expr)
        || call.arguments.keywords.iter().any(|k| k.arg.is_none());
    if unpacked {
        checker.report(call.range(), DynamicAttribute::Unpacked { callee });
        return;
    }
    for name in names {
        match name {
            Expr::StringLiteral(literal) => {
                let text = nfkc(literal.value.to_str()).into_owned();
                if let Some(part) = text.split('.').find(|part| is_dunder(part)) {
                    checker.report(literal.range, DynamicAttribute::Dunder { callee, part });
                }
            }
            other => checker.report(other.range(), DynamicAttribute::Computed { callee }),
        }
    }
}

pub(crate) fn check_name(checker: &mut Checker<'_>, name: &ExprName) {
    let id = name.id.as_str();
    if name.ctx != ExprContext::Load
        || !NAME_FUNCTIONS.contains(&id)
        || checker.is_judged_callee(name.range())
        || checker.is_function_local(id)
    {
        return;
    }
    checker.report(name.range, DynamicAttribute::AsValue(id));
}
