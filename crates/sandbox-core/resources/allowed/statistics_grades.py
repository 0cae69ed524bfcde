# Summarises exam scores with the statistics module: means, medians, spread, quantiles and grades.
import statistics
from bisect import bisect
from collections import Counter

SCORES = {
    "Alice": [88, 92, 79, 95],
    "Bob": [72, 65, 80, 70],
    "Chen": [95, 98, 91, 99],
    "Dara": [60, 75, 68, 72],
    "Eli": [85, 85, 90, 78],
    "Fern": [55, 62, 58, 70],
}


def letter(score: float, breakpoints=(60, 70, 80, 90), grades="FDCBA") -> str:
    return grades[bisect(breakpoints, score)]


def main() -> None:
    averages = {name: statistics.mean(s) for name, s in SCORES.items()}
    for name, avg in sorted(averages.items(), key=lambda kv: kv[1], reverse=True):
        print(f"{name:<6} mean={avg:6.2f} median={statistics.median(SCORES[name]):5.1f} grade={letter(avg)}")
    all_scores = [s for scores in SCORES.values() for s in scores]
    print("count:", len(all_scores))
    print("mean:", round(statistics.mean(all_scores), 3))
    print("median:", statistics.median(all_scores), "low/high:", statistics.median_low(all_scores), statistics.median_high(all_scores))
    print("mode:", statistics.mode(all_scores), "multimode:", statistics.multimode([1, 1, 2, 2, 3]))
    print("pstdev:", round(statistics.pstdev(all_scores), 4), "stdev:", round(statistics.stdev(all_scores), 4))
    print("variance:", round(statistics.variance(all_scores), 4))
    print("quartiles:", statistics.quantiles(all_scores, n=4))
    print("harmonic mean of speeds:", round(statistics.harmonic_mean([40, 60]), 4))
    print("geometric mean of growth:", round(statistics.geometric_mean([1.1, 1.2, 0.9]), 6))
    print("fmean:", statistics.fmean([1, 2, 3, 4]))
    dist = Counter(letter(statistics.mean(s)) for s in SCORES.values())
    print("grade distribution:", " ".join(f"{g}:{dist.get(g, 0)}" for g in "ABCDF"))
    normal = statistics.NormalDist.from_samples(all_scores)
    print(f"normal fit mu={normal.mean:.2f} sigma={normal.stdev:.2f} P(score<70)={normal.cdf(70):.3f}")
    try:
        statistics.mean([])
    except statistics.StatisticsError as exc:
        print("StatisticsError:", exc)


if __name__ == "__main__":
    main()
