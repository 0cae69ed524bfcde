# Applies classic itertools recipes: chunking, windows, grouping, combinations and running totals.
import itertools
import operator
from itertools import (accumulate, chain, combinations, combinations_with_replacement, compress,
                       count, cycle, dropwhile, filterfalse, groupby, islice, permutations,
                       product, repeat, starmap, takewhile, tee, zip_longest)


def take(n, iterable):
    return list(islice(iterable, n))


def grouper(iterable, n, fillvalue=None):
    args = [iter(iterable)] * n
    return zip_longest(*args, fillvalue=fillvalue)


def sliding_window(iterable, n):
    iterators = tee(iterable, n)
    for i, it in enumerate(iterators):
        for _ in range(i):
            next(it, None)
    return zip(*iterators)


def pairwise(iterable):
    a, b = tee(iterable)
    next(b, None)
    return zip(a, b)


def unique_everseen(iterable, key=None):
    seen = set()
    for element in iterable:
        k = element if key is None else key(element)
        if k not in seen:
            seen.add(k)
            yield element


def powerset(iterable):
    s = list(iterable)
    return chain.from_iterable(combinations(s, r) for r in range(len(s) + 1))


def partition(pred, iterable):
    t1, t2 = tee(iterable)
    return list(filterfalse(pred, t1)), list(filter(pred, t2))


def roundrobin(*iterables):
    nexts = [iter(it).__next__ for it in iterables]
    while nexts:
        still = []
        for nxt in nexts:
            try:
                yield nxt()
                still.append(nxt)
            except StopIteration:
                pass
        nexts = still


if __name__ == "__main__":
    print("take:", take(5, count(10, 5)))
    print("cycle:", take(7, cycle("ABC")))
    print("repeat:", list(repeat("x", 3)))
    print("grouper:", list(grouper("ABCDEFG", 3, "-")))
    print("windows:", list(sliding_window([1, 2, 3, 4, 5], 3)))
    print("pairwise diffs:", [b - a for a, b in pairwise([1, 4, 9, 16, 25])])
    print("unique:", list(unique_everseen("AAAABBBCCDAABBB")), list(unique_everseen("ABbCcAD", key=str.lower)))
    print("powerset:", list(powerset([1, 2, 3])))
    print("partition:", partition(lambda x: x % 2, range(10)))
    print("roundrobin:", list(roundrobin("ABC", "D", "EF")))
    print("accumulate:", list(accumulate([1, 2, 3, 4, 5])), list(accumulate([3, 1, 4, 1, 5], max)),
          list(accumulate([1, 2, 3, 4], operator.mul)))
    runs = [(k, len(list(g))) for k, g in groupby("aaabbcaaa")]
    print("groupby runs:", runs)
    people = [("eng", "ann"), ("eng", "bo"), ("ops", "cy"), ("sales", "di"), ("sales", "ed")]
    print("by dept:", {k: [n for _, n in g] for k, g in groupby(people, key=operator.itemgetter(0))})
    print("product:", ["".join(p) for p in product("ab", "xy")], len(list(product(range(3), repeat=3))))
    print("permutations:", list(permutations("abc", 2)))
    print("combinations:", list(combinations(range(4), 2)))
    print("with replacement:", list(combinations_with_replacement("ab", 2)))
    print("compress:", list(compress("ABCDEF", [1, 0, 1, 0, 1, 1])))
    print("takewhile/dropwhile:", list(takewhile(lambda x: x < 5, [1, 4, 6, 3])), list(dropwhile(lambda x: x < 5, [1, 4, 6, 3])))
    print("starmap:", list(starmap(pow, [(2, 5), (3, 2), (10, 3)])))
    print("chain:", list(chain("ab", [1, 2], range(2))))
    print("pairs summing to 10:", [c for c in combinations([1, 3, 5, 7, 9, 2, 8], 2) if sum(c) == 10])
