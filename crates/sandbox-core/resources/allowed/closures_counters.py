# Uses closures and nonlocal to build counters, accumulators and a tiny event bus.
from typing import Callable, Dict, List


def make_counter(start: int = 0, step: int = 1) -> Callable[[], int]:
    count = start

    def counter() -> int:
        nonlocal count
        current = count
        count += step
        return current

    return counter


def make_accumulator():
    total = 0
    history = []

    def add(amount):
        nonlocal total
        total += amount
        history.append(amount)
        return total

    def reset():
        nonlocal total
        total = 0
        history.clear()

    return add, reset, history


def make_multiplier(factor):
    return lambda x: x * factor


def event_bus():
    handlers: Dict[str, List[Callable]] = {}

    def on(event: str):
        def register(fn):
            handlers.setdefault(event, []).append(fn)
            return fn

        return register

    def emit(event: str, *args):
        return [fn(*args) for fn in handlers.get(event, [])]

    return on, emit


def outer():
    x = "outer"

    def middle():
        x = "middle"

        def inner():
            nonlocal x
            x = "changed by inner"

        inner()
        return x

    return middle(), x


if __name__ == "__main__":
    c = make_counter()
    by_five = make_counter(100, 5)
    print([c() for _ in range(4)], [by_five() for _ in range(3)])
    add, reset, history = make_accumulator()
    for amount in (5, 10, -3):
        print("total:", add(amount))
    print("history:", history)
    reset()
    print("after reset:", add(1), history)
    double, triple = make_multiplier(2), make_multiplier(3)
    print("double/triple:", double(7), triple(7))
    fns = [lambda x, n=n: x + n for n in range(3)]
    print("default-arg capture:", [f(10) for f in fns])
    on, emit = event_bus()

    @on("greet")
    def english(name):
        return f"Hello {name}"

    @on("greet")
    def french(name):
        return f"Bonjour {name}"

    print(emit("greet", "Sam"), emit("unknown"))
    print(outer())
