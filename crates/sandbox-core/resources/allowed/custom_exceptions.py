# Validates orders with a custom exception hierarchy, try/except/else/finally and raise ... from.
from typing import Dict, List


class OrderError(Exception):
    """Base class for order problems."""


class ValidationError(OrderError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class OutOfStockError(OrderError):
    def __init__(self, item: str, wanted: int, available: int) -> None:
        self.item = item
        self.wanted = wanted
        self.available = available
        super().__init__(f"{item}: wanted {wanted}, only {available} left")


class PaymentError(OrderError):
    pass


STOCK: Dict[str, int] = {"apple": 5, "pear": 0, "plum": 12}
PRICES: Dict[str, float] = {"apple": 0.5, "pear": 0.75, "plum": 0.3}


def validate(order: dict) -> None:
    if not order.get("customer"):
        raise ValidationError("customer", "is required")
    if order.get("qty", 0) <= 0:
        raise ValidationError("qty", "must be positive")


def charge(amount: float, card: str) -> str:
    try:
        digits = int(card)
    except ValueError as exc:
        raise PaymentError(f"bad card number {card!r}") from exc
    if digits % 2:
        raise PaymentError("card declined")
    return f"charged {amount:.2f}"


def place(order: dict, log: List[str]) -> str:
    try:
        validate(order)
        item, qty = order["item"], order["qty"]
        available = STOCK[item]
        if qty > available:
            raise OutOfStockError(item, qty, available)
        receipt = charge(qty * PRICES[item], order["card"])
    except ValidationError as exc:
        return f"invalid ({exc.field}) -> {exc}"
    except OutOfStockError as exc:
        return f"out of stock -> {exc} (short by {exc.wanted - exc.available})"
    except PaymentError as exc:
        cause = exc.__cause__
        extra = f" caused by {type(cause).__name__}" if cause is not None else ""
        return f"payment failed -> {exc}{extra}"
    except KeyError as exc:
        return f"unknown item {exc}"
    else:
        STOCK[item] -= qty
        return f"ok -> {receipt}, {STOCK[item]} {item} left"
    finally:
        log.append(order.get("customer") or "?")


def parse_all(values: List[str]) -> List[int]:
    errors = []
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError as e:
            errors.append(str(e))
    if errors:
        print("parse errors:", errors)
    return out


if __name__ == "__main__":
    log: List[str] = []
    orders = [
        {"customer": "ann", "item": "apple", "qty": 3, "card": "1234"},
        {"customer": "", "item": "apple", "qty": 1, "card": "2"},
        {"customer": "bob", "item": "pear", "qty": 2, "card": "2"},
        {"customer": "cy", "item": "plum", "qty": 0, "card": "2"},
        {"customer": "di", "item": "plum", "qty": 4, "card": "12x"},
        {"customer": "ed", "item": "plum", "qty": 4, "card": "13"},
        {"customer": "fay", "item": "kiwi", "qty": 1, "card": "2"},
        {"customer": "gus", "item": "apple", "qty": 3, "card": "8"},
    ]
    for order in orders:
        print(place(order, log))
    print("log:", log)
    print(parse_all(["1", "two", "3"]))
    print(issubclass(OutOfStockError, OrderError), OrderError.__doc__)
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            raise OrderError("while computing total")
    except OrderError as exc:
        print("context kept:", type(exc.__context__).__name__)
