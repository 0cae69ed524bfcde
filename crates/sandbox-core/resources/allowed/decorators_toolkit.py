# A collection of everyday decorators: timing-free call logging, retry, validation and class registration.
import functools
from typing import Callable, Dict, List

CALL_LOG: List[str] = []
REGISTRY: Dict[str, type] = {}


def logged(func: Callable) -> Callable:
    """Record each call and its result."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        arg_text = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        CALL_LOG.append(f"{func.__name__}({arg_text}) -> {result!r}")
        return result

    return wrapper


def retry(times: int, exceptions=(Exception,)):
    """Retry a function a fixed number of times."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            last = None
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions as exc:
                    last = exc
                    print(f"  attempt {attempt} failed: {exc}")
            raise RuntimeError(f"gave up after {times} attempts") from last

        return wrapper

    return decorator


def validate_positive(func):
    @functools.wraps(func)
    def wrapper(*args):
        for a in args:
            if isinstance(a, (int, float)) and a < 0:
                raise ValueError(f"{func.__name__} needs non-negative numbers, got {a}")
        return func(*args)

    return wrapper


def register(cls):
    """Class decorator that records the class in a registry."""
    REGISTRY[cls.__name__.lower()] = cls
    return cls


def with_greeting(greeting: str):
    """Class decorator with an argument: adds a greet method."""

    def decorate(cls):
        def greet(self):
            return f"{greeting}, I am {self.name}"

        cls.greet = greet
        return cls

    return decorate


class CountCalls:
    """A decorator implemented as a class with __call__."""

    def __init__(self, func):
        functools.update_wrapper(self, func)
        self.func = func
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.func(*args, **kwargs)


@logged
def add(a, b=0):
    """Add two numbers."""
    return a + b


@validate_positive
@logged
def area(w, h):
    return w * h


_attempts = {"n": 0}


@retry(times=3, exceptions=(ConnectionError,))
def flaky():
    _attempts["n"] += 1
    if _attempts["n"] < 3:
        raise ConnectionError(f"no route (try {_attempts['n']})")
    return "connected"


@retry(times=2)
def always_fails():
    raise OSError("disk missing")


@CountCalls
def shout(text):
    return text.upper() + "!"


@register
@with_greeting("Hello")
class Robot:
    def __init__(self, name):
        self.name = name


@register
class Sensor:
    pass


if __name__ == "__main__":
    add(2, 3)
    add(10, b=5)
    area(3, 4)
    try:
        area(-1, 4)
    except ValueError as exc:
        print("ValueError:", exc)
    print("\n".join(CALL_LOG))
    print("wraps kept name/doc:", add.__name__, "/", add.__doc__)
    print(flaky())
    try:
        always_fails()
    except RuntimeError as exc:
        print(exc)
    print(shout("hi"), shout("there"), "calls:", shout.calls)
    print("registry:", sorted(REGISTRY))
    print(REGISTRY["robot"]("R2").greet())
