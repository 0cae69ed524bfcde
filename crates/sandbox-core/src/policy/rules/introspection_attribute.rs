//! `introspection-attribute`: dunder, frame and code attributes that open
//! the classic escapes from Python-level sandboxes.
//!
//! **What it blocks.** Reading or writing `__subclasses__`, `__globals__`,
//! `__builtins__`, `__code__`, `__closure__`, `__bases__`, `__mro__`,
//! `__getattribute__`, `__self__` and their kin; the `__dict__` of a
//! module; frame, generator, coroutine and traceback internals (`gi_frame`,
//! `f_globals`, `f_back`, `tb_frame`, …); the names `__builtins__`,
//! `__loader__` and `__spec__`; and defining the pickling hooks
//! `__reduce__`/`__reduce_ex__`, which make `copy` or `pickle` call any
//! callable.
//!
//! **Why.** `().__class__.__bases__[0].__subclasses__()` reaches every
//! class in the interpreter, `f.__globals__["__builtins__"]` every
//! built-in, and a frame's `f_back.f_globals` the namespaces of callers.
//! Ordinary code needs none of them: `self.__class__.__name__`,
//! `__name__`, `__init__`, `__slots__` and `obj.__dict__` of one's own
//! objects stay allowed.
//!
//! **Example.**
//! ```python
//! ().__class__.__bases__[0].__subclasses__()   # introspection-attribute (twice)
//! type(self).__name__                          # fine
//! ```

use ruff_python_ast::{Expr, ExprAttribute, ExprName, StmtFunctionDef};

use super::RuleViolation;
use crate::policy::Rule;
use crate::policy::aliases::Origin;
use crate::policy::check::Checker;

/// An attribute, name or definition that opens the interpreter's internals.
enum IntrospectionAttribute<'a> {
    /// `.__globals__`, with what it exposes.
    Attribute {
        attr: &'a str,
        exposes: &'static str,
    },
    /// A module's `__dict__`; `module` when it is spelled as a name.
    ModuleDict { module: Option<&'a str> },
    /// `__builtins__`, `__loader__`, `__spec__`.
    Name(&'a str),
    /// `def __reduce__`.
    Definition(&'a str),
}

impl RuleViolation for IntrospectionAttribute<'_> {
    const RULE: Rule = Rule::IntrospectionAttribute;

    fn message(&self) -> String {
        match *self {
            Self::Attribute { attr, exposes } => format!(
                "`.{attr}` is blocked by the sandbox policy: it exposes {exposes}; \
                 ordinary code does not need it (`type(x).__name__` and \
                 `self.__class__.__name__` are fine)"
            ),
            Self::ModuleDict { module } => {
                let shown = match module {
                    Some(name) => format!("`{name}.__dict__`"),
                    None => "`.__dict__` of a module".to_owned(),
                };
                format!(
                    "{shown} is blocked by the sandbox policy: a module's dictionary holds \
                     everything it imported; use the module's public names"
                )
            }
            Self::Name(id) => format!(
                "`{id}` is blocked by the sandbox policy: it exposes the interpreter's \
                 internals; use built-ins and modules by name"
            ),
            Self::Definition(id) => format!(
                "defining `{id}` is blocked by the sandbox policy: `copy` and `pickle` call \
                 whatever it returns; keep objects plain data"
            ),
        }
    }
}

/// Attributes that reach interpreter internals, with what they expose.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("__subclasses__", "every class in the interpreter"),
    ("__globals__", "a function's global namespace"),
    ("__builtins__", "the built-ins, unfiltered"),
    ("__code__", "a function's bytecode"),
    ("__closure__", "a function's captured variables"),
    ("__defaults__", "a function's default values"),
    ("__kwdefaults__", "a function's default values"),
    ("__bases__", "the class hierarchy"),
    ("__base__", "the class hierarchy"),
    ("__mro__", "the class hierarchy"),
    ("__getattribute__", "attribute lookup itself"),
    ("__self__", "the object behind a built-in method"),
    ("__func__", "the function behind a method"),
    ("__objclass__", "the class behind a descriptor"),
    ("__import__", "the import machinery"),
    ("__loader__", "the import machinery"),
    ("__spec__", "the import machinery"),
    ("__reduce__", "the pickling protocol"),
    ("__reduce_ex__", "the pickling protocol"),
    ("__traceback__", "the frames of a traceback"),
    ("gi_frame", "a generator's frame"),
    ("gi_code", "a generator's bytecode"),
    ("gi_yieldfrom", "a generator's delegate"),
    ("cr_frame", "a coroutine's frame"),
    ("cr_code", "a coroutine's bytecode"),
    ("cr_await", "a coroutine's delegate"),
    ("ag_frame", "an async generator's frame"),
    ("ag_code", "an async generator's bytecode"),
    ("f_globals", "a frame's global namespace"),
    ("f_locals", "a frame's local namespace"),
    ("f_builtins", "a frame's built-ins"),
    ("f_back", "the calling frame"),
    ("f_code", "a frame's bytecode"),
    ("f_trace", "a frame's tracer"),
    ("tb_frame", "a traceback's frame"),
    ("tb_next", "the frames of a traceback"),
    ("co_code", "raw bytecode"),
    ("co_consts", "a code object's constants"),
];

/// Names that hand out the import machinery or the raw built-ins.
const NAMES: &[&str] = &["__builtins__", "__loader__", "__spec__"];

/// Methods whose definition turns `copy`/`pickle` into a call gadget.
const DEFINITIONS: &[&str] = &["__reduce__", "__reduce_ex__"];

pub(crate) fn check_attribute(checker: &mut Checker<'_>, attribute: &ExprAttribute) {
    let attr = attribute.attr.id.as_str();
    // Every listed name is a dunder or has a one- or two-letter prefix
    // (`f_back`, `gi_frame`); most attributes are neither and skip the table.
    let bytes = attr.as_bytes();
    let candidate =
        attr.starts_with("__") || bytes.get(1) == Some(&b'_') || bytes.get(2) == Some(&b'_');
    if let Some((_, exposes)) = ATTRIBUTES
        .iter()
        .filter(|_| candidate)
        .find(|(name, _)| *name == attr)
    {
        let exposes = *exposes;
        checker.report(
            attribute.attr.range,
            IntrospectionAttribute::Attribute { attr, exposes },
        );
        return;
    }
    // A module's `__dict__`: read from anything that holds a module, but
    // not from what an attribute chain reads out of one (`pathlib.Path` is
    // a class, and its dictionary is not the module's).
    let receiver = attribute.value.as_ref();
    if attr == "__dict__"
        && !receiver.is_attribute_expr()
        && checker.modules.origin(receiver) == Some(Origin::Import)
    {
        let module = match receiver {
            Expr::Name(name) => Some(name.id.as_str()),
            _ => None,
        };
        checker.report(
            attribute.attr.range,
            IntrospectionAttribute::ModuleDict { module },
        );
    }
}

pub(crate) fn check_name(checker: &mut Checker<'_>, name: &ExprName) {
    let id = name.id.as_str();
    if NAMES.contains(&id) {
        checker.report(name.range, IntrospectionAttribute::Name(id));
    }
}

pub(crate) fn check_def(checker: &mut Checker<'_>, def: &StmtFunctionDef) {
    let id = def.name.id.as_str();
    if DEFINITIONS.contains(&id) {
        checker.report(def.name.range, IntrospectionAttribute::Definition(id));
    }
}
