# Reads CSV sales data with csv.DictReader, aggregates it, and writes a summary CSV file.
import csv
import io
from collections import defaultdict
from decimal import Decimal

RAW = """date,region,product,quantity,unit_price
2024-02-01,North,Widget,10,2.50
2024-02-01,South,Gadget,3,12.99
2024-02-02,North,Gadget,1,12.99
2024-02-02,East,Widget,25,2.40
2024-02-03,South,Widget,8,2.50
2024-02-03,North,"Widget, Deluxe",2,7.75
"""


def load(text: str):
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        row["quantity"] = int(row["quantity"])
        row["unit_price"] = Decimal(row["unit_price"])
        rows.append(row)
    return reader.fieldnames, rows


def summarise(rows):
    totals = defaultdict(lambda: {"orders": 0, "units": 0, "revenue": Decimal("0")})
    for row in rows:
        t = totals[row["region"]]
        t["orders"] += 1
        t["units"] += row["quantity"]
        t["revenue"] += row["quantity"] * row["unit_price"]
    return dict(sorted(totals.items()))


def main() -> None:
    fields, rows = load(RAW)
    print("columns:", fields)
    print("rows:", len(rows), "| products:", sorted({r["product"] for r in rows}))
    summary = summarise(rows)

    with open("region_summary.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["region", "orders", "units", "revenue"])
        writer.writeheader()
        for region, t in summary.items():
            writer.writerow({"region": region, **t, "revenue": f"{t['revenue']:.2f}"})

    with open("region_summary.csv", newline="") as fh:
        for rec in csv.DictReader(fh):
            print(f"{rec['region']:<6} orders={rec['orders']} units={int(rec['units']):>3} revenue={rec['revenue']:>7}")

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(["product", "units"])
    by_product = defaultdict(int)
    for r in rows:
        by_product[r["product"]] += r["quantity"]
    writer.writerows(sorted(by_product.items()))
    print(out.getvalue(), end="")

    parsed = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";", quoting=csv.QUOTE_NONNUMERIC))
    print("re-read:", parsed)


if __name__ == "__main__":
    main()
