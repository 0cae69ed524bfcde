# Runs Conway's Game of Life on a small fixed board and prints each generation.
from typing import FrozenSet, Tuple

Cell = Tuple[int, int]
WIDTH, HEIGHT = 10, 8


def neighbours(cell: Cell):
    r, c = cell
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                yield (r + dr) % HEIGHT, (c + dc) % WIDTH


def step(live: FrozenSet[Cell]) -> FrozenSet[Cell]:
    counts = {}
    for cell in live:
        for n in neighbours(cell):
            counts[n] = counts.get(n, 0) + 1
    return frozenset(cell for cell, n in counts.items() if n == 3 or (n == 2 and cell in live))


def render(live: FrozenSet[Cell]) -> str:
    return "\n".join("".join("#" if (r, c) in live else "." for c in range(WIDTH)) for r in range(HEIGHT))


def parse(pattern: str, top: int, left: int) -> FrozenSet[Cell]:
    return frozenset(
        (top + r, left + c)
        for r, line in enumerate(pattern.strip().splitlines())
        for c, ch in enumerate(line)
        if ch == "#"
    )


if __name__ == "__main__":
    glider = parse(".#.\n..#\n###", 0, 0)
    blinker = parse("###", 5, 6)
    board = glider | blinker
    for gen in range(4):
        print(f"generation {gen} ({len(board)} alive)")
        print(render(board))
        board = step(board)
    lone = parse(".#.\n..#\n###", 0, 0)
    start = lone
    for _ in range(4 * 40):
        lone = step(lone)
    print("lone glider after 160 generations is back home:", lone == start)
    blink = parse("###", 3, 3)
    print("blinker period 2:", step(step(blink)) == blink, "changes each step:", step(blink) != blink)
