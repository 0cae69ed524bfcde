# Models geometric shapes with an abstract base class, inheritance and super().
import math
from abc import ABC, abstractmethod


class Shape(ABC):
    """Base class for all shapes."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def area(self) -> float:
        ...

    @abstractmethod
    def perimeter(self) -> float:
        ...

    def describe(self) -> str:
        return "{0.name} ({1}): area={2:.3f} perimeter={3:.3f}".format(
            self, type(self).__name__, self.area(), self.perimeter()
        )

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self.name!r}>"


class Rectangle(Shape):
    def __init__(self, name: str, width: float, height: float) -> None:
        super().__init__(name)
        self.width = width
        self.height = height

    def area(self) -> float:
        return self.width * self.height

    def perimeter(self) -> float:
        return 2 * (self.width + self.height)


class Square(Rectangle):
    def __init__(self, name: str, side: float) -> None:
        super().__init__(name, side, side)

    def describe(self) -> str:
        base = super().describe()
        return base + f" side={self.width}"


class Circle(Shape):
    def __init__(self, name: str, radius: float) -> None:
        super().__init__(name)
        self.radius = radius

    def area(self) -> float:
        return math.pi * self.radius ** 2

    def perimeter(self) -> float:
        return 2 * math.pi * self.radius


class Triangle(Shape):
    def __init__(self, name: str, a: float, b: float, c: float) -> None:
        super().__init__(name)
        if a + b <= c or a + c <= b or b + c <= a:
            raise ValueError(f"sides {a}, {b}, {c} do not form a triangle")
        self.sides = (a, b, c)

    def perimeter(self) -> float:
        return sum(self.sides)

    def area(self) -> float:
        s = self.perimeter() / 2
        a, b, c = self.sides
        return math.sqrt(s * (s - a) * (s - b) * (s - c))


def main() -> None:
    shapes = [
        Rectangle("door", 0.9, 2.1),
        Square("tile", 0.3),
        Circle("plate", 0.12),
        Triangle("sail", 3, 4, 5),
    ]
    for shape in shapes:
        print(shape.describe())
    print("Largest:", max(shapes, key=lambda s: s.area()))
    print("Squares are rectangles:", isinstance(shapes[1], Rectangle))
    print("Square subclass of Shape:", issubclass(Square, Shape))
    print("MRO names:", [cls.__name__ for cls in Square.mro()])
    try:
        Shape("abstract")  # type: ignore[abstract]
    except TypeError as exc:
        print("Cannot instantiate:", type(exc).__name__)
    try:
        Triangle("bad", 1, 2, 10)
    except ValueError as exc:
        print("Error:", exc)
    print(Shape.__doc__)


if __name__ == "__main__":
    main()
