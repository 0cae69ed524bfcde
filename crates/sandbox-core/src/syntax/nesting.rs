//! A bound on how deeply code nests, found by one pass of the lexer before
//! anything builds a tree.
//!
//! Every consumer of the syntax tree (the parser, the policy walk, the
//! tree's own destructor) recurses once per level of nesting, so code
//! nested tens of thousands of levels deep (`x = ----…-1`, `[[[…]]]`,
//! `1+1+…+1`, `lambda: lambda: …`) would overflow a thread's stack and abort
//! the whole process. CPython refuses such code too: its tokenizer allows
//! 200 nested brackets and 99 levels of indentation, and its compiler gives
//! up at about 3,000 levels of expression nesting.
//!
//! The lexer is iterative, so this pass is safe on any input. It computes an
//! *upper bound* on the tree's depth: within one bracket level, every token
//! that is not a plain operand (name, number, string) can add at most one
//! level (`-x`, `a + b`, `a.b`, `f(…)`, `a if b else c`), and a comma or a
//! statement's end starts a fresh element. Lambdas are the one construct
//! whose nesting crosses commas (`lambda a, b: lambda c, d: …`), so a lambda
//! counts as a level of its own until its body ends. Code past a bound is
//! refused as a syntax error naming the line and the limit; code within
//! them is parsed and walked on a stack sized from the bound
//! (`stack_for`).

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::Mode;
use ruff_python_parser::lexer::lex;

use super::{SyntaxIssue, locate};

/// Most levels of nested expressions and blocks, as counted by `scan`.
/// CPython's compiler refuses code at about 3,000 levels; code written by
/// people or models stays far below this.
pub const MAX_NESTING: u32 = 1_000;

/// Most nested brackets: CPython's own limit ("too many nested
/// parentheses").
pub const MAX_BRACKETS: u32 = 200;

/// Most levels of indentation: CPython refuses the 100th ("too many levels
/// of indentation").
pub const MAX_INDENTATION: u32 = 99;

/// Stack that parsing, walking and dropping one level of the tree may take:
/// eight times what debug builds need (the property tests overflow at
/// 0.5 KiB a level and pass at 2 KiB; release builds need less).
const STACK_PER_LEVEL: usize = 16 * 1024;

/// Stack for everything that does not grow with nesting.
const STACK_BASE: usize = 256 * 1024;

/// The stack that parsing, checking and dropping the tree of code with
/// nesting bound `depth` needs.
pub(crate) fn stack_for(depth: u32) -> usize {
    STACK_BASE + depth as usize * STACK_PER_LEVEL
}

/// Which bound code broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Excess {
    Brackets,
    Indentation,
    Nesting,
}

impl Excess {
    fn message(self) -> String {
        match self {
            Self::Brackets => {
                format!("too many nested parentheses (the limit is {MAX_BRACKETS})")
            }
            Self::Indentation => {
                format!("too many levels of indentation (the limit is {MAX_INDENTATION})")
            }
            Self::Nesting => format!(
                "code nested too deeply (the limit is {MAX_NESTING} levels of nested \
                 expressions and blocks); split it into smaller expressions or functions"
            ),
        }
    }
}

/// The nesting bound of `code`, or a syntax issue at the first token past
/// one of the limits.
///
/// # Errors
/// A [`SyntaxIssue`] naming the line, the column and the limit broken.
pub(crate) fn scan(code: &str) -> Result<u32, SyntaxIssue> {
    match measure(code) {
        Ok(depth) => Ok(depth),
        Err(excess) => Err(locate(code, offending_offset(code), excess.message())),
    }
}

/// The nesting bound of `code`, or the first bound it breaks.
fn measure(code: &str) -> Result<u32, Excess> {
    let mut lexer = lex(code, Mode::Module);
    let mut depth = Depth::default();
    loop {
        let kind = lexer.next_token();
        if kind == TokenKind::EndOfFile {
            return Ok(depth.deepest);
        }
        depth.step(kind)?;
    }
}

