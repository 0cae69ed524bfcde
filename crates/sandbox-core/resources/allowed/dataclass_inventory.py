# Tracks a small shop inventory with dataclasses (frozen, ordered, default_factory).
from dataclasses import dataclass, field, asdict, replace
from typing import List, Dict


@dataclass(frozen=True, order=True)
class Product:
    sku: str
    name: str
    price_cents: int


@dataclass
class StockLine:
    product: Product
    quantity: int = 0

    @property
    def value_cents(self) -> int:
        return self.product.price_cents * self.quantity


@dataclass
class Inventory:
    lines: Dict[str, StockLine] = field(default_factory=dict)
    history: List[str] = field(default_factory=list)

    def receive(self, product: Product, qty: int) -> None:
        line = self.lines.setdefault(product.sku, StockLine(product))
        line.quantity += qty
        self.history.append(f"+{qty} {product.sku}")

    def ship(self, sku: str, qty: int) -> bool:
        line = self.lines.get(sku)
        if line is None or line.quantity < qty:
            self.history.append(f"!{qty} {sku}")
            return False
        line.quantity -= qty
        self.history.append(f"-{qty} {sku}")
        return True

    def total_value_cents(self) -> int:
        return sum(line.value_cents for line in self.lines.values())


def main() -> None:
    widget = Product("W-1", "Widget", 250)
    gadget = Product("G-7", "Gadget", 1299)
    bolt = Product("B-3", "Bolt", 15)

    inv = Inventory()
    inv.receive(widget, 10)
    inv.receive(gadget, 3)
    inv.receive(bolt, 200)
    print("ship 4 widgets:", inv.ship("W-1", 4))
    print("ship 5 gadgets:", inv.ship("G-7", 5))
    print("ship 50 bolts:", inv.ship("B-3", 50))

    for product in sorted(line.product for line in inv.lines.values()):
        line = inv.lines[product.sku]
        print(f"{product.sku:<4} {product.name:<8} qty={line.quantity:>4} value=${line.value_cents / 100:>8.2f}")
    print(f"Total: ${inv.total_value_cents() / 100:,.2f}")
    print("History:", ", ".join(inv.history))

    cheaper = replace(gadget, price_cents=999)
    print("Replaced:", cheaper)
    print("As dict:", asdict(cheaper))
    try:
        gadget.price_cents = 1  # type: ignore[misc]
    except Exception as exc:
        print("Frozen:", type(exc).__name__)
    print("Equal products:", Product("W-1", "Widget", 250) == widget)
    print("Hashable:", len({widget, Product("W-1", "Widget", 250), bolt}))


if __name__ == "__main__":
    main()
