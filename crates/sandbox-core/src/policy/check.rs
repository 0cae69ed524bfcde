//! The checker: one parse, one walk over the tree, every rule consulted at
//! each node, every violation reported (not just the first).

use std::collections::{BTreeSet, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::TextRange;

use super::aliases::ModuleValues;
use super::rules::RuleViolation;
use super::scope::Scope;
use super::{Policy, Rule, rules};
use crate::contract::{ExecutionRequest, Violation};
use crate::diagnostic::{Excerpt, Position};
use crate::syntax::{self, SyntaxIssue};

/// Most violations reported for one request: enough to fix code by, and a
/// bound on what a program that breaks a rule on every token costs.
pub const MAX_DIAGNOSTICS: usize = 100;

/// One policy violation, located in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong and what to do instead.
    pub message: String,
    /// The input file it is in; `None` for the main code.
    pub file: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The offending line, or a window of it, with the caret's place.
    pub excerpt: Excerpt,
}

impl Diagnostic {
    /// The diagnostic as a contract violation.
    pub fn violation(&self) -> Violation {
        Violation {
            rule: self.rule.code().to_owned(),
            message: self.message.clone(),
            line: self.line,
            column: self.column,
            file: self.file.clone(),
        }
    }
}

/// Why code was refused before running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The code does not parse (in `file`, or the main code when `None`).
    Syntax {
        /// The input file, `None` for the main code.
        file: Option<String>,
        /// Where and why.
        issue: SyntaxIssue,
    },
    /// The code parses but breaks the policy; never empty.
    Policy(Vec<Diagnostic>),
}

impl Rejection {
    /// The rejection as the contract's violations.
    pub fn violations(&self) -> Vec<Violation> {
        match self {
            Self::Syntax { file, issue } => vec![issue.violation(file.as_deref())],
            Self::Policy(diagnostics) => diagnostics.iter().map(Diagnostic::violation).collect(),
        }
    }
}

/// Checks `code` (the main program, or the input file `file`) against
/// `policy`: a syntax error, or every violation. `local_modules` are the
/// program's own modules (see [`local_modules`]), importable unless denied.
///
/// # Errors
///
/// [`Rejection::Syntax`] when the code does not parse; otherwise
/// [`Rejection::Policy`] with every violation (at most [`MAX_DIAGNOSTICS`]).
pub fn validate(
    code: &str,
    file: Option<&str>,
    policy: Option<&Policy>,
    local_modules: &BTreeSet<String>,
) -> Result<(), Rejection> {
    let diagnostics = syntax::with_tree(code, |suite| match policy {
        Some(policy) => Checker::run(code, file, policy, local_modules, suite),
        None => Vec::new(),
    })
    .map_err(|issue| Rejection::Syntax {
        file: file.map(str::to_owned),
        issue,
    })?;
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(Rejection::Policy(diagnostics))
    }
}

/// Checks a whole request: the code, and every `.py` input file (the code
/// can import them, so they are held to the same policy). Syntax errors
/// come first; otherwise every violation of every file.
///
/// # Errors
///
/// [`Rejection::Syntax`] for the first file (the code first) that does not
/// parse; otherwise [`Rejection::Policy`] with every violation of every file.
pub fn validate_request(
    request: &ExecutionRequest,
    policy: Option<&Policy>,
) -> Result<(), Rejection> {
    let local = local_modules(request.input_files.keys().map(String::as_str));
    let mut all = match validate(&request.code, None, policy, &local) {
        Ok(()) => Vec::new(),
        Err(Rejection::Policy(found)) => found,
        Err(syntax @ Rejection::Syntax { .. }) => return Err(syntax),
    };
    let Some(policy) = policy else {
        return Ok(());
    };
    for (name, bytes) in &request.input_files {
        if !name.ends_with(".py") {
            continue;
        }
        let Ok(source) = std::str::from_utf8(bytes) else {
            all.push(Diagnostic {
                rule: Rule::BlockedImport,
                message: format!(
                    "input file `{name}` is not valid UTF-8, so it cannot be checked or imported; \
                     save it as UTF-8"
                ),
                file: Some(name.clone()),
                line: 1,
                column: 1,
                excerpt: Excerpt::new("", 1, 1),
            });
            continue;
        };
        match validate(source, Some(name), Some(policy), &local) {
            Ok(()) => {}
            Err(Rejection::Policy(found)) => all.extend(found),
            Err(syntax @ Rejection::Syntax { .. }) => return Err(syntax),
        }
    }
    all.truncate(MAX_DIAGNOSTICS);
    if all.is_empty() {
        Ok(())
    } else {
        Err(Rejection::Policy(all))
    }
}

/// The module names a program's input files provide: `helper.py` gives
/// `helper`, `pkg/util.py` gives `pkg`. Only identifiers count (nothing
/// else can be imported), which also keeps the guard argument's separators
/// out of them.
pub fn local_modules<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names
        .into_iter()
        .filter(|name| name.ends_with(".py"))
        .filter_map(|name| match name.split_once('/') {
            Some((top, _)) => Some(top.to_owned()),
            None => name.strip_suffix(".py").map(str::to_owned),
        })
        .filter(|name| super::file::is_identifier(name))
        .collect()
}

