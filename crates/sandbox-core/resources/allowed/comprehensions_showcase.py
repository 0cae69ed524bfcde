# Demonstrates list, dict, set and generator comprehensions over some sample data.
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]

squares = [n * n for n in range(10)]
evens = [n for n in range(20) if n % 2 == 0]
pairs = [(x, y) for x in range(3) for y in range(3) if x != y]
lengths = {w: len(w) for w in words}
by_length = {}
for w in words:
    by_length.setdefault(len(w), []).append(w)
initials = {w[0] for w in words}
total_chars = sum(len(w) for w in words)
matrix = [[r * 3 + c for c in range(3)] for r in range(3)]
flattened = [v for row in matrix for v in row]
transposed = [[row[i] for row in matrix] for i in range(3)]
inverted = {v: k for k, v in {"a": 1, "b": 2, "c": 3}.items()}
labels = ["even" if n % 2 == 0 else "odd" for n in range(5)]
nested_filter = [w.upper() for w in words if len(w) > 4 if "t" in w]
walrus = [y for x in range(10) if (y := x * x) > 20]

print("squares:", squares)
print("evens:", evens)
print("pairs:", pairs)
print("lengths:", lengths)
print("by_length:", dict(sorted(by_length.items())))
print("initials:", sorted(initials))
print("total chars:", total_chars)
print("matrix:", matrix)
print("flattened:", flattened)
print("transposed:", transposed)
print("inverted:", inverted)
print("labels:", labels)
print("nested filter:", nested_filter)
print("walrus:", walrus)
print("any/all:", any(len(w) > 6 for w in words), all(w.islower() for w in words))
print("max by len:", max(words, key=len), "min:", min(words))
gen = (c for w in words for c in w if c in "aeiou")
print("vowel count:", sum(1 for _ in gen))
