# Shows context managers written as classes (__enter__/__exit__) and with contextlib helpers.
import io
from contextlib import contextmanager, suppress, redirect_stdout, ExitStack, closing


class Indenter:
    """Context manager that tracks an indentation level."""

    def __init__(self) -> None:
        self.level = 0

    def __enter__(self) -> "Indenter":
        self.level += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.level -= 1
        return False

    def say(self, text: str) -> None:
        print("    " * self.level + text)


class Transaction:
    def __init__(self, account: dict) -> None:
        self.account = account
        self.snapshot = None

    def __enter__(self) -> dict:
        self.snapshot = dict(self.account)
        return self.account

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.account.clear()
            self.account.update(self.snapshot)
            print(f"rolled back because of {exc_type.__name__}: {exc}")
            return True
        print("committed")
        return False


@contextmanager
def tag(name: str):
    print(f"<{name}>")
    try:
        yield name
    finally:
        print(f"</{name}>")


@contextmanager
def collecting():
    items = []
    yield items
    print("collected:", items)


class Resource:
    def __init__(self, name: str) -> None:
        self.name = name
        print(f"open {name}")

    def close(self) -> None:
        print(f"close {self.name}")


if __name__ == "__main__":
    with Indenter() as ind:
        ind.say("level one")
        with ind:
            ind.say("level two")
        ind.say("back to one")

    account = {"balance": 100}
    with Transaction(account) as acc:
        acc["balance"] -= 30
    with Transaction(account) as acc:
        acc["balance"] -= 500
        if acc["balance"] < 0:
            raise ValueError("overdrawn")
    print("balance:", account["balance"])

    with tag("html"), tag("body"):
        print("hello")

    with collecting() as bag:
        bag.extend([1, 2, 3])

    with suppress(KeyError):
        {}["missing"]
    print("KeyError suppressed")

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print("captured line")
    print("buffer holds:", repr(buffer.getvalue()))

    with ExitStack() as stack:
        resources = [stack.enter_context(closing(Resource(n))) for n in ("a", "b")]
        print("using", [r.name for r in resources])
