# Finds primes with the sieve of Eratosthenes and uses them for factorisation, gcd/lcm and perfect numbers.
import math
from functools import reduce
from typing import Dict, List


def sieve(limit: int) -> List[int]:
    is_prime = bytearray([1]) * (limit + 1)
    is_prime[0:2] = b"\x00\x00"
    for n in range(2, math.isqrt(limit) + 1):
        if is_prime[n]:
            is_prime[n * n::n] = bytearray(len(range(n * n, limit + 1, n)))
    return [i for i, flag in enumerate(is_prime) if flag]


def factorise(n: int, primes: List[int]) -> Dict[int, int]:
    factors: Dict[int, int] = {}
    for p in primes:
        if p * p > n:
            break
        while n % p == 0:
            factors[p] = factors.get(p, 0) + 1
            n //= p
    if n > 1:
        factors[n] = factors.get(n, 0) + 1
    return factors


def lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


def divisors_sum(n: int) -> int:
    total = 1
    for i in range(2, math.isqrt(n) + 1):
        if n % i == 0:
            total += i
            if i != n // i:
                total += n // i
    return total


if __name__ == "__main__":
    primes = sieve(1000)
    print("primes below 50:", [p for p in primes if p < 50])
    print("count below 1000:", len(primes), "largest:", primes[-1])
    for n in (360, 9973, 123456, 2 ** 10 * 3 ** 4, 999983 * 2):
        f = factorise(n, primes)
        print(f"{n} = " + " * ".join(f"{p}^{e}" if e > 1 else str(p) for p, e in sorted(f.items())))
    print("gcd(462, 1071):", math.gcd(462, 1071), "lcm 1..20:", reduce(lcm, range(1, 21)))
    print("perfect numbers < 10000:", [n for n in range(2, 10000) if divisors_sum(n) == n])
    twins = [(p, q) for p, q in zip(primes, primes[1:]) if q - p == 2]
    print("twin primes:", twins[:6], "... total", len(twins))
    print("goldbach 100:", [(p, 100 - p) for p in primes if p <= 50 and (100 - p) in set(primes)])