/// The byte offset of the token that broke a bound. The public lexer gives
/// token kinds but not their positions, so this finds the shortest prefix
/// of `code` that already breaks it (tokens before a cut lex as they do in
/// the whole code). Only refused code pays for this search.
fn offending_offset(code: &str) -> usize {
    let (mut fits, mut breaks) = (0, code.len());
    while breaks - fits > 1 {
        let mut middle = fits + (breaks - fits) / 2;
        while !code.is_char_boundary(middle) {
            middle += 1;
        }
        if middle >= breaks {
            break;
        }
        if measure(&code[..middle]).is_ok() {
            fits = middle;
        } else {
            breaks = middle;
        }
    }
    // `breaks` is just past the offending token's last character.
    let mut offset = breaks.saturating_sub(1);
    while !code.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What encloses the current token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enclosing {
    /// `(`, `[` or `{`, including an f-string's replacement field.
    Bracket,
    /// An f-string or t-string.
    String,
    /// A lambda's parameters (up to its `:`).
    LambdaParameters,
    /// A lambda's body (up to a `,`, `:`, `;`, closing bracket or line end).
    LambdaBody,
}

/// One level of [`Depth`]'s stack: what opened it, and how many tokens
/// that may nest have appeared in its current element.
#[derive(Debug)]
struct Level {
    enclosing: Enclosing,
    count: u32,
}

/// The running bound: indentation, open levels and the tokens of each
/// level's current element.
#[derive(Debug, Default)]
struct Depth {
    levels: Vec<Level>,
    /// Tokens that may nest in the statement's current element, outside
    /// any bracket.
    root: u32,
    /// The sum of every level's `count`, plus `root`.
    counted: u32,
    brackets: u32,
    indentation: u32,
    deepest: u32,
}

impl Depth {
    fn step(&mut self, kind: TokenKind) -> Result<(), Excess> {
        use TokenKind as T;
        match kind {
            T::Comment | T::NonLogicalNewline | T::EndOfFile => {}
            T::Newline => self.end_statement(),
            T::Indent => {
                self.indentation += 1;
                if self.indentation > MAX_INDENTATION {
                    return Err(Excess::Indentation);
                }
            }
            T::Dedent => self.indentation = self.indentation.saturating_sub(1),
            T::Lpar | T::Lsqb | T::Lbrace => {
                self.bump();
                self.brackets += 1;
                if self.brackets > MAX_BRACKETS {
                    return Err(Excess::Brackets);
                }
                self.open(Enclosing::Bracket);
            }
            T::FStringStart | T::TStringStart => {
                self.bump();
                self.open(Enclosing::String);
            }
            T::Rpar | T::Rsqb | T::Rbrace => {
                self.end_lambda_bodies();
                if self.top() == Some(Enclosing::Bracket) {
                    self.close();
                }
            }
            T::FStringEnd | T::TStringEnd => {
                // Closes the string and whatever it left open.
                while let Some(level) = self.close() {
                    if level == Enclosing::String {
                        break;
                    }
                }
            }
            T::Comma | T::Semi => {
                self.end_lambda_bodies();
                self.reset_element();
            }
            T::Colon => {
                self.end_lambda_bodies();
                match self.levels.last_mut() {
                    Some(level) if level.enclosing == Enclosing::LambdaParameters => {
                        level.enclosing = Enclosing::LambdaBody;
                        self.counted -= level.count;
                        level.count = 0;
                    }
                    _ => self.bump(),
                }
            }
            T::Lambda => self.open(Enclosing::LambdaParameters),
            // Operands: a leaf of the tree, never a level of it.
            T::Name
            | T::Int
            | T::Float
            | T::Complex
            | T::String
            | T::FStringMiddle
            | T::TStringMiddle
            | T::True
            | T::False
            | T::None
            | T::Ellipsis => {}
            // Operators, keywords and anything unknown may nest.
            _ => self.bump(),
        }
        let depth = self.indentation + self.levels.len() as u32 + self.counted;
        self.deepest = self.deepest.max(depth);
        if depth > MAX_NESTING {
            return Err(Excess::Nesting);
        }
        Ok(())
    }

    fn top(&self) -> Option<Enclosing> {
        self.levels.last().map(|level| level.enclosing)
    }

    /// Counts a token that may nest in the current element.
    fn bump(&mut self) {
        match self.levels.last_mut() {
            Some(level) => level.count += 1,
            None => self.root += 1,
        }
        self.counted += 1;
    }

    fn open(&mut self, enclosing: Enclosing) {
        self.levels.push(Level {
            enclosing,
            count: 0,
        });
    }

    fn close(&mut self) -> Option<Enclosing> {
        let level = self.levels.pop()?;
        self.counted -= level.count;
        if level.enclosing == Enclosing::Bracket {
            self.brackets -= 1;
        }
        Some(level.enclosing)
    }

    /// A comma or semicolon starts a new element of the current level.
    fn reset_element(&mut self) {
        let count = match self.levels.last_mut() {
            Some(level) => &mut level.count,
            None => &mut self.root,
        };
        self.counted -= *count;
        *count = 0;
    }

    /// A lambda's body is one expression: it ends where an expression must.
    fn end_lambda_bodies(&mut self) {
        while self.top() == Some(Enclosing::LambdaBody) {
            self.close();
        }
    }

    /// The end of a logical line ends every expression on it.
    fn end_statement(&mut self) {
        while self.close().is_some() {}
        self.root = 0;
        self.counted = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(code: &str) -> u32 {
        match measure(code) {
            Ok(depth) => depth,
            Err(excess) => panic!("{code:?} broke {excess:?}"),
        }
    }

    #[test]
    fn ordinary_code_is_shallow() {
        assert!(depth("print(1)\n") <= 3);
        assert!(depth("x = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n") <= 4);
        let long_list = format!("x = [{}]\n", vec!["-1"; 50_000].join(", "));
        assert!(depth(&long_list) <= 4, "{}", depth(&long_list));
        assert!(depth("def f(a, b=2):\n    return {'k': [a, (b, f'{a!r:>{b}}')]}\n") < 20);
    }

    #[test]
    fn every_nesting_form_counts() {
        for (form, each) in [
            ("-", "-"),
            ("not ", "not "),
            ("await ", "await "),
            ("lambda a, b: ", "lambda a, b: "),
            ("1 if c else ", "1 if c else "),
        ] {
            let shallow = depth(&format!("x = {}1\n", form.repeat(10)));
            let deep = depth(&format!("x = {}1\n", each.repeat(100)));
            assert!(deep >= shallow + 90, "{form:?}: {shallow} -> {deep}");
        }
        for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("f(", ")")] {
            let deep = depth(&format!("x = {}1{}\n", open.repeat(150), close.repeat(150)));
            assert!(deep >= 150, "{open:?}: {deep}");
        }
        assert!(depth(&format!("x = {}\n", vec!["1"; 500].join("+"))) >= 499);
        assert!(depth(&format!("x = a{}\n", ".b".repeat(500))) >= 500);
        assert!(depth(&format!("x = f{}\n", "()".repeat(500))) >= 500);
        assert!(depth(&format!("x = a{}\n", "[0]".repeat(500))) >= 500);
    }

    #[test]
    fn past_a_bound_is_refused_with_line_column_and_limit() {
        let code = format!("x = 1\ny = {}1\n", "-".repeat(5_000));
        let issue = scan(&code).unwrap_err();
        assert_eq!(issue.line, 2);
        assert!(issue.message.contains("limit is 1000"), "{}", issue.message);
        // `=` is level 1, so the 1,000th `-` (column 1004) is the first
        // token past the limit.
        assert_eq!(issue.column, 1004);

        let code = format!("x = {}1{}\n", "(".repeat(201), ")".repeat(201));
        let issue = scan(&code).unwrap_err();
        assert_eq!((issue.line, issue.column), (1, 205));
        assert_eq!(
            issue.message,
            "too many nested parentheses (the limit is 200)"
        );
        assert!(scan(&format!("x = {}1{}\n", "(".repeat(200), ")".repeat(200))).is_ok());

        let blocks = |n: usize| {
            let mut code: String = (0..n)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .collect();
            code.push_str(&" ".repeat(n));
            code.push_str("pass\n");
            code
        };
        assert!(scan(&blocks(99)).is_ok());
        let issue = scan(&blocks(100)).unwrap_err();
        assert_eq!(issue.line, 101);
        assert_eq!(
            issue.message,
            "too many levels of indentation (the limit is 99)"
        );
    }

    #[test]
    fn a_lambda_counts_across_its_commas() {
        let code = format!("f = {}0\n", "lambda a, b=1, *c, **d: ".repeat(300));
        assert!(depth(&code) >= 300);
    }

    #[test]
    fn statements_start_afresh() {
        let line = format!("x = {}1\n", "-".repeat(900));
        assert!(scan(&line.repeat(20)).is_ok());
        let line = format!("x = {}1; ", "-".repeat(900));
        assert!(scan(&line.repeat(20)).is_ok());
    }
}
