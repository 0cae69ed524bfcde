# A 2D vector class implementing the usual dunder methods for arithmetic and comparison.
import math
from functools import total_ordering


@total_ordering
class Vector:
    """An immutable two-dimensional vector."""

    __slots__ = ("x", "y")

    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.x!r}, {self.y!r})"

    def __str__(self) -> str:
        return "({0.x:.2f}, {0.y:.2f})".format(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vector):
            return NotImplemented
        return (self.x, self.y) == (other.x, other.y)

    def __lt__(self, other: "Vector") -> bool:
        return abs(self) < abs(other)

    def __hash__(self) -> int:
        return hash((self.x, self.y))

    def __add__(self, other: "Vector") -> "Vector":
        return Vector(self.x + other.x, self.y + other.y)

    def __sub__(self, other: "Vector") -> "Vector":
        return Vector(self.x - other.x, self.y - other.y)

    def __mul__(self, k: float) -> "Vector":
        return Vector(self.x * k, self.y * k)

    __rmul__ = __mul__

    def __neg__(self) -> "Vector":
        return Vector(-self.x, -self.y)

    def __abs__(self) -> float:
        return math.hypot(self.x, self.y)

    def __bool__(self) -> bool:
        return bool(self.x or self.y)

    def __iter__(self):
        yield self.x
        yield self.y

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> float:
        return (self.x, self.y)[index]

    def dot(self, other: "Vector") -> float:
        return self.x * other.x + self.y * other.y


if __name__ == "__main__":
    a = Vector(3, 4)
    b = Vector(1.5, -2)
    print(repr(a), str(b))
    print("a + b =", a + b)
    print("a - b =", a - b)
    print("2 * a =", 2 * a, "a * 0.5 =", a * 0.5)
    print("-b =", -b)
    print("|a| =", abs(a))
    print("a . b =", a.dot(b))
    print("a == Vector(3, 4):", a == Vector(3, 4))
    print("b < a:", b < a, "a >= b:", a >= b)
    print("bool(Vector(0, 0)):", bool(Vector(0, 0)))
    x, y = a
    print("unpacked:", x, y, "len:", len(a), "a[1]:", a[1])
    print("sorted:", sorted([a, b, Vector(0, 1)]))
    print("unique:", len({a, Vector(3, 4), b}))
    print("doc:", Vector.__doc__)
    print("point {p.x:.2f},{p.y:.2f}".format(p=b))
