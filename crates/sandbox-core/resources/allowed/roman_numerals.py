# Converts between integers and Roman numerals, with validation and round-trip checks.
import re

VALUES = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]
VALID = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")


def to_roman(n: int) -> str:
    if not 0 < n < 4000:
        raise ValueError(f"{n} is out of range (1-3999)")
    out = []
    for value, symbol in VALUES:
        count, n = divmod(n, value)
        out.append(symbol * count)
    return "".join(out)


def from_roman(s: str) -> int:
    s = s.upper()
    if not s or not VALID.match(s):
        raise ValueError(f"invalid numeral {s!r}")
    single = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(s):
        v = single[ch]
        if i + 1 < len(s) and single[s[i + 1]] > v:
            total -= v
        else:
            total += v
    return total


if __name__ == "__main__":
    for n in [1, 4, 9, 14, 40, 90, 400, 1994, 2024, 3999]:
        print(f"{n:>4} -> {to_roman(n)}")
    for s in ["MCMXCIV", "mmxxiv", "XLII", "IIII", "IC", ""]:
        try:
            print(f"{s!r} -> {from_roman(s)}")
        except ValueError as exc:
            print("error:", exc)
    print("round trip 1..3999:", all(from_roman(to_roman(n)) == n for n in range(1, 4000)))
    try:
        to_roman(0)
    except ValueError as exc:
        print("error:", exc)
