# Formats durations and fixed timestamps with the time module and measures elapsed time without printing it.
import time


def human_duration(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts) or "0s"


def main() -> None:
    fixed = time.gmtime(1700000000)
    print("gmtime:", time.strftime("%Y-%m-%d %H:%M:%S", fixed), "weekday:", fixed.tm_wday, "yday:", fixed.tm_yday)
    print("asctime:", time.asctime(fixed))
    parsed = time.strptime("2024-02-29 12:30", "%Y-%m-%d %H:%M")
    print("strptime:", parsed.tm_year, parsed.tm_mon, parsed.tm_mday, parsed.tm_hour, parsed.tm_min)
    print("calendar-free epoch of parsed UTC:", int(time.mktime(time.strptime("1970-01-02", "%Y-%m-%d")) - time.mktime(time.strptime("1970-01-01", "%Y-%m-%d"))))
    for s in (0, 59, 61, 3600, 3725, 90061, 1000000):
        print(f"{s:>8} s = {human_duration(s)}")
    start = time.perf_counter()
    total = sum(i * i for i in range(10000))
    elapsed = time.perf_counter() - start
    print("work result:", total, "elapsed is non-negative:", elapsed >= 0)
    print("monotonic increases:", time.monotonic() <= time.monotonic())
    print("time() looks like an epoch:", time.time() > 1_600_000_000)
    time.sleep(0.01)
    print("slept briefly")


if __name__ == "__main__":
    main()
