# Implements binary search by hand and with bisect for lookups, insertion and range counting.
import bisect
from typing import List, Sequence


def binary_search(items: Sequence[int], target: int) -> int:
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1


def first_true(lo: int, hi: int, predicate) -> int:
    """Smallest x in [lo, hi) with predicate(x) true, assuming monotonic predicate."""
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def isqrt(n: int) -> int:
    return first_true(0, n + 2, lambda x: x * x > n) - 1


def count_in_range(sorted_items: List[int], low: int, high: int) -> int:
    return bisect.bisect_right(sorted_items, high) - bisect.bisect_left(sorted_items, low)


class SortedList:
    def __init__(self) -> None:
        self.items: List[int] = []

    def add(self, value: int) -> None:
        bisect.insort(self.items, value)

    def __contains__(self, value: int) -> bool:
        i = bisect.bisect_left(self.items, value)
        return i < len(self.items) and self.items[i] == value

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"SortedList({self.items})"


if __name__ == "__main__":
    data = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    for t in (2, 19, 37, 4, 40):
        print(f"search {t:>2}: index {binary_search(data, t):>2}  bisect_left {bisect.bisect_left(data, t):>2}")
    print("isqrt:", [isqrt(n) for n in (0, 1, 15, 16, 17, 1000000)])
    print("primes in [10, 30]:", count_in_range(data, 10, 30))
    sl = SortedList()
    for v in [50, 10, 40, 20, 30, 20]:
        sl.add(v)
    print(sl, len(sl), 20 in sl, 25 in sl)
    scores = [("ann", 71), ("bo", 88), ("cy", 59)]
    cutoffs = [60, 70, 80, 90]
    print([(n, "FDCBA"[bisect.bisect(cutoffs, s)]) for n, s in scores])
    versions = ["1.0", "1.2", "2.0", "2.5"]
    print("insert 1.5 at:", bisect.bisect(versions, "1.5"))
    print("first power of 2 >= 1000:", 2 ** first_true(0, 64, lambda k: 2 ** k >= 1000))
