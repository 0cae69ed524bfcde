# Orders build tasks by their dependencies with graphlib.TopologicalSorter and detects cycles.
from graphlib import CycleError, TopologicalSorter

DEPENDENCIES = {
    "app": {"lib", "config", "assets"},
    "lib": {"core", "utils"},
    "utils": {"core"},
    "assets": {"images", "css"},
    "css": {"fonts"},
    "tests": {"app"},
}


def main() -> None:
    ts = TopologicalSorter(DEPENDENCIES)
    ts.prepare()
    stage = 1
    while ts.is_active():
        ready = sorted(ts.get_ready())
        print(f"stage {stage}: {ready}")
        ts.done(*ready)
        stage += 1

    order = list(TopologicalSorter({"b": {"a"}, "c": {"b"}, "d": {"c"}}).static_order())
    print("chain order:", order)

    cyclic = TopologicalSorter({"x": {"y"}, "y": {"z"}, "z": {"x"}})
    try:
        list(cyclic.static_order())
    except CycleError as exc:
        cycle = exc.args[1]
        print("cycle detected of length", len(cycle) - 1, "closes:", cycle[0] == cycle[-1])

    manual = TopologicalSorter()
    manual.add("deploy", "build", "test")
    manual.add("test", "build")
    manual.add("build", "checkout")
    print("manual:", list(manual.static_order()))


if __name__ == "__main__":
    main()
