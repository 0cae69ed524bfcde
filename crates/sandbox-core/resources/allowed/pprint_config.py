# Pretty-prints a nested configuration structure with pprint and deep-merges overrides.
import copy
import pprint

DEFAULTS = {
    "server": {"host": "127.0.0.1", "port": 8080, "workers": 4, "tls": {"enabled": False, "cert": None}},
    "database": {"url": "postgres://localhost/app", "pool": {"min": 1, "max": 10}},
    "features": ["search", "export"],
    "logging": {"level": "INFO", "handlers": ["console"]},
}

OVERRIDES = {
    "server": {"port": 9000, "tls": {"enabled": True, "cert": "/etc/ssl/app.pem"}},
    "database": {"pool": {"max": 25}},
    "features": ["search", "export", "beta-dashboard"],
}


def deep_merge(base: dict, extra: dict) -> dict:
    result = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def main() -> None:
    merged = deep_merge(DEFAULTS, OVERRIDES)
    pprint.pprint(merged, width=60)
    print(pprint.pformat(merged["server"], width=40, sort_dicts=False))
    pp = pprint.PrettyPrinter(indent=2, depth=2, width=50)
    pp.pprint(merged)
    print("defaults untouched:", DEFAULTS["server"]["port"], DEFAULTS["database"]["pool"])
    print("readable:", pprint.isreadable(merged), "recursive:", pprint.isrecursive(merged))
    long_list = [{"id": i, "tags": ["t" + str(j) for j in range(i)]} for i in range(4)]
    pprint.pprint(long_list, compact=True, width=50)


if __name__ == "__main__":
    main()
