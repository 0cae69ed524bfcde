//! Which expressions may hold a module: the names `import` binds, and
//! whatever a module flows into through simple aliasing (`m = pathlib`),
//! attribute chains (`pathlib.os`), function returns (`def f(): return
//! pathlib`), literal containers (`[pathlib][0]`, `{"a": pathlib}["a"]`),
//! `getattr(pathlib, "os")` and `vars(pathlib)`.
//!
//! The rules judge an attribute by what it is read from: `m.os` is the
//! module `os` when `m` is `pathlib`, and a user's field otherwise. Reading
//! every `.os` would refuse a data frame's `os` column; reading only the
//! names `import` binds let `m = pathlib; m.os.system(...)` through.
//!
//! The analysis is a flow graph over the whole file, built in one walk and
//! solved by one breadth-first search, so its cost is linear in the code's
//! size and its recursion as deep as the tree (which the nesting bound
//! limits). It is flow- and scope-insensitive on purpose: a name that may
//! hold a module anywhere is judged everywhere. That over-approximates
//! (the rules only look at private attributes and the names of denied
//! modules, which everyday code does not read from such values), and it
//! cannot be outrun by reordering statements.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Comprehension, Expr, ExprCall, ExprContext, Operator, Parameters, Stmt};

use super::rules::nfkc;

/// How a module reached an expression, which decides what is judged on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// From a name bound by `import`: the value is a module, or something
    /// read from one, so its private names are a module's internals.
    Import,
    /// Only from a name bound by `from m import x`, which is a module as
    /// often as a function or a class: only names of denied modules are
    /// judged on it.
    FromImport,
}

/// Built-ins whose result holds their arguments (`list([pathlib])[0]`).
const PASS_THROUGH: &[&str] = &[
    "dict",
    "frozenset",
    "iter",
    "list",
    "max",
    "min",
    "next",
    "reversed",
    "set",
    "sorted",
    "tuple",
];

/// Methods that read an element out of a container (`d.get("a")`).
const CONTAINER_READS: &[&str] = &[
    "copy",
    "get",
    "items",
    "pop",
    "popitem",
    "popleft",
    "setdefault",
    "values",
];

/// Methods that store their arguments in the container (`l.append(m)`).
const CONTAINER_WRITES: &[&str] = &[
    "add",
    "append",
    "appendleft",
    "extend",
    "extendleft",
    "insert",
    "setdefault",
    "update",
];

/// A program-wide name a value can flow through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Atom<'a> {
    /// A variable, in any scope.
    Name(Cow<'a, str>),
    /// An attribute of that name, on any object (`self.m = pathlib`).
    Attr(Cow<'a, str>),
    /// What a function, method or lambda of that name returns or yields.
    Returns(Cow<'a, str>),
    /// What a function, method or class of that name is called with.
    Params(Cow<'a, str>),
}

type Node = u32;

/// The solved analysis: which expressions may hold a module, and how.
#[derive(Debug, Default)]
pub(crate) struct ModuleValues {
    /// Expression nodes by the expression's address in the tree.
    exprs: HashMap<usize, Node>,
    /// Reached from an `import` binding.
    imported: Vec<bool>,
    /// Reached from any binding (`import` or `from ... import`).
    reached: Vec<bool>,
    /// The module each name bound by `import` names (`np` is `numpy`),
    /// `None` when imports bind it to different modules.
    imported_as: HashMap<String, Option<String>>,
}

impl ModuleValues {
    /// Analyses a module's statements.
    pub(crate) fn build(suite: &[Stmt]) -> Self {
        let mut builder = Builder::default();
        builder.visit_body(suite);
        let imports = &builder.imports;
        let reached = solve(&builder.edges, imports.iter().chain(&builder.from_imports));
        let imported = solve(&builder.edges, imports.iter());
        ModuleValues {
            exprs: builder.exprs,
            imported,
            reached,
            imported_as: builder.imported_as,
        }
    }

    /// The dotted name `expr` spells when it is a plain chain of
    /// attributes on a name bound by `import` (`np.linalg` is
    /// `numpy.linalg`).
    pub(crate) fn dotted(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => self.imported_as.get(name.id.as_str())?.clone(),
            Expr::Attribute(attribute) => {
                let mut owner = self.dotted(&attribute.value)?;
                owner.push('.');
                owner.push_str(attribute.attr.id.as_str());
                Some(owner)
            }
            _ => None,
        }
    }

    /// How a module may reach `expr`; `None` when none can.
    pub(crate) fn origin(&self, expr: &Expr) -> Option<Origin> {
        let node = *self.exprs.get(&address(expr))? as usize;
        if self.imported[node] {
            Some(Origin::Import)
        } else if self.reached[node] {
            Some(Origin::FromImport)
        } else {
            None
        }
    }
}

/// Every node reachable from `bases`.
fn solve<'n>(edges: &[Vec<Node>], bases: impl Iterator<Item = &'n Node>) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue = VecDeque::new();
    for &base in bases {
        if !seen[base as usize] {
            seen[base as usize] = true;
            queue.push_back(base);
        }
    }
    while let Some(node) = queue.pop_front() {
        for &next in &edges[node as usize] {
            if !seen[next as usize] {
                seen[next as usize] = true;
                queue.push_back(next);
            }
        }
    }
    seen
}

