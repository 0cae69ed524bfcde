//! `format-introspection`: format strings that read attributes such as
//! `"{0.__class__}"`.
//!
//! **What it blocks.** String literals whose replacement fields walk into a
//! dunder or private attribute (`"{0.__init__.__globals__}"`,
//! `"{x._secret}"`), whatever they are later given to (`str.format`,
//! `format_map`, `string.Formatter`).
//!
//! **Why.** `str.format` performs attribute access itself, so
//! `"{0.__class__.__base__}".format(x)` reaches the same internals the
//! attribute rule blocks, without an attribute in the source.
//!
//! **Example.**
//! ```python
//! "{0.__class__}".format(x)        # format-introspection
//! "{0.name}: {1:>8}".format(p, n)  # fine
//! ```

use ruff_text_size::TextRange;

use super::RuleViolation;
use crate::policy::Rule;
use crate::policy::check::Checker;

/// A format string's replacement field reading a private attribute.
struct FormatIntrospection {
    attr: String,
}

impl RuleViolation for FormatIntrospection {
    const RULE: Rule = Rule::FormatIntrospection;

    fn message(&self) -> String {
        format!(
            "this format string reads the attribute `{}`, which the sandbox policy \
             blocks; format plain values instead (e.g. `type(x).__name__`)",
            self.attr
        )
    }
}

pub(crate) fn check_text(checker: &mut Checker<'_>, range: TextRange, text: &str) {
    if let Some(attr) = first_private_field_attribute(text) {
        checker.report(range, FormatIntrospection { attr });
    }
}

/// The first attribute starting with `_` that a replacement field of
/// `text` (read as a `str.format` template) reaches.
fn first_private_field_attribute(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after; // `{{` is a literal brace
            continue;
        }
        let end = rest.find(['}', '!', ':']).unwrap_or(rest.len());
        let field = &rest[..end];
        rest = &rest[end..];
        // `0.a[key].b`: attributes follow dots; brackets are item lookups.
        for segment in field.split('.').skip(1) {
            let attr = segment.split('[').next().unwrap_or(segment).trim();
            if attr.starts_with('_') {
                return Some(attr.to_owned());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_private_field_attribute as find;

    #[test]
    fn finds_attributes_in_fields_only() {
        assert_eq!(find("{0.__class__}").as_deref(), Some("__class__"));
        assert_eq!(find("{x.a._b:>3}").as_deref(), Some("_b"));
        assert_eq!(find("{0[__class__]}"), None);
        assert_eq!(find("{{0.__class__}}"), None);
        assert_eq!(find("{0.name}: {1:>8} {2!r}"), None);
        assert_eq!(find("a.__b {"), None);
        assert_eq!(find("{0.x}{1.__globals__}").as_deref(), Some("__globals__"));
    }
}
