# Short names for modules and what is read from them, tables of functions, namedtuple and enum helpers, and objects with fields named like modules.
import collections
import datetime as dt
import json
import math
import statistics
from dataclasses import dataclass
from enum import Enum

m = math
print(m.sqrt(16), m.pi > 3)
Date = dt.date
print(Date(2024, 1, 2).isoformat(), dt.datetime(2024, 1, 2).year)

Point = collections.namedtuple("Point", "x y")
p = Point(1, 2)
print(p._asdict(), Point._fields, p._replace(x=3))


class Color(Enum):
    RED = 1
    GREEN = 2


print(Color._member_names_, Color.RED.name)

ops = {"mean": statistics.mean, "sqrt": m.sqrt}
print(ops["mean"]([1, 2, 3]), ops["sqrt"](9.0))
formats = [json, math]
print(formats[0].dumps({"a": 1}), formats[1].floor(2.5))


def pick(module):
    return module


print(pick(json).loads("[1]"))


@dataclass
class Device:
    os: str
    sys: int
    code: str = "x"


class Cache:
    def __init__(self, loader):
        self.loader = loader
        self._store = {}

    def get(self, key):
        if key not in self._store:
            self._store[key] = self.loader.loads(key)
        return self._store[key]


cache = Cache(json)
print(cache.get("[2]"), cache._store)
d = Device("linux", 3)
print(d.os, d.sys, d.code)
record = {"os": "linux", "types": ["a"]}
print(record["os"], len(record["types"]))


def numeric_columns(frame):
    # pandas' own `api.types` module (the code is not run without pandas).
    import pandas as pd

    return [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]


print(numeric_columns.__name__)
