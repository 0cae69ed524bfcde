# Sorts records in several ways using key functions, operator.itemgetter/attrgetter/methodcaller and cmp_to_key.
from dataclasses import dataclass
from functools import cmp_to_key
from operator import attrgetter, itemgetter, methodcaller, neg


@dataclass
class Book:
    title: str
    author: str
    year: int
    rating: float


BOOKS = [
    Book("Dune", "Herbert", 1965, 4.3),
    Book("Neuromancer", "Gibson", 1984, 3.9),
    Book("Foundation", "Asimov", 1951, 4.2),
    Book("Hyperion", "Simmons", 1989, 4.3),
    Book("I, Robot", "Asimov", 1950, 4.0),
]

ROWS = [
    {"name": "kiwi", "price": 0.5, "stock": 120},
    {"name": "apple", "price": 0.4, "stock": 300},
    {"name": "mango", "price": 1.5, "stock": 20},
    {"name": "banana", "price": 0.25, "stock": 300},
]


def version_cmp(a: str, b: str) -> int:
    pa = [int(p) for p in a.split(".")]
    pb = [int(p) for p in b.split(".")]
    return (pa > pb) - (pa < pb)


if __name__ == "__main__":
    print([b.title for b in sorted(BOOKS, key=attrgetter("year"))])
    print([b.title for b in sorted(BOOKS, key=attrgetter("author", "year"))])
    print([(b.title, b.rating) for b in sorted(BOOKS, key=lambda b: (-b.rating, b.title))])
    print([r["name"] for r in sorted(ROWS, key=itemgetter("price"))])
    print([r["name"] for r in sorted(ROWS, key=itemgetter("stock", "name"), reverse=True)])
    print(list(map(itemgetter("name", "stock"), ROWS)))
    pairs = [(3, "c"), (1, "a"), (2, "b"), (1, "z")]
    print(sorted(pairs), sorted(pairs, key=itemgetter(1)), max(pairs, key=itemgetter(0)))
    words = ["banana", "Apple", "cherry", "apple", "Banana"]
    print(sorted(words), sorted(words, key=str.lower), sorted(words, key=methodcaller("casefold")))
    print(sorted(words, key=len), sorted(words, key=lambda w: (len(w), w)))
    print(sorted(["1.10", "1.2", "1.9", "2.0", "1.2.1"], key=cmp_to_key(version_cmp)))
    nums = [5, -3, 8, 0, -1]
    print(sorted(nums, key=abs), sorted(nums, key=neg))
    data = list(BOOKS)
    data.sort(key=attrgetter("title"))
    data.sort(key=attrgetter("rating"), reverse=True)
    print("stable multi-pass:", [b.title for b in data])
    get_title = attrgetter("title")
    print(get_title(BOOKS[0]), itemgetter(0, -1)(words), itemgetter(slice(1, 3))(words))
