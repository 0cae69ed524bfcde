# A singly linked list implementing the container protocol (__len__, __iter__, __getitem__, __contains__, ...).
from typing import Generic, Iterable, Iterator, Optional, TypeVar

T = TypeVar("T")


class Node(Generic[T]):
    __slots__ = ("value", "next")

    def __init__(self, value: T, next: "Optional[Node[T]]" = None) -> None:
        self.value = value
        self.next = next


class LinkedList(Generic[T]):
    def __init__(self, items: Iterable[T] = ()) -> None:
        self.head: Optional[Node[T]] = None
        self.size = 0
        for item in reversed(list(items)):
            self.push_front(item)

    def push_front(self, value: T) -> None:
        self.head = Node(value, self.head)
        self.size += 1

    def append(self, value: T) -> None:
        node = Node(value)
        if self.head is None:
            self.head = node
        else:
            cur = self.head
            while cur.next is not None:
                cur = cur.next
            cur.next = node
        self.size += 1

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[T]:
        cur = self.head
        while cur is not None:
            yield cur.value
            cur = cur.next

    def __getitem__(self, index):
        if isinstance(index, slice):
            return LinkedList(list(self)[index])
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError("LinkedList index out of range")
        for i, value in enumerate(self):
            if i == index:
                return value

    def __contains__(self, value: object) -> bool:
        return any(v == value for v in self)

    def __reversed__(self) -> Iterator[T]:
        return reversed(list(self))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LinkedList) and list(self) == list(other)

    def __add__(self, other: "LinkedList[T]") -> "LinkedList[T]":
        return LinkedList(list(self) + list(other))

    def __bool__(self) -> bool:
        return self.head is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}([{', '.join(repr(v) for v in self)}])"

    def reverse(self) -> None:
        prev = None
        cur = self.head
        while cur:
            cur.next, prev, cur = prev, cur, cur.next
        self.head = prev


if __name__ == "__main__":
    ll = LinkedList([3, 1, 4])
    ll.append(1)
    ll.push_front(9)
    print(ll, len(ll), bool(ll), bool(LinkedList()))
    print("ll[0], ll[-1], ll[1:3]:", ll[0], ll[-1], ll[1:3])
    print("4 in ll:", 4 in ll, "7 in ll:", 7 in ll)
    print("reversed:", list(reversed(ll)), "sorted:", sorted(ll), "sum:", sum(ll))
    ll.reverse()
    print("in-place reverse:", ll)
    print("concat:", ll + LinkedList(["x"]))
    print("equal:", LinkedList([1, 2]) == LinkedList([1, 2]), LinkedList([1]) == [1])
    try:
        ll[10]
    except IndexError as exc:
        print("IndexError:", exc)
    words = LinkedList("to be or not to be".split())
    print({w: n for n, w in enumerate(words)})
