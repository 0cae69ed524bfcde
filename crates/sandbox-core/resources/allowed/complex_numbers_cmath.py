# Solves quadratic equations and does AC-circuit phasor maths with complex numbers and cmath.
import cmath
import math


def solve_quadratic(a: float, b: float, c: float):
    disc = cmath.sqrt(b * b - 4 * a * c)
    return (-b + disc) / (2 * a), (-b - disc) / (2 * a)


def fmt(z: complex) -> str:
    return f"{z.real:+.4f}{z.imag:+.4f}j"


def impedance(r: float, l: float, c: float, freq: float) -> complex:
    w = 2 * math.pi * freq
    return complex(r, w * l - 1 / (w * c))


def main() -> None:
    for coeffs in [(1, -3, 2), (1, 2, 5), (2, 0, 8)]:
        r1, r2 = solve_quadratic(*coeffs)
        print(f"{coeffs}: {fmt(r1)}, {fmt(r2)}")
    z = 3 + 4j
    print("abs:", abs(z), "conjugate:", z.conjugate(), "phase:", round(cmath.phase(z), 6))
    r, phi = cmath.polar(z)
    print("polar:", round(r, 6), round(phi, 6), "back:", fmt(cmath.rect(r, phi)))
    print("euler identity:", fmt(cmath.exp(1j * math.pi) + 1))
    print("sqrt(-1):", cmath.sqrt(-1), "log(-1):", fmt(cmath.log(-1)))
    print("isclose:", cmath.isclose(cmath.exp(1j * math.pi / 2), 1j, abs_tol=1e-12))
    zc = impedance(100, 0.5, 10e-6, 60)
    print(f"impedance at 60 Hz: {fmt(zc)} ohms, |Z|={abs(zc):.3f}, angle={math.degrees(cmath.phase(zc)):.2f} deg")
    current = 120 / zc
    print(f"current: {abs(current):.4f} A")
    roots_of_unity = [cmath.exp(2j * math.pi * k / 4) for k in range(4)]
    print("4th roots of unity:", [fmt(w) for w in roots_of_unity])
    print("complex from string:", complex("1+2j") * 2, "type:", type(1j).__name__)


if __name__ == "__main__":
    main()