fn address(expr: &Expr) -> usize {
    std::ptr::from_ref(expr) as usize
}

#[derive(Default)]
struct Builder<'a> {
    /// `edges[a]` lists the nodes a value at `a` flows to.
    edges: Vec<Vec<Node>>,
    exprs: HashMap<usize, Node>,
    atoms: HashMap<Atom<'a>, Node>,
    imports: Vec<Node>,
    imported_as: HashMap<String, Option<String>>,
    from_imports: Vec<Node>,
    /// The enclosing bodies, innermost last (none at module level).
    frames: Vec<Frame>,
}

/// A body the walk is in.
#[derive(Clone, Copy)]
enum Frame {
    /// A function's, whose `return` and `yield` send values to the node.
    Function(Node),
    /// A class's: the functions defined in it are methods.
    Class,
    /// A lambda's: no statements, and its `yield` is no function's.
    Lambda,
}

impl<'a> Builder<'a> {
    fn new_node(&mut self) -> Node {
        self.edges.push(Vec::new());
        (self.edges.len() - 1) as Node
    }

    fn expr(&mut self, expr: &Expr) -> Node {
        if let Some(&node) = self.exprs.get(&address(expr)) {
            return node;
        }
        let node = self.new_node();
        self.exprs.insert(address(expr), node);
        node
    }

    fn atom(&mut self, atom: Atom<'a>) -> Node {
        if let Some(&node) = self.atoms.get(&atom) {
            return node;
        }
        let node = self.new_node();
        self.atoms.insert(atom, node);
        node
    }

    fn name(&mut self, name: &'a str) -> Node {
        self.atom(Atom::Name(Cow::Borrowed(name)))
    }

    fn flow(&mut self, from: Node, to: Node) {
        if from != to {
            self.edges[from as usize].push(to);
        }
    }

    /// `expr`'s value flows into `to`.
    fn flow_expr(&mut self, expr: &Expr, to: Node) {
        let from = self.expr(expr);
        self.flow(from, to);
    }

    /// Binds `target` (an assignment target) to the value at `value`:
    /// names and attributes take it, a subscripted container holds it.
    fn bind(&mut self, target: &'a Expr, value: Node) {
        match target {
            Expr::Name(name) => {
                let to = self.name(name.id.as_str());
                self.flow(value, to);
            }
            Expr::Attribute(attribute) => {
                let to = self.atom(Atom::Attr(Cow::Borrowed(attribute.attr.id.as_str())));
                self.flow(value, to);
            }
            Expr::Subscript(subscript) => self.bind(&subscript.value, value),
            Expr::Starred(starred) => self.bind(&starred.value, value),
            Expr::Tuple(tuple) => {
                for element in &tuple.elts {
                    self.bind(element, value);
                }
            }
            Expr::List(list) => {
                for element in &list.elts {
                    self.bind(element, value);
                }
            }
            _ => {}
        }
    }

