# Uses typing.NamedTuple and collections.namedtuple for lightweight records.
from collections import namedtuple
from typing import NamedTuple, List

Point = namedtuple("Point", ["x", "y"])
Color = namedtuple("Color", "red green blue", defaults=(0,))


class Employee(NamedTuple):
    name: str
    department: str
    salary: int
    remote: bool = False

    def monthly(self) -> float:
        return self.salary / 12


def main() -> None:
    p = Point(3, 4)
    print(p, p.x + p.y, p._asdict())
    moved = p._replace(x=10)
    print("moved:", moved, "fields:", Point._fields)
    print("color:", Color(255, 128), Color._make([1, 2, 3]))

    staff: List[Employee] = [
        Employee("Ada", "Engineering", 120000, True),
        Employee("Grace", "Engineering", 135000),
        Employee("Linus", "Operations", 90000, True),
        Employee("Barbara", "Research", 110000),
    ]
    for e in sorted(staff, key=lambda e: (e.department, -e.salary)):
        print("{0.name:<8} {0.department:<12} {0.salary:>8,} remote={0.remote} monthly={1:.2f}".format(e, e.monthly()))
    name, dept, salary, remote = staff[0]
    print("unpacked:", name, dept, salary, remote)
    print("as tuple:", tuple(staff[2]))
    print("equal to tuple:", Point(1, 2) == (1, 2))
    print("defaults:", Employee._field_defaults)


if __name__ == "__main__":
    main()
