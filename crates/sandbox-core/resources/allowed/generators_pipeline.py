# Builds a lazy data-processing pipeline with generators, yield from and send().
from typing import Generator, Iterable, Iterator, List

LOG_LINES = """\
2024-01-05 INFO start service
2024-01-05 WARN disk at 81%
2024-01-05 INFO request /home 200
2024-01-06 ERROR request /api 500
2024-01-06 INFO request /about 200
2024-01-06 ERROR timeout talking to db
2024-01-07 INFO stop service
"""


def read_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        if line.strip():
            yield line


def parse(lines: Iterable[str]) -> Iterator[dict]:
    for line in lines:
        date, level, message = line.split(" ", 2)
        yield {"date": date, "level": level, "message": message}


def only(level: str, records: Iterable[dict]) -> Iterator[dict]:
    return (r for r in records if r["level"] == level)


def flatten(items) -> Iterator:
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from flatten(item)
        else:
            yield item


def countdown(n: int) -> Generator[int, None, str]:
    while n > 0:
        yield n
        n -= 1
    return "liftoff"


def launcher() -> Generator[int, None, None]:
    result = yield from countdown(3)
    print("countdown returned:", result)
    yield 0


def running_average() -> Generator[float, float, None]:
    total = 0.0
    count = 0
    average = 0.0
    while True:
        value = yield average
        total += value
        count += 1
        average = total / count


def chunks(items: List[int], size: int) -> Iterator[List[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def fibonacci() -> Iterator[int]:
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


if __name__ == "__main__":
    errors = only("ERROR", parse(read_lines(LOG_LINES)))
    for rec in errors:
        print(f"{rec['date']}: {rec['message']}")
    print("flatten:", list(flatten([1, [2, [3, 4], (5,)], [[6]], 7])))
    print("launcher:", list(launcher()))
    avg = running_average()
    next(avg)
    for v in [10, 20, 30, 40]:
        print(f"sent {v:>2} -> average {avg.send(v):.1f}")
    avg.close()
    print("chunks:", list(chunks(list(range(10)), 4)))
    fib = fibonacci()
    print("first 12 fib:", [next(fib) for _ in range(12)])
    gen = countdown(2)
    print(next(gen), next(gen))
    try:
        next(gen)
    except StopIteration as stop:
        print("StopIteration value:", stop.value)
