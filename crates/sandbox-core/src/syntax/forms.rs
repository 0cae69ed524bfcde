//! Shapes of nested Python, for the tests that feed deep code to every
//! entry point (the library, the CLI, the server, MCP). A leaf module with
//! no dependency on its crate, so other test crates include it by path.

#![allow(dead_code)]

use proptest::prelude::*;

/// One level of nesting: the text before and after the inner code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    pub name: &'static str,
    pub before: &'static str,
    pub after: &'static str,
}

const fn form(name: &'static str, before: &'static str, after: &'static str) -> Form {
    Form {
        name,
        before,
        after,
    }
}

/// Every way an expression nests inside another.
pub const EXPRESSIONS: &[Form] = &[
    form("negation", "-", ""),
    form("plus", "+", ""),
    form("invert", "~", ""),
    form("not", "not ", ""),
    // `await await x` is no Python, but it nests all the same.
    form("await", "await ", ""),
    form("await-parenthesised", "await (", ")"),
    form("sum", "", "+1"),
    form("sum-right", "1+", ""),
    form("product", "", "*2"),
    form("power", "2**", ""),
    form("power-left", "(", ")**2"),
    form("comparison", "", "<1"),
    form("and", "", " and 1"),
    form("or", "1 or ", ""),
    form("conditional", "1 if c else ", ""),
    form("conditional-test", "(1 if ", " else 2)"),
    form("lambda", "lambda: ", ""),
    form("lambda-params", "lambda a, b=1, *c, **d: ", ""),
    form("lambda-default", "lambda a=", ": 0"),
    form("call", "f(", ")"),
    form("call-keyword", "f(x=", ")"),
    form("call-star", "f(*", ")"),
    form("called", "", "()"),
    form("attribute", "", ".a"),
    form("subscript", "", "[0]"),
    form("index", "a[", "]"),
    form("slice", "a[1:", ":2]"),
    form("parentheses", "(", ")"),
    form("list", "[", "]"),
    form("tuple", "(", ",)"),
    form("set", "{", "}"),
    form("dict-value", "{1: ", "}"),
    form("dict-key", "{", ": 1}"),
    form("list-comprehension", "[", " for x in y]"),
    form("generator", "(", " for x in y)"),
    form("comprehension-iter", "[x for x in ", "]"),
    form("starred", "[*", "]"),
    form("walrus", "(y := ", ")"),
    form("yield", "(yield ", ")"),
    form("yield-from", "(yield from ", ")"),
    form("f-string", "f'{", "}'"),
    form("f-string-spec", "f'{x:{", "}}'"),
    form("string-concat", "'a' 'b' + ", ""),
];

/// Every way a statement nests inside another: a header line, and lines
/// after the body at the header's indentation.
pub const STATEMENTS: &[Form] = &[
    form("if", "if c:", ""),
    form("else", "if c:\n    pass\nelse:", ""),
    form("for", "for x in y:", ""),
    form("while", "while c:", ""),
    form("with", "with a as b:", ""),
    form("try", "try:", "except E:\n    pass"),
    form("def", "def f():", ""),
    form("async-def", "async def f():", ""),
    form("class", "class C:", ""),
    form("match", "match x:\n    case 1:", ""),
];

/// A module whose statement `x = …` nests `forms` (outermost first) around
/// the name `v`.
pub fn expression(forms: &[Form]) -> String {
    let mut code = String::from("x = ");
    for form in forms {
        code.push_str(form.before);
    }
    code.push('v');
    for form in forms.iter().rev() {
        code.push_str(form.after);
    }
    code.push('\n');
    code
}

/// A module of blocks nested as `statements` (outermost first) around the
/// line `inner`.
pub fn blocks(statements: &[Form], inner: &str) -> String {
    let indent = |level: usize| "    ".repeat(level);
    let mut code = String::new();
    let mut level = 0;
    for statement in statements {
        for line in statement.before.lines() {
            code.push_str(&indent(level));
            code.push_str(line);
            code.push('\n');
        }
        level += opened(statement);
    }
    code.push_str(&indent(level));
    code.push_str(inner);
    code.push('\n');
    for statement in statements.iter().rev() {
        level -= opened(statement);
        for line in statement.after.lines() {
            code.push_str(&indent(level));
            code.push_str(line);
            code.push('\n');
        }
    }
    code
}

/// Levels of indentation a statement form opens.
fn opened(statement: &Form) -> usize {
    match statement.name {
        "match" => 2,
        _ => 1,
    }
}

/// `n` levels of one expression form.
pub fn repeated(form: Form, n: usize) -> String {
    expression(&vec![form; n])
}

/// Any expression form.
pub fn any_expression() -> impl Strategy<Value = Form> {
    prop::sample::select(EXPRESSIONS)
}

/// Any statement form.
pub fn any_statement() -> impl Strategy<Value = Form> {
    prop::sample::select(STATEMENTS)
}

/// Programs of every shape: one form repeated, or forms mixed, with
/// expression depths from none to far past every limit, inside blocks
/// nested up to past the indentation limit.
pub fn deep_program(max_depth: usize) -> impl Strategy<Value = String> {
    let single = (any_expression(), 0..=max_depth).prop_map(|(form, n)| vec![form; n]);
    let mixed = prop::collection::vec(any_expression(), 0..=max_depth);
    let expressions = prop_oneof![single, mixed];
    let statements = prop_oneof![
        3 => prop::collection::vec(any_statement(), 0..4),
        1 => prop::collection::vec(any_statement(), 0..=60),
    ];
    (statements, expressions).prop_map(|(statements, forms)| {
        let line = expression(&forms);
        blocks(&statements, line.trim_end())
    })
}

/// Lexically valid fragments in any order: code that parses wrongly in
/// every way, to reach the parser's error paths.
pub fn token_soup(max_len: usize) -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "x",
        "1",
        "'s'",
        "f'{",
        "}'",
        "'",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ";",
        "=",
        ":=",
        "-",
        "+",
        "*",
        "**",
        ".",
        "not ",
        " and ",
        " or ",
        " if ",
        " else ",
        "lambda ",
        "await ",
        "yield ",
        " for ",
        " in ",
        "def ",
        "class ",
        "return ",
        "\n",
        "\n    ",
        "\n        ",
        "\\\n",
        "#c\n",
        "@",
        "->",
        " is ",
        "~",
        "<",
        "...",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..=max_len)
        .prop_map(|pieces| pieces.concat())
}
