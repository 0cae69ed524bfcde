# Pure-Python matrix maths on lists: multiply, transpose, determinant, inverse and solving equations.
from fractions import Fraction
from typing import List

Matrix = List[List[Fraction]]


def to_matrix(rows) -> Matrix:
    return [[Fraction(x) for x in row] for row in rows]


def identity(n: int) -> Matrix:
    return [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    return [list(col) for col in zip(*m)]


def multiply(a: Matrix, b: Matrix) -> Matrix:
    if len(a[0]) != len(b):
        raise ValueError("shape mismatch")
    bt = transpose(b)
    return [[sum(x * y for x, y in zip(row, col)) for col in bt] for row in a]


def determinant(m: Matrix) -> Fraction:
    if len(m) == 1:
        return m[0][0]
    if len(m) == 2:
        return m[0][0] * m[1][1] - m[0][1] * m[1][0]
    total = Fraction(0)
    for j, value in enumerate(m[0]):
        minor = [row[:j] + row[j + 1:] for row in m[1:]]
        total += (-1) ** j * value * determinant(minor)
    return total


def inverse(m: Matrix) -> Matrix:
    n = len(m)
    aug = [row[:] + ident for row, ident in zip(m, identity(n))]
    for col in range(n):
        pivot = next((r for r in range(col, n) if aug[r][col] != 0), None)
        if pivot is None:
            raise ValueError("matrix is singular")
        aug[col], aug[pivot] = aug[pivot], aug[col]
        p = aug[col][col]
        aug[col] = [x / p for x in aug[col]]
        for r in range(n):
            if r != col and aug[r][col] != 0:
                factor = aug[r][col]
                aug[r] = [x - factor * y for x, y in zip(aug[r], aug[col])]
    return [row[n:] for row in aug]


def solve(a: Matrix, b: List[Fraction]) -> List[Fraction]:
    inv = inverse(a)
    return [sum(x * y for x, y in zip(row, b)) for row in inv]


def power(m: Matrix, k: int) -> Matrix:
    result = identity(len(m))
    while k:
        if k & 1:
            result = multiply(result, m)
        m = multiply(m, m)
        k >>= 1
    return result


def show(name: str, m: Matrix) -> None:
    print(name + ":")
    for row in m:
        print("  [" + "  ".join(f"{str(x):>6}" for x in row) + "]")


if __name__ == "__main__":
    a = to_matrix([[2, 1, 1], [1, 3, 2], [1, 0, 0]])
    b = to_matrix([[1, 2], [0, 1], [4, 0]])
    show("A", a)
    show("A^T", transpose(a))
    show("A x B", multiply(a, b))
    print("det(A) =", determinant(a))
    inv = inverse(a)
    show("inverse(A)", inv)
    print("A x inverse(A) is identity:", multiply(a, inv) == identity(3))
    x = solve(to_matrix([[2, 1, -1], [-3, -1, 2], [-2, 1, 2]]), [Fraction(8), Fraction(-11), Fraction(-3)])
    print("solution of system:", [str(v) for v in x])
    fib = power(to_matrix([[1, 1], [1, 0]]), 30)
    print("fib(30) via matrix power:", fib[0][1])
    try:
        inverse(to_matrix([[1, 2], [2, 4]]))
    except ValueError as exc:
        print("ValueError:", exc)
    try:
        multiply(a, to_matrix([[1, 2]]))
    except ValueError as exc:
        print("ValueError:", exc)
