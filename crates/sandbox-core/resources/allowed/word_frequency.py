# Counts word frequencies in a text and demonstrates Counter, defaultdict, deque, OrderedDict and ChainMap.
import re
from collections import ChainMap, Counter, OrderedDict, defaultdict, deque

TEXT = """It was the best of times, it was the worst of times, it was the age of wisdom,
it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity,
it was the season of Light, it was the season of Darkness."""

STOP_WORDS = {"the", "of", "it", "was"}


class LRUCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.data: "OrderedDict[str, int]" = OrderedDict()

    def get(self, key: str):
        if key not in self.data:
            return None
        self.data.move_to_end(key)
        return self.data[key]

    def put(self, key: str, value: int) -> None:
        self.data[key] = value
        self.data.move_to_end(key)
        if len(self.data) > self.capacity:
            self.data.popitem(last=False)


def main() -> None:
    words = re.findall(r"[a-z']+", TEXT.lower())
    counts = Counter(words)
    print("total words:", len(words), "distinct:", len(counts))
    print("top 5:", counts.most_common(5))
    content = Counter(w for w in words if w not in STOP_WORDS)
    print("top content words:", sorted(content.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
    a, b = Counter("abracadabra"), Counter("alakazam")
    print("a+b:", sorted((a + b).items()), "a-b:", sorted((a - b).items()), "a&b:", sorted((a & b).items()))

    by_letter = defaultdict(list)
    for w in sorted(set(words)):
        by_letter[w[0]].append(w)
    print("by letter:", dict(by_letter))
    lengths = defaultdict(int)
    for w in words:
        lengths[len(w)] += 1
    print("length histogram:", " ".join(f"{k}:{'#' * v}" for k, v in sorted(lengths.items())))

    recent = deque(maxlen=3)
    for w in ["alpha", "beta", "gamma", "delta"]:
        recent.append(w)
    recent.appendleft("zero")
    print("deque:", list(recent))
    d = deque(range(6))
    d.rotate(2)
    print("rotated:", list(d))

    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    print("lru keys:", list(cache.data), "get b:", cache.get("b"))

    defaults = {"theme": "light", "lang": "en", "size": 12}
    user = {"theme": "dark"}
    session = {"size": 14}
    settings = ChainMap(session, user, defaults)
    print("settings:", settings["theme"], settings["lang"], settings["size"], dict(sorted(settings.items())))
    child = settings.new_child({"lang": "fr"})
    print("child lang:", child["lang"], "parent lang:", settings["lang"])


if __name__ == "__main__":
    main()
