# A small tokenizer, recursive-descent parser and tree-walking interpreter for arithmetic with variables.
import math
import re
from dataclasses import dataclass
from typing import Dict, List, Union

TOKEN_RE = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?)|(?P<name>[A-Za-z_]\w*)|(?P<op>\*\*|[-+*/%(),=^]))")


@dataclass
class Token:
    kind: str
    text: str


@dataclass
class Num:
    value: float


@dataclass
class Var:
    name: str


@dataclass
class BinOp:
    op: str
    left: "Node"
    right: "Node"


@dataclass
class Neg:
    operand: "Node"


@dataclass
class Call:
    func: str
    args: List["Node"]


@dataclass
class Assign:
    name: str
    value: "Node"


Node = Union[Num, Var, BinOp, Neg, Call, Assign]


class ParseError(Exception):
    pass


def tokenize(text: str) -> List[Token]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            while text[pos].isspace():
                pos += 1
            raise ParseError(f"unexpected character {text[pos]!r} at {pos}")
        kind = m.lastgroup
        tokens.append(Token(kind, m.group(kind)))
        pos = m.end()
    tokens.append(Token("eof", ""))
    return tokens


class Parser:
    """expr := assign | sum; sum := term (('+'|'-') term)*; term := unary (('*'|'/'|'%') unary)*;
    unary := '-' unary | power; power := atom ('**' unary)?"""

    def __init__(self, tokens: List[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.advance()
        if tok.text != text:
            raise ParseError(f"expected {text!r}, got {tok.text or 'end of input'!r}")

    def parse(self) -> Node:
        node = self.statement()
        if self.peek().kind != "eof":
            raise ParseError(f"unexpected {self.peek().text!r}")
        return node

    def statement(self) -> Node:
        if self.peek().kind == "name" and self.tokens[self.i + 1].text == "=":
            name = self.advance().text
            self.advance()
            return Assign(name, self.sum())
        return self.sum()

    def sum(self) -> Node:
        node = self.term()
        while self.peek().text in ("+", "-"):
            op = self.advance().text
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek().text in ("*", "/", "%"):
            op = self.advance().text
            node = BinOp(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek().text == "-":
            self.advance()
            return Neg(self.unary())
        return self.power()

    def power(self) -> Node:
        node = self.atom()
        if self.peek().text in ("**", "^"):
            self.advance()
            return BinOp("**", node, self.unary())
        return node

    def atom(self) -> Node:
        tok = self.advance()
        if tok.kind == "num":
            return Num(float(tok.text))
        if tok.kind == "name":
            if self.peek().text == "(":
                self.advance()
                args = []
                if self.peek().text != ")":
                    args.append(self.sum())
                    while self.peek().text == ",":
                        self.advance()
                        args.append(self.sum())
                self.expect(")")
                return Call(tok.text, args)
            return Var(tok.text)
        if tok.text == "(":
            node = self.sum()
            self.expect(")")
            return node
        raise ParseError(f"unexpected {tok.text or 'end of input'!r}")


FUNCTIONS = {"sqrt": math.sqrt, "max": max, "min": min, "abs": abs, "round": round}
OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a ** b,
}


class Interpreter:
    def __init__(self) -> None:
        self.env: Dict[str, float] = {"pi": math.pi}

    def evaluate(self, node: Node) -> float:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Var):
            if node.name not in self.env:
                raise NameError(f"undefined variable {node.name}")
            return self.env[node.name]
        if isinstance(node, Neg):
            return -self.evaluate(node.operand)
        if isinstance(node, BinOp):
            return OPS[node.op](self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, Call):
            if node.func not in FUNCTIONS:
                raise NameError(f"unknown function {node.func}")
            return FUNCTIONS[node.func](*[self.evaluate(a) for a in node.args])
        if isinstance(node, Assign):
            value = self.evaluate(node.value)
            self.env[node.name] = value
            return value
        raise TypeError(f"bad node {node!r}")

    def run(self, line: str) -> str:
        try:
            value = self.evaluate(Parser(tokenize(line)).parse())
        except (ParseError, NameError, ZeroDivisionError) as exc:
            return f"error: {type(exc).__name__}: {exc}"
        return f"{value:g}"


if __name__ == "__main__":
    print(Parser(tokenize("1 + 2 * -x")).parse())
    interp = Interpreter()
    program = [
        "1 + 2 * 3",
        "(1 + 2) * 3",
        "2 ** 3 ** 2",
        "-2 ^ 2",
        "x = 10 / 4",
        "y = x * 2 + 1",
        "max(x, y, 3) - min(1, 2)",
        "sqrt(16) + pi",
        "round(pi * 100) / 100",
        "17 % 5",
        "1 / 0",
        "z + 1",
        "2 * (3 + ",
        "3 $ 4",
    ]
    for line in program:
        print(f"{line:<28} => {interp.run(line)}")
    print("variables:", sorted(interp.env))