    /// A name bound to `value` can be called to get what `value` returns
    /// when called (`f = make_module_getter`, `f = lambda: pathlib`).
    fn bind_callable(&mut self, target: &'a Expr, value: &'a Expr) {
        let Expr::Name(name) = target else {
            return;
        };
        let from = match value {
            Expr::Name(callee) => self.atom(Atom::Returns(Cow::Borrowed(callee.id.as_str()))),
            Expr::Attribute(callee) => {
                self.atom(Atom::Returns(Cow::Borrowed(callee.attr.id.as_str())))
            }
            Expr::Lambda(lambda) => self.expr(&lambda.body),
            _ => return,
        };
        let to = self.atom(Atom::Returns(Cow::Borrowed(name.id.as_str())));
        self.flow(from, to);
    }

    fn assign(&mut self, target: &'a Expr, value: &'a Expr) {
        let node = self.expr(value);
        self.bind(target, node);
        self.bind_callable(target, value);
        // A name bound in a class body is an attribute of the class.
        if let (Expr::Name(name), Some(Frame::Class)) = (target, self.frames.last()) {
            let to = self.atom(Atom::Attr(Cow::Borrowed(name.id.as_str())));
            self.flow(node, to);
        }
    }

    /// Where `return` and `yield` send values here, if anywhere.
    fn returns(&self) -> Option<Node> {
        match self.frames.last() {
            Some(Frame::Function(node)) => Some(*node),
            _ => None,
        }
    }

    /// Parameters of a function take what calls of `owner` (the function,
    /// or the class whose `__init__` it is) pass, and their defaults. A
    /// method's first parameter is the instance, never an argument: were
    /// `self` to hold a module, every `self._private` would be judged.
    fn parameters(&mut self, owner: &'a str, parameters: &'a Parameters, method: bool) {
        let calls = self.atom(Atom::Params(Cow::Borrowed(owner)));
        for parameter in parameters.iter().skip(usize::from(method)) {
            let to = self.name(parameter.name().id.as_str());
            self.flow(calls, to);
        }
        for parameter in parameters.iter_non_variadic_params() {
            if let Some(default) = &parameter.default {
                let to = self.name(parameter.parameter.name.id.as_str());
                self.flow_expr(default, to);
            }
        }
    }

