//! One file per rule. Each says what it blocks, why, and gives an example;
//! its checks are called by the [`Checker`](super::check::Checker) at the
//! nodes it cares about.

pub(crate) mod dynamic_attribute;
pub(crate) mod forbidden_builtin;
pub(crate) mod format_introspection;
pub(crate) mod imports;
pub(crate) mod introspection_attribute;
pub(crate) mod module_internals;

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization as _;

use super::Rule;

/// What one rule found, as data. Each rule has its own violation type and
/// words its messages beside its checks; the checker locates and reports
/// them. As with ruff's rules, a message cannot be reported under another
/// rule's code, and a disabled rule's message is never formatted.
pub(crate) trait RuleViolation {
    /// The rule it breaks.
    const RULE: Rule;
    /// What is wrong and what to do instead.
    fn message(&self) -> String;
}

/// `name` as Python compares identifiers: NFKC-normalised (`ｅｖａｌ` is
/// `eval`). The parser already normalises identifiers; strings given to
/// `getattr` are normalised here so look-alikes cannot hide.
pub(crate) fn nfkc(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.nfkc().collect())
    }
}

/// Whether `name` has the `__dunder__` shape.
pub(crate) fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

#[cfg(test)]
mod tests {
    /// The rules compare identifiers as parsed, so the parser must give them
    /// NFKC-normalised, as Python reads them (`ｏｓ` is `os`).
    #[test]
    fn the_parser_normalises_identifiers() {
        let code = "ｏｓ.ｓｙｓｔｅｍ\nimport ｓｕｂｐｒｏｃｅｓｓ\ndef ｅｖａｌ(ｘ): return ｘ\n";
        let parsed = ruff_python_parser::parse_module(code).expect("valid Python");
        let tree = format!("{:?}", parsed.syntax().body);
        for name in [
            "\"os\"",
            "\"system\"",
            "\"subprocess\"",
            "\"eval\"",
            "\"x\"",
        ] {
            assert!(tree.contains(name), "{name} missing from {tree}");
        }
        assert!(!tree.contains('ｏ') && !tree.contains('ｘ'), "{tree}");
    }
}
