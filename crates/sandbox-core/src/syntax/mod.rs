//! Parsing the code before anything runs: a syntax error is reported with
//! its line, column and message without starting an interpreter (status
//! `syntax_error`), in the shape Python itself prints, so users and models
//! read it the way they are used to.
//!
//! Nothing builds a tree before [`nesting`] has bounded the code's depth,
//! and every tree is parsed, walked and dropped on a stack sized for that
//! bound (`with_tree`), so no input can overflow a stack.

pub mod nesting;

#[cfg(test)]
mod deep_tests;
#[cfg(test)]
mod forms;

use ruff_python_ast::Stmt;

use crate::contract::Violation;
use crate::diagnostic::{self, Excerpt, Position};

/// The rule code syntax errors carry in `violations`.
pub const RULE: &str = "syntax-error";

/// A syntax error: 1-based line and column (in characters), the parser's
/// message, and an excerpt of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxIssue {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// What the parser expected or found.
    pub message: String,
    /// The offending line, or a window of it around the column.
    pub excerpt: Excerpt,
}

impl SyntaxIssue {
    /// The issue as a contract violation, in the input file `file` (`None`
    /// for the main code).
    pub fn violation(&self, file: Option<&str>) -> Violation {
        Violation {
            rule: RULE.to_owned(),
            message: self.message.clone(),
            line: self.line,
            column: self.column,
            file: file.map(str::to_owned),
        }
    }

    /// The linter-style rendering `sandbox check` prints, naming `file`.
    pub fn render_diagnostic(&self, file: &str) -> String {
        let mut out = String::new();
        diagnostic::render_one(
            &mut out,
            file,
            (self.line, self.column),
            RULE,
            &self.message,
            &self.excerpt,
        );
        out
    }

    /// Python's own rendering: `file`, line, the source with a caret, the
    /// error.
    pub fn render(&self, file: &str) -> String {
        let text = &self.excerpt.text;
        let trimmed = text.trim_start();
        let indent = text.chars().count() - trimmed.chars().count();
        let caret = (self.excerpt.caret as usize).saturating_sub(indent);
        format!(
            "  File \"{file}\", line {}\n    {}\n    {}^\nSyntaxError: {}\n",
            self.line,
            trimmed.trim_end(),
            " ".repeat(caret),
            self.message
        )
    }
}

/// Parses `code` as a Python module; the first syntax error, if any.
///
/// # Errors
/// The first [`SyntaxIssue`], including code nested past the limits of
/// [`nesting`].
pub fn check(code: &str) -> Result<(), SyntaxIssue> {
    with_tree(code, |_| ())
}

/// Parses `code` as a Python module and hands its statements to `walk`.
/// The parse, the walk and the tree's destruction (all recursive) run on a
/// stack sized for the code's nesting bound, grown when the calling
/// thread's is too small; code past the bounds is refused before parsing.
pub(crate) fn with_tree<R>(code: &str, walk: impl FnOnce(&[Stmt]) -> R) -> Result<R, SyntaxIssue> {
    let stack = nesting::stack_for(nesting::scan(code)?);
    stacker::maybe_grow(stack, stack, || {
        let parsed = ruff_python_parser::parse_module(code).map_err(|err| {
            let offset = usize::from(err.location.start()).min(code.len());
            match unclosed_bracket(code) {
                // As CPython says it: the bracket, not where the parser
                // noticed (often the next line, or the end of the file).
                Some((at, bracket))
                    if at <= offset
                        && (code[at..offset].contains('\n') || offset >= code.trim_end().len()) =>
                {
                    locate(code, at, format!("'{bracket}' was never closed"))
                }
                _ => locate(code, offset, err.error.to_string()),
            }
        })?;
        Ok(walk(parsed.suite()))
    })
}

/// The innermost bracket still open at the end of `code`: its byte offset
/// and character. Only asked once parsing failed (it parses again, keeping
/// the tokens).
fn unclosed_bracket(code: &str) -> Option<(usize, char)> {
    use ruff_python_ast::token::TokenKind as T;
    use ruff_text_size::Ranged as _;
    let parsed = ruff_python_parser::parse_unchecked(
        code,
        ruff_python_parser::ParseOptions::from(ruff_python_parser::Mode::Module),
    );
    let mut open = Vec::new();
    for token in parsed.tokens() {
        match token.kind() {
            T::Lpar => open.push((usize::from(token.start()), '(')),
            T::Lsqb => open.push((usize::from(token.start()), '[')),
            T::Lbrace => open.push((usize::from(token.start()), '{')),
            T::Rpar | T::Rsqb | T::Rbrace => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// The issue `message` at byte `offset` of `code`: line, character
/// column and an excerpt of the line.
fn locate(code: &str, offset: usize, message: String) -> SyntaxIssue {
    let at = Position::of(
        &ruff_source_file::LineIndex::from_source_text(code),
        code,
        offset,
        offset,
    );
    SyntaxIssue {
        line: at.line,
        column: at.column,
        message,
        excerpt: Excerpt::new(at.text, at.column, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_code_passes() {
        for code in [
            "print(1)\n",
            "",
            "match x:\n    case [1, *rest]:\n        pass\n",
            "print(f'{x!r:>10}')\n",
            "async def f():\n    await g()\n",
            "x: int = 1\n",
        ] {
            assert_eq!(check(code), Ok(()), "{code:?}");
        }
    }

    /// As CPython reports them: the bracket left open, where it opens.
    #[test]
    fn an_unclosed_bracket_is_named_where_it_opens() {
        for (code, line, column, message) in [
            ("print('unclosed'\n", 1, 6, "'(' was never closed"),
            ("x = [1, 2,\ny = 3\n", 1, 5, "'[' was never closed"),
            ("x = [1,\n  (2,\n", 2, 3, "'(' was never closed"),
            ("d = {'a': 1,\n 'b' 2\n", 1, 5, "'{' was never closed"),
            ("x = (1,\n)\ny = [\n", 3, 5, "'[' was never closed"),
        ] {
            let issue = check(code).unwrap_err();
            assert_eq!(
                (issue.line, issue.column, issue.message.as_str()),
                (line, column, message),
                "{code:?}"
            );
        }
        assert_eq!(
            check("print('x'").unwrap_err().message,
            "'(' was never closed"
        );
        // An error before the open bracket, or on its line, is reported as
        // itself.
        let issue = check("print(1 +)\nx = (\n").unwrap_err();
        assert_eq!((issue.line, issue.column), (1, 10));
        assert_ne!(issue.message, "'(' was never closed");
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let issue = check("x = 1\nprint(x +)\n").unwrap_err();
        assert_eq!((issue.line, issue.column), (2, 10));
        assert_eq!(issue.excerpt.text, "print(x +)");
        assert_eq!(
            issue.render("main.py"),
            "  File \"main.py\", line 2\n    print(x +)\n             ^\nSyntaxError: Expected an expression\n"
        );
        let issue = check("def f(:\n    pass\n").unwrap_err();
        assert_eq!((issue.line, issue.column), (1, 7));
    }

    #[test]
    fn columns_count_characters_and_carets_skip_indentation() {
        let issue = check("if True:\n    s = 'é' +\n").unwrap_err();
        assert_eq!(issue.line, 2);
        assert_eq!(issue.column, 14, "{issue:?}");
        assert!(
            issue
                .render("main.py")
                .contains("\n    s = 'é' +\n             ^\n"),
            "{}",
            issue.render("main.py")
        );
    }
}