    fn call(&mut self, call: &'a ExprCall, result: Node) {
        let arguments = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value));
        match call.func.as_ref() {
            Expr::Name(callee) => {
                let id = callee.id.as_str();
                match id {
                    "getattr" | "vars" => {
                        if let Some(object) = call.arguments.args.first() {
                            self.flow_expr(object, result);
                        }
                    }
                    "setattr" => {
                        if let [_, Expr::StringLiteral(name), value, ..] = &*call.arguments.args {
                            let to = self.atom(Atom::Attr(Cow::Owned(
                                nfkc(name.value.to_str()).into_owned(),
                            )));
                            self.flow_expr(value, to);
                        }
                    }
                    name if PASS_THROUGH.contains(&name) => {
                        for argument in arguments.clone() {
                            self.flow_expr(argument, result);
                        }
                    }
                    _ => {}
                }
                let returns = self.atom(Atom::Returns(Cow::Borrowed(id)));
                self.flow(returns, result);
                let params = self.atom(Atom::Params(Cow::Borrowed(id)));
                for argument in arguments {
                    self.flow_expr(argument, params);
                }
            }
            Expr::Attribute(callee) => {
                let method = callee.attr.id.as_str();
                if CONTAINER_READS.contains(&method) {
                    self.flow_expr(&callee.value, result);
                }
                if CONTAINER_WRITES.contains(&method) {
                    for argument in arguments.clone() {
                        let node = self.expr(argument);
                        self.bind(&callee.value, node);
                    }
                }
                let returns = self.atom(Atom::Returns(Cow::Borrowed(method)));
                self.flow(returns, result);
                let params = self.atom(Atom::Params(Cow::Borrowed(method)));
                for argument in arguments {
                    self.flow_expr(argument, params);
                }
            }
            Expr::Lambda(lambda) => self.flow_expr(&lambda.body, result),
            _ => {}
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let (bound, module) = match &alias.asname {
                        Some(asname) => (asname.id.as_str(), alias.name.id.as_str()),
                        None => {
                            let top = alias.name.id.split('.').next().unwrap_or_default();
                            (top, top)
                        }
                    };
                    let node = self.name(bound);
                    self.imports.push(node);
                    self.imported_as
                        .entry(bound.to_owned())
                        .and_modify(|known| {
                            if known.as_deref() != Some(module) {
                                *known = None;
                            }
                        })
                        .or_insert_with(|| Some(module.to_owned()));
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                    if bound != "*" {
                        let node = self.name(bound);
                        self.from_imports.push(node);
                    }
                }
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.assign(target, &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.assign(&assign.target, value);
                }
            }
            Stmt::AugAssign(assign) => {
                let node = self.expr(&assign.value);
                self.bind(&assign.target, node);
            }
            Stmt::For(each) => {
                let node = self.expr(&each.iter);
                self.bind(&each.target, node);
            }
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(vars) = &item.optional_vars {
                        let node = self.expr(&item.context_expr);
                        self.bind(vars, node);
                    }
                }
            }
            Stmt::Return(ret) => {
                if let (Some(value), Some(to)) = (&ret.value, self.returns()) {
                    self.flow_expr(value, to);
                }
            }
            Stmt::FunctionDef(def) => {
                let method = matches!(self.frames.last(), Some(Frame::Class));
                self.parameters(def.name.id.as_str(), &def.parameters, method);
                let returns = self.atom(Atom::Returns(Cow::Borrowed(def.name.id.as_str())));
                self.frames.push(Frame::Function(returns));
                visitor::walk_stmt(self, stmt);
                self.frames.pop();
                return;
            }
            Stmt::ClassDef(class) => {
                // Calling the class calls its `__init__`; a dataclass's
                // fields become attributes.
                for member in &class.body {
                    match member {
                        Stmt::FunctionDef(def) if def.name.id.as_str() == "__init__" => {
                            self.parameters(class.name.id.as_str(), &def.parameters, true);
                        }
                        Stmt::AnnAssign(field) => {
                            let calls =
                                self.atom(Atom::Params(Cow::Borrowed(class.name.id.as_str())));
                            if let Expr::Name(name) = field.target.as_ref() {
                                let to = self.atom(Atom::Attr(Cow::Borrowed(name.id.as_str())));
                                self.flow(calls, to);
                            }
                        }
                        _ => {}
                    }
                }
                self.frames.push(Frame::Class);
                visitor::walk_stmt(self, stmt);
                self.frames.pop();
                return;
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let node = self.expr(expr);
        match expr {
            Expr::Name(name) if name.ctx == ExprContext::Load => {
                let from = self.name(name.id.as_str());
                self.flow(from, node);
            }
            Expr::Attribute(attribute) => {
                self.flow_expr(&attribute.value, node);
                let from = self.atom(Atom::Attr(Cow::Borrowed(attribute.attr.id.as_str())));
                self.flow(from, node);
            }
            Expr::Subscript(subscript) => self.flow_expr(&subscript.value, node),
            Expr::Starred(starred) => self.flow_expr(&starred.value, node),
            Expr::List(list) => {
                for element in &list.elts {
                    self.flow_expr(element, node);
                }
            }
            Expr::Tuple(tuple) => {
                for element in &tuple.elts {
                    self.flow_expr(element, node);
                }
            }
            Expr::Set(set) => {
                for element in &set.elts {
                    self.flow_expr(element, node);
                }
            }
            Expr::Dict(dict) => {
                for item in &dict.items {
                    if let Some(key) = &item.key {
                        self.flow_expr(key, node);
                    }
                    self.flow_expr(&item.value, node);
                }
            }
            Expr::If(branch) => {
                self.flow_expr(&branch.body, node);
                self.flow_expr(&branch.orelse, node);
            }
            Expr::BoolOp(op) => {
                for value in &op.values {
                    self.flow_expr(value, node);
                }
            }
            Expr::BinOp(op) if matches!(op.op, Operator::Add | Operator::Mult) => {
                self.flow_expr(&op.left, node);
                self.flow_expr(&op.right, node);
            }
            Expr::Named(named) => {
                self.flow_expr(&named.value, node);
                let value = self.expr(&named.value);
                self.bind(&named.target, value);
            }
            Expr::ListComp(comp) => self.flow_expr(&comp.elt, node),
            Expr::SetComp(comp) => self.flow_expr(&comp.elt, node),
            Expr::Generator(comp) => self.flow_expr(&comp.elt, node),
            Expr::DictComp(comp) => {
                if let Some(key) = &comp.key {
                    self.flow_expr(key, node);
                }
                self.flow_expr(&comp.value, node);
            }
            Expr::Await(inner) => self.flow_expr(&inner.value, node),
            Expr::Yield(inner) => {
                if let (Some(value), Some(to)) = (&inner.value, self.returns()) {
                    self.flow_expr(value, to);
                }
            }
            Expr::YieldFrom(inner) => {
                if let Some(to) = self.returns() {
                    self.flow_expr(&inner.value, to);
                }
            }
            Expr::Call(call) => self.call(call, node),
            Expr::Lambda(_) => {
                // A lambda's body is no `return` of the enclosing function.
                self.frames.push(Frame::Lambda);
                visitor::walk_expr(self, expr);
                self.frames.pop();
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }

    fn visit_comprehension(&mut self, comprehension: &'a Comprehension) {
        let node = self.expr(&comprehension.iter);
        self.bind(&comprehension.target, node);
        visitor::walk_comprehension(self, comprehension);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_ast::StmtExpr;

    /// The origin of the last statement's expression in `code`.
    fn origin_of_last(code: &str) -> Option<Origin> {
        let parsed = ruff_python_parser::parse_module(code).unwrap();
        let values = ModuleValues::build(parsed.suite());
        let Some(Stmt::Expr(StmtExpr { value, .. })) = parsed.suite().last() else {
            panic!("the last statement is not an expression");
        };
        values.origin(value)
    }

    #[test]
    fn modules_flow_through_aliases_returns_and_containers() {
        for code in [
            "import pathlib\npathlib",
            "import pathlib as p\np.os",
            "import pathlib\nm = pathlib\nm",
            // Statement order does not matter.
            "def f():\n    return b\nb = a\na = pathlib\nimport pathlib\nf()",
            "import pathlib\ndef f():\n    return pathlib\nf()",
            "import pathlib\ng = lambda: pathlib\ng()",
            "import pathlib\n(lambda: pathlib)()",
            "import pathlib\n[pathlib][0]",
            "import pathlib\n{'a': pathlib}['a']",
            "import pathlib\nd = {'a': pathlib}\nd.get('a')",
            "import pathlib\nl = []\nl.append(pathlib)\nl[0]",
            "import pathlib\nd = {}\nd['k'] = pathlib\nd['k']",
            "import pathlib\nfor m in [pathlib]:\n    pass\nm",
            "import pathlib\n[m for m in (pathlib,)][0]",
            "import pathlib\nnext(iter([pathlib]))",
            "import pathlib\ngetattr(pathlib, 'os')",
            "import pathlib\nvars(pathlib)['os']",
            "import pathlib\n(m := pathlib)\nm",
            "import pathlib\na, b = 1, pathlib\nb",
            "import pathlib\nclass C:\n    def __init__(self, m):\n        self.m = m\nC(pathlib).m",
            "import pathlib\ndef use(m):\n    return m\nuse(pathlib)",
            "import pathlib\ndef gen():\n    yield pathlib\nnext(gen())",
            "import pathlib\nx = pathlib if 1 else None\nx",
            "import pathlib\nsetattr(o, 'mod', pathlib)\nq.mod",
            "import pathlib\nclass C:\n    m = pathlib\nC.m",
        ] {
            assert_eq!(origin_of_last(code), Some(Origin::Import), "{code}");
        }
    }

    #[test]
    fn from_imports_reach_only_as_maybe_modules() {
        assert_eq!(
            origin_of_last("from pathlib import posixpath\nm = posixpath\nm"),
            Some(Origin::FromImport)
        );
    }

    #[test]
    fn ordinary_values_are_not_modules() {
        for code in [
            "import collections\nP = collections.namedtuple('P', 'x y')\nP",
            "import json\njson.loads('{}')",
            "import random\nrng = random.Random(1)\nrng",
            "import pathlib\npathlib.Path('a')",
            "import json\ndef f():\n    return json.dumps({})\nf()",
            "import math\nx = [1, 2]\nx[0]",
            "from enum import Enum\nclass Color(Enum):\n    RED = 1\nColor",
            "import pathlib\nlen([pathlib])",
            // A method's instance is never the argument.
            "import pathlib\nclass C:\n    def __init__(self, m):\n        self.m = m\n    def g(self, n):\n        return n\nC(pathlib).g(pathlib)\nself",
        ] {
            assert_eq!(origin_of_last(code), None, "{code}");
        }
    }
}
