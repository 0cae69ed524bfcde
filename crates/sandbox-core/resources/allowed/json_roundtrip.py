# Serialises nested config data to JSON and back, with a custom encoder/decoder for dates and sets.
import json
from datetime import date, datetime
from decimal import Decimal

config = {
    "name": "inventory-service",
    "version": 3,
    "debug": False,
    "ratio": 0.75,
    "owners": ["ops", "dev"],
    "limits": {"cpu": 2, "memory_mb": 512, "burst": None},
    "unicode": "naïve café ☕",
}


class AppEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, (date, datetime)):
            return {"__date__": o.isoformat()}
        if isinstance(o, Decimal):
            return {"__decimal__": str(o)}
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return super().default(o)


def decode_hook(obj):
    if "__date__" in obj:
        return date.fromisoformat(obj["__date__"])
    if "__decimal__" in obj:
        return Decimal(obj["__decimal__"])
    return obj


def main() -> None:
    text = json.dumps(config, sort_keys=True)
    print(text)
    back = json.loads(text)
    print("round trip equal:", back == config)
    print(json.dumps(config["limits"], indent=2, sort_keys=True))
    print(json.dumps(config["unicode"]), json.dumps(config["unicode"], ensure_ascii=False))
    print(json.dumps([1, 2, {"a": (3, 4)}], separators=(",", ":")))

    record = {"due": date(2024, 5, 17), "amount": Decimal("19.95"), "tags": {"b", "a", "c"}}
    encoded = json.dumps(record, cls=AppEncoder, sort_keys=True)
    print(encoded)
    decoded = json.loads(encoded, object_hook=decode_hook)
    print("decoded:", decoded["due"], type(decoded["due"]).__name__, decoded["amount"] + 1, decoded["tags"])

    with open("config.json", "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=4, ensure_ascii=False)
    with open("config.json", encoding="utf-8") as fh:
        again = json.load(fh)
    print("file round trip equal:", again == config)

    try:
        json.loads('{"broken": [1, 2,}')
    except json.JSONDecodeError as exc:
        print(f"JSONDecodeError at line {exc.lineno} col {exc.colno}: {exc.msg}")
    try:
        json.dumps({"when": datetime(2024, 1, 1)})
    except TypeError as exc:
        print("TypeError:", exc)


if __name__ == "__main__":
    main()
