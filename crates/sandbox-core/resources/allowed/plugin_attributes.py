# Reads optional settings and capabilities from objects with getattr/hasattr/isinstance, printing to a StringIO report.
import io
from typing import Any, List


class Plugin:
    """Base plugin with sensible defaults."""

    name = "base"
    version = "1.0"

    def run(self, data: List[int]) -> List[int]:
        return data


class Doubler(Plugin):
    """Doubles every value."""

    name = "doubler"
    priority = 5

    def run(self, data):
        return [x * 2 for x in data]


class Filter(Plugin):
    name = "filter"
    threshold = 4

    def run(self, data):
        return [x for x in data if x >= self.threshold]

    def describe(self):
        return f"keeps values >= {self.threshold}"


class Summary:
    """Not a Plugin subclass, but quacks a bit like one."""

    name = "summary"

    def run(self, data):
        return [sum(data)]


def describe(obj: Any, out: io.StringIO) -> None:
    kind = type(obj).__name__
    priority = getattr(obj, "priority", 0)
    version = getattr(obj, "version", "n/a")
    print(f"{kind:<8} name={obj.name:<8} priority={priority} version={version}", file=out)
    if hasattr(obj, "describe"):
        print(f"         {obj.describe()}", file=out)
    if not isinstance(obj, Plugin):
        print("         (duck-typed, not a Plugin)", file=out)
    doc = obj.__doc__
    if doc:
        print(f"         doc: {doc.strip()}", file=out)


def main() -> None:
    plugins = [Filter(), Doubler(), Summary(), Plugin()]
    report = io.StringIO()
    for p in plugins:
        describe(p, report)
    data = [1, 2, 3, 4, 5]
    for p in sorted(plugins, key=lambda p: getattr(p, "priority", 0), reverse=True):
        data = p.run(data)
        print(f"after {p.name}: {data}", file=report)
    text = report.getvalue()
    print(text, end="")
    print("report lines:", len(text.splitlines()))
    print("callable run:", all(callable(getattr(p, "run", None)) for p in plugins))
    print("isinstance checks:", [isinstance(p, Plugin) for p in plugins], isinstance(3, (int, float)), isinstance("x", bytes))
    print("issubclass:", issubclass(Doubler, Plugin), issubclass(bool, int))
    print("class name via self:", plugins[1].__class__.__name__)
    errors = io.StringIO()
    print("warning: something minor", file=errors)
    print("captured stderr-like text:", errors.getvalue().strip())


if __name__ == "__main__":
    main()
