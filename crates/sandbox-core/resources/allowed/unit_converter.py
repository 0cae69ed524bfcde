# Converts between units of length, mass and temperature using a Quantity class with numbers ABCs.
import math
import numbers
from dataclasses import dataclass
from functools import total_ordering

LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "mi": 1609.344}
MASS = {"g": 0.001, "kg": 1.0, "lb": 0.45359237, "oz": 0.028349523125}


def dimension(unit: str) -> str:
    if unit in LENGTH:
        return "length"
    if unit in MASS:
        return "mass"
    raise KeyError(f"unknown unit {unit!r}")


@total_ordering
@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str

    def _base(self) -> float:
        table = LENGTH if dimension(self.unit) == "length" else MASS
        return self.value * table[self.unit]

    def to(self, unit: str) -> "Quantity":
        if dimension(unit) != dimension(self.unit):
            raise ValueError(f"cannot convert {self.unit} to {unit}")
        table = LENGTH if dimension(unit) == "length" else MASS
        return Quantity(self._base() / table[unit], unit)

    def __add__(self, other: "Quantity") -> "Quantity":
        return Quantity(self.value + other.to(self.unit).value, self.unit)

    def __mul__(self, k: numbers.Real) -> "Quantity":
        if not isinstance(k, numbers.Real):
            return NotImplemented
        return Quantity(self.value * k, self.unit)

    __rmul__ = __mul__

    def __lt__(self, other: "Quantity") -> bool:
        return self._base() < other.to(self.unit)._base()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return dimension(self.unit) == dimension(other.unit) and math.isclose(self._base(), other._base())

    def __hash__(self) -> int:
        return hash((dimension(self.unit), round(self._base(), 9)))

    def __format__(self, spec: str) -> str:
        return f"{format(self.value, spec or 'g')} {self.unit}"


def celsius_to_fahrenheit(c: float) -> float:
    return c * 9 / 5 + 32


def fahrenheit_to_celsius(f: float) -> float:
    return (f - 32) * 5 / 9


if __name__ == "__main__":
    marathon = Quantity(42.195, "km")
    print(f"marathon: {marathon:.3f} = {marathon.to('mi'):.3f} = {marathon.to('ft'):,.0f}")
    print(f"6 ft in cm: {Quantity(6, 'ft').to('cm'):.2f}")
    print(f"sum: {Quantity(1, 'm') + Quantity(30, 'cm'):.2f}")
    print(f"bag: {Quantity(3, 'lb') * 2:.1f} -> {(2 * Quantity(3, 'lb')).to('kg'):.4f}")
    print("1 in == 2.54 cm:", Quantity(1, "in") == Quantity(2.54, "cm"))
    print("sorted:", [f"{q}" for q in sorted([Quantity(1, "mi"), Quantity(1500, "m"), Quantity(5000, "ft")])])
    print("max mass:", f"{max(Quantity(1, 'lb'), Quantity(500, 'g'), Quantity(20, 'oz'))}")
    print("distinct:", len({Quantity(100, "cm"), Quantity(1, "m"), Quantity(1, "km")}))
    try:
        Quantity(1, "kg").to("m")
    except ValueError as exc:
        print("ValueError:", exc)
    for c in (-40, 0, 37, 100):
        print(f"{c:>4} C = {celsius_to_fahrenheit(c):>6.1f} F")
    print(f"98.6 F = {fahrenheit_to_celsius(98.6):.1f} C")
    print("numbers checks:", isinstance(2, numbers.Integral), isinstance(2.5, numbers.Rational), isinstance(1j, numbers.Complex))
