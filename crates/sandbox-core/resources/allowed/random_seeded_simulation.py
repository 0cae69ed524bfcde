# Runs a reproducible dice and card simulation using random.Random with a fixed seed.
import random
from collections import Counter
from statistics import mean


def roll_dice(rng: random.Random, n: int):
    return [rng.randint(1, 6) + rng.randint(1, 6) for _ in range(n)]


def deal(rng: random.Random):
    suits = "SHDC"
    ranks = [str(n) for n in range(2, 11)] + list("JQKA")
    deck = [r + s for s in suits for r in ranks]
    rng.shuffle(deck)
    return [deck[i:i + 5] for i in range(0, 20, 5)]


def monte_carlo_pi(rng: random.Random, samples: int) -> float:
    inside = sum(1 for _ in range(samples) if rng.random() ** 2 + rng.random() ** 2 <= 1)
    return 4 * inside / samples


def random_walk(rng: random.Random, steps: int):
    x = y = 0
    for _ in range(steps):
        dx, dy = rng.choice([(0, 1), (0, -1), (1, 0), (-1, 0)])
        x, y = x + dx, y + dy
    return x, y


def main() -> None:
    rng = random.Random(2024)
    rolls = roll_dice(rng, 1000)
    freq = Counter(rolls)
    for total in range(2, 13):
        print(f"{total:>2} {'*' * (freq[total] // 5)}")
    print("mean roll:", mean(rolls))
    for i, hand in enumerate(deal(rng), 1):
        print(f"hand {i}: {' '.join(hand)}")
    print("pi estimate:", monte_carlo_pi(rng, 20000))
    print("walk ends at:", random_walk(rng, 500))
    print("sample:", rng.sample(range(100), 5), "choices:", rng.choices("abc", weights=[5, 1, 1], k=8))
    print("uniform:", round(rng.uniform(10, 20), 6), "gauss:", round(rng.gauss(0, 1), 6))
    random.seed(7)
    first = [random.randint(0, 9) for _ in range(5)]
    random.seed(7)
    second = [random.randint(0, 9) for _ in range(5)]
    print("module-level seed reproducible:", first == second, first)


if __name__ == "__main__":
    main()
