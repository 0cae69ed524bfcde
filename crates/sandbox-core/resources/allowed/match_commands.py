# Interprets simple text commands and shapes using structural pattern matching (match/case).
from dataclasses import dataclass
from typing import Union


@dataclass
class Circle:
    radius: float


@dataclass
class Rect:
    width: float
    height: float


@dataclass
class Move:
    dx: int
    dy: int


def area(shape: Union[Circle, Rect]) -> str:
    match shape:
        case Circle(radius=r) if r <= 0:
            return "degenerate circle"
        case Circle(radius=r):
            return f"circle area {3.14159 * r * r:.2f}"
        case Rect(width=w, height=h) if w == h:
            return f"square area {w * h}"
        case Rect(w, h):
            return f"rect area {w * h}"
        case _:
            return "unknown"


def run(command: str, position: list) -> str:
    match command.split():
        case ["go", ("north" | "south" | "east" | "west") as direction]:
            step = {"north": (0, 1), "south": (0, -1), "east": (1, 0), "west": (-1, 0)}[direction]
            position[0] += step[0]
            position[1] += step[1]
            return f"moved {direction} to {tuple(position)}"
        case ["go", other]:
            return f"cannot go {other}"
        case ["pick", "up", *items] if items:
            return "picked up " + ", ".join(items)
        case ["look"]:
            return f"you are at {tuple(position)}"
        case ["quit" | "exit"]:
            return "bye"
        case []:
            return "say something"
        case _:
            return f"unknown command: {command!r}"


def describe(value) -> str:
    match value:
        case None:
            return "nothing"
        case True | False:
            return f"bool {value}"
        case int(n) if n < 0:
            return "negative int"
        case int() | float():
            return f"number {value}"
        case str() as s if len(s) > 5:
            return "long string"
        case str():
            return "short string"
        case [x, y]:
            return f"pair {x},{y}"
        case [x, *rest]:
            return f"list starting {x} (+{len(rest)})"
        case {"type": "user", "name": name}:
            return f"user {name}"
        case {"type": kind, **extra}:
            return f"{kind} with {sorted(extra)}"
        case Move(dx=0, dy=0):
            return "no move"
        case Move():
            return f"move {value.dx},{value.dy}"
        case _:
            return "other"


if __name__ == "__main__":
    for shape in [Circle(1), Circle(0), Rect(2, 2), Rect(2, 5)]:
        print(area(shape))
    pos = [0, 0]
    for cmd in ["go north", "go east", "go up", "pick up lamp key", "look", "", "dance", "exit"]:
        print(run(cmd, pos))
    for v in [None, True, -3, 7, 2.5, "hi", "hello world", [1, 2], [1, 2, 3],
              {"type": "user", "name": "kim"}, {"type": "bot", "a": 1, "b": 2},
              Move(0, 0), Move(1, -1), (1j)]:
        print(describe(v))