/// The walk's state, shared with the rules.
pub(crate) struct Checker<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) local_modules: &'a BTreeSet<String>,
    /// Which expressions may hold a module (see [`ModuleValues`]).
    pub(crate) modules: ModuleValues,
    source: &'a str,
    file: Option<&'a str>,
    /// Where each line starts (for lines and columns in reports).
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    /// Calls whose callee a rule already judged (so `getattr(...)` is not
    /// also reported as a bare reference to `getattr`).
    judged_callees: HashSet<TextRange>,
    /// The enclosing functions' scopes, innermost last.
    scopes: Vec<Scope<'a>>,
}

impl<'a> Checker<'a> {
    fn run(
        source: &'a str,
        file: Option<&'a str>,
        policy: &'a Policy,
        local_modules: &'a BTreeSet<String>,
        suite: &'a [Stmt],
    ) -> Vec<Diagnostic> {
        let mut checker = Checker {
            policy,
            local_modules,
            modules: ModuleValues::build(suite),
            source,
            file,
            lines: LineIndex::from_source_text(source),
            diagnostics: Vec::new(),
            judged_callees: HashSet::new(),
            scopes: Vec::new(),
        };
        checker.visit_body(suite);
        checker.diagnostics.sort_by_key(|d| (d.line, d.column));
        checker
            .diagnostics
            .dedup_by(|a, b| a.line == b.line && a.column == b.column && a.rule == b.rule);
        checker.diagnostics
    }

    /// Records `violation` at `range`, when its rule is on and
    /// fewer than [`MAX_DIAGNOSTICS`] are recorded.
    pub(crate) fn report<V: RuleViolation>(&mut self, range: TextRange, violation: V) {
        let rule = V::RULE;
        if !self.policy.enabled(rule) || self.diagnostics.len() >= MAX_DIAGNOSTICS {
            return;
        }
        let at = Position::of(
            &self.lines,
            self.source,
            usize::from(range.start()),
            usize::from(range.end()),
        );
        self.diagnostics.push(Diagnostic {
            rule,
            message: violation.message(),
            file: self.file.map(str::to_owned),
            line: at.line,
            column: at.column,
            excerpt: Excerpt::new(at.text, at.column, at.width),
        });
    }

    /// Marks a call's callee as judged by a call rule.
    pub(crate) fn judge_callee(&mut self, callee: TextRange) {
        self.judged_callees.insert(callee);
    }

    /// Whether `name` (normalised) is a local of an enclosing function, so
    /// reading it cannot reach the built-in of that name.
    pub(crate) fn is_function_local(&self, name: &str) -> bool {
        for scope in self.scopes.iter().rev() {
            if scope.declares_global(name) {
                return false;
            }
            if scope.is_local(name) {
                return true;
            }
        }
        false
    }

    /// Whether a call rule already judged this expression as a callee.
    pub(crate) fn is_judged_callee(&self, range: TextRange) -> bool {
        self.judged_callees.contains(&range)
    }
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => rules::imports::check_import(self, import),
            Stmt::ImportFrom(import) => {
                rules::imports::check_import_from(self, import);
                rules::module_internals::check_import_from(self, import);
            }
            Stmt::FunctionDef(def) => {
                rules::introspection_attribute::check_def(self, def);
                // Decorators, defaults and annotations belong to the
                // enclosing scope; the body to the function's own.
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(type_params) = &def.type_params {
                    self.visit_type_params(type_params);
                }
                self.visit_parameters(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                self.scopes
                    .push(Scope::function(&def.parameters, &def.body));
                self.visit_body(&def.body);
                self.scopes.pop();
                return;
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                rules::forbidden_builtin::check_call(self, call);
                rules::dynamic_attribute::check_call(self, call);
                rules::module_internals::check_call(self, call);
            }
            Expr::Name(name) => {
                rules::forbidden_builtin::check_name(self, name);
                rules::dynamic_attribute::check_name(self, name);
                rules::introspection_attribute::check_name(self, name);
            }
            Expr::Attribute(attribute) => {
                rules::introspection_attribute::check_attribute(self, attribute);
                rules::module_internals::check_attribute(self, attribute);
            }
            Expr::StringLiteral(string) => {
                for part in &string.value {
                    rules::format_introspection::check_text(self, part.range, &part.value);
                }
            }
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameters(parameters);
                }
                self.scopes
                    .push(Scope::lambda(lambda.parameters.as_deref()));
                self.visit_expr(&lambda.body);
                self.scopes.pop();
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_interpolated_string_element(&mut self, element: &'a ast::InterpolatedStringElement) {
        if let ast::InterpolatedStringElement::Literal(literal) = element {
            rules::format_introspection::check_text(self, literal.range, &literal.value);
        }
        visitor::walk_interpolated_string_element(self, element);
    }
}
