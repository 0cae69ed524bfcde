# Implements typed generic containers (Stack, Queue, Result) with typing.Generic and TypeVar.
from __future__ import annotations

from collections import deque
from typing import Callable, Deque, Dict, Generic, Iterator, List, Optional, Tuple, TypeVar, Union

T = TypeVar("T")
U = TypeVar("U")
K = TypeVar("K")


class Stack(Generic[T]):
    def __init__(self) -> None:
        self._items: List[T] = []

    def push(self, item: T) -> None:
        self._items.append(item)

    def pop(self) -> T:
        if not self._items:
            raise IndexError("pop from empty stack")
        return self._items.pop()

    def peek(self) -> Optional[T]:
        return self._items[-1] if self._items else None

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return reversed(self._items)

    def __repr__(self) -> str:
        return f"Stack({self._items!r})"


class Queue(Generic[T]):
    def __init__(self, items: Optional[List[T]] = None) -> None:
        self._items: Deque[T] = deque(items or [])

    def enqueue(self, item: T) -> None:
        self._items.append(item)

    def dequeue(self) -> T:
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)


class Result(Generic[T]):
    def __init__(self, value: Optional[T] = None, error: Optional[str] = None) -> None:
        self.value = value
        self.error = error

    def map(self, fn: Callable[[T], U]) -> "Result[U]":
        if self.error is not None:
            return Result(error=self.error)
        return Result(fn(self.value))  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Ok({self.value!r})" if self.error is None else f"Err({self.error!r})"


def group_by(items: List[T], key: Callable[[T], K]) -> Dict[K, List[T]]:
    groups: Dict[K, List[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def parse_int(text: str) -> Result[int]:
    try:
        return Result(int(text))
    except ValueError:
        return Result(error=f"not a number: {text}")


def first_and_last(items: List[T]) -> Tuple[T, T]:
    return items[0], items[-1]


Number = Union[int, float]


def mean(values: List[Number]) -> float:
    return sum(values) / len(values)


if __name__ == "__main__":
    s: Stack[str] = Stack()
    for word in "to be or not".split():
        s.push(word)
    print(s, len(s), s.peek(), list(s))
    print("popped:", s.pop(), s.pop())
    q: Queue[int] = Queue([1, 2])
    q.enqueue(3)
    print("dequeued:", q.dequeue(), "remaining:", len(q))
    print(group_by(["apple", "avocado", "banana", "blueberry", "cherry"], key=lambda w: w[0]))
    print([parse_int(t).map(lambda n: n * 2) for t in ["21", "x", "5"]])
    print(first_and_last([3, 1, 4, 1, 5]))
    print(f"{mean([1, 2.5, 4]):.3f}")
    try:
        Stack[int]().pop()
    except IndexError as exc:
        print("IndexError:", exc)
