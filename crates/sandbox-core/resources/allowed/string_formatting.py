# Formats a small sales table with f-strings, format specs, !r conversions and str.format fields.
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass
class Sale:
    region: str
    units: int
    revenue: float
    day: date


@dataclass
class Point:
    x: float
    y: float


sales = [
    Sale("North", 1520, 48213.5, date(2024, 3, 1)),
    Sale("South", 87, 2210.125, date(2024, 3, 2)),
    Sale("East", 12034, 310554.0, date(2024, 3, 3)),
]

print(f"{'Region':<8}|{'Units':>8}|{'Revenue':>14}|{'Day':^12}")
print(f"{'':-<8}+{'':->8}+{'':->14}+{'':-^12}")
for s in sales:
    print(f"{s.region:<8}|{s.units:>8,}|{s.revenue:>14,.2f}|{s.day:%d %b %Y}")

total = sum(s.revenue for s in sales)
share = [s.revenue / total for s in sales]
print(f"total={total:_.1f} shares={[f'{x:.1%}' for x in share]}")
print(f"repr vs str: {sales[0].region!r} {sales[0].region!s} {'café'!a}")
name = "Ada"
width = 10
print(f"[{name:>{width}}] [{name:*^{width}}] [{name:<{width}}]")
print(f"hex={255:#x} oct={8:#o} bin={5:08b} sci={123456.789:.3e} plus={42:+d}")
print(f"{3.14159:.2f} {0.5:%} {1234567:,} {1234567:_} {-7:05d}")
print(f"{Decimal('19.999'):.2f} {1/3:.5g} {1e-7:g}")
value = 12.5
print(f"{value=} {value * 2 = :.1f}")

print("{} + {} = {}".format(2, 3, 5))
print("{0} {1} {0}".format("ping", "pong"))
print("{name} is {age} years old".format(name="Grace", age=85))
print("{0.region} sold {0.units} units".format(sales[1]))
print("point at ({p.x:.2f}, {p.y:.2f})".format(p=Point(1.23456, -9.87654)))
print("first item {items[0]}, key {d[k]}".format(items=["a", "b"], d={"k": "v"}))
print("{:>6}|{:^6}|{:<6}|".format("r", "c", "l"))
print("{!r:>10}".format("quoted"))
print("%s has %d items costing %.2f" % ("cart", 3, 9.5))
print("{:%Y-%m-%d}".format(date(2024, 12, 25)))
template = "{greeting}, {who}!"
print(template.format_map({"greeting": "Hi", "who": "world"}))
