//! Which names are a function's own locals, so a parameter called `vars`
//! or a local called `compile` is not mistaken for the built-in.
//!
//! Python decides scopes at compile time: a name bound anywhere in a
//! function (parameter, assignment, `for` target, import, `def`, …) is local
//! to the whole function unless declared `global`, and reading it can never
//! reach the built-in of that name (at worst it raises `UnboundLocalError`).
//! At module and class level a read does fall back to the built-ins, so
//! there every use of a forbidden name is judged.

use std::collections::HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Comprehension, Expr, ExprContext, Parameters, Stmt};

/// One function's scope: the names it binds, and those it declares global.
#[derive(Debug, Default)]
pub(crate) struct Scope<'a> {
    locals: HashSet<&'a str>,
    globals: HashSet<&'a str>,
}

impl<'a> Scope<'a> {
    /// The scope of a function with `parameters` and `body`.
    pub(crate) fn function(parameters: &'a Parameters, body: &'a [Stmt]) -> Self {
        let mut scope = Scope::default();
        for parameter in parameters {
            scope.bind(parameter.name().id.as_str());
        }
        let mut collector = Collector { scope: &mut scope };
        collector.visit_body(body);
        scope
    }

    /// The scope of a lambda: only its parameters (its body is one
    /// expression, whose walrus targets bind in the enclosing scope).
    pub(crate) fn lambda(parameters: Option<&'a Parameters>) -> Self {
        let mut scope = Scope::default();
        for parameter in parameters.into_iter().flat_map(Parameters::iter) {
            scope.bind(parameter.name().id.as_str());
        }
        scope
    }

    fn bind(&mut self, name: &'a str) {
        self.locals.insert(name);
    }

    /// Whether `name` is local here (bound and not declared global).
    pub(crate) fn is_local(&self, name: &str) -> bool {
        self.locals.contains(name) && !self.globals.contains(name)
    }

    /// Whether `name` is declared global here.
    pub(crate) fn declares_global(&self, name: &str) -> bool {
        self.globals.contains(name)
    }
}

/// Collects bindings of one function body, not descending into nested
/// functions, classes or lambdas (their names bind here, their bodies do
/// not), nor into comprehension targets (a comprehension has a scope of its
/// own).
struct Collector<'s, 'a> {
    scope: &'s mut Scope<'a>,
}

impl<'a> Visitor<'a> for Collector<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => self.scope.bind(def.name.id.as_str()),
            Stmt::ClassDef(class) => self.scope.bind(class.name.id.as_str()),
            Stmt::Global(global) => {
                for name in &global.names {
                    self.scope.globals.insert(name.id.as_str());
                }
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    match &alias.asname {
                        Some(asname) => self.scope.bind(asname.id.as_str()),
                        None => self
                            .scope
                            .bind(alias.name.id.split('.').next().unwrap_or_default()),
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.scope
                        .bind(alias.asname.as_ref().unwrap_or(&alias.name).id.as_str());
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if name.ctx != ExprContext::Load => {
                self.scope.bind(name.id.as_str());
            }
            Expr::Lambda(_) => {}
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ruff_python_ast::ExceptHandler) {
        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.scope.bind(name.id.as_str());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_comprehension(&mut self, comprehension: &'a Comprehension) {
        self.visit_expr(&comprehension.iter);
        for condition in &comprehension.ifs {
            self.visit_expr(condition);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check` on the scope of the function `code` defines.
    fn with_scope(code: &str, check: impl FnOnce(&Scope<'_>)) {
        let parsed = ruff_python_parser::parse_module(code).unwrap();
        let Some(Stmt::FunctionDef(def)) = parsed.suite().first() else {
            panic!("not a function");
        };
        check(&Scope::function(&def.parameters, &def.body));
    }

    #[test]
    fn parameters_assignments_and_imports_are_local() {
        with_scope(
            "def f(a, vars=None, *args, compile, **kw):\n    eval = 1\n    for x in y: pass\n    import json as j\n    def g(): pass\n    (w := 2)\n",
            |scope| {
                for name in [
                    "a", "vars", "args", "compile", "kw", "eval", "x", "j", "g", "w",
                ] {
                    assert!(scope.is_local(name), "{name}");
                }
                assert!(!scope.is_local("y"));
            },
        );
    }

    #[test]
    fn globals_comprehension_targets_and_nested_bodies_are_not_local() {
        with_scope(
            "def f():\n    global eval\n    eval = 1\n    [exec for exec in ()]\n    def g():\n        compile = 2\n    lambda vars: vars\n",
            |scope| {
                for name in ["eval", "exec", "compile", "vars"] {
                    assert!(!scope.is_local(name), "{name}");
                }
                assert!(scope.declares_global("eval"));
            },
        );
    }
}
