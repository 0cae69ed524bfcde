# Simulates a traffic light and file permissions with Enum, IntEnum, Flag and auto().
from enum import Enum, IntEnum, Flag, auto, unique


@unique
class Light(Enum):
    RED = "red"
    GREEN = "green"
    YELLOW = "yellow"

    def next(self) -> "Light":
        order = [Light.RED, Light.GREEN, Light.YELLOW]
        return order[(order.index(self) + 1) % len(order)]

    @property
    def duration(self) -> int:
        return {Light.RED: 30, Light.GREEN: 25, Light.YELLOW: 5}[self]


class Priority(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Perm(Flag):
    READ = auto()
    WRITE = auto()
    EXECUTE = auto()


def main() -> None:
    light = Light.RED
    elapsed = 0
    for _ in range(5):
        print(f"{light.name:<6} for {light.duration:>2}s (t={elapsed})")
        elapsed += light.duration
        light = light.next()
    print("lookup by value:", Light("green"), "by name:", Light["YELLOW"])
    print("members:", [m.value for m in Light])
    print("sorted priorities:", sorted([Priority.HIGH, Priority.LOW, Priority.MEDIUM]))
    print("HIGH > 2:", Priority.HIGH > 2, "int:", int(Priority.MEDIUM))
    rw = Perm.READ | Perm.WRITE
    print("rw has WRITE:", Perm.WRITE in rw, "has EXECUTE:", Perm.EXECUTE in rw)
    print("values:", rw.value, Perm.EXECUTE.value)
    print("identity:", Light.RED is Light("red"), repr(Light.GREEN))
    try:
        Light("blue")
    except ValueError as exc:
        print("ValueError:", exc)


if __name__ == "__main__":
    main()
