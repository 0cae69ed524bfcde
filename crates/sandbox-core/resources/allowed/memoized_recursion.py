# Solves classic recursive problems with functools.lru_cache and cache-friendly recursion.
from functools import lru_cache
from typing import List, Tuple


@lru_cache(maxsize=None)
def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@lru_cache(maxsize=None)
def binomial(n: int, k: int) -> int:
    if k == 0 or k == n:
        return 1
    return binomial(n - 1, k - 1) + binomial(n - 1, k)


def coin_change(coins: Tuple[int, ...], amount: int) -> int:
    @lru_cache(maxsize=None)
    def ways(i: int, remaining: int) -> int:
        if remaining == 0:
            return 1
        if remaining < 0 or i == len(coins):
            return 0
        return ways(i, remaining - coins[i]) + ways(i + 1, remaining)

    return ways(0, amount)


def edit_distance(a: str, b: str) -> int:
    @lru_cache(maxsize=None)
    def d(i: int, j: int) -> int:
        if i == 0:
            return j
        if j == 0:
            return i
        cost = 0 if a[i - 1] == b[j - 1] else 1
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + cost)

    return d(len(a), len(b))


def hanoi(n: int, source: str, target: str, spare: str, moves: List[Tuple[str, str]]) -> None:
    if n == 0:
        return
    hanoi(n - 1, source, spare, target, moves)
    moves.append((source, target))
    hanoi(n - 1, spare, target, source, moves)


def permutations(items: List[int]) -> List[List[int]]:
    if len(items) <= 1:
        return [items[:]]
    result = []
    for i, item in enumerate(items):
        for rest in permutations(items[:i] + items[i + 1:]):
            result.append([item] + rest)
    return result


def flatten_depth(data, depth=0):
    if isinstance(data, list):
        return max([flatten_depth(x, depth + 1) for x in data], default=depth + 1)
    return depth


if __name__ == "__main__":
    print("fib(90) =", fib(90))
    print("cache:", fib.cache_info())
    print("C(30, 15) =", binomial(30, 15))
    print("ways to make 100 from (1, 5, 10, 25):", coin_change((1, 5, 10, 25), 100))
    print("edit distance kitten->sitting:", edit_distance("kitten", "sitting"))
    moves: List[Tuple[str, str]] = []
    hanoi(4, "A", "C", "B", moves)
    print("hanoi(4):", len(moves), "moves, first five:", moves[:5])
    print("permutations of [1, 2, 3]:", permutations([1, 2, 3]))
    print("nesting depth:", flatten_depth([1, [2, [3, [4]]], []]))
    fib.cache_clear()
    print("after clear:", fib.cache_info().currsize)
