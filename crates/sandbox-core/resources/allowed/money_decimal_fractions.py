# Does invoice and loan money maths exactly with decimal.Decimal and fractions.Fraction.
from decimal import Decimal, ROUND_HALF_UP, ROUND_HALF_EVEN, getcontext, localcontext
from fractions import Fraction

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def invoice(lines, tax_rate: Decimal, discount: Decimal):
    subtotal = sum((Decimal(qty) * Decimal(price) for qty, price in lines), Decimal("0"))
    discounted = subtotal * (1 - discount)
    tax = money(discounted * tax_rate)
    return money(subtotal), money(discounted), tax, money(discounted) + tax


def monthly_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    r = annual_rate / 12
    factor = (1 + r) ** months
    return money(principal * r * factor / (factor - 1))


def split_bill(total: Decimal, people: int):
    base = (total / people).quantize(CENT, rounding="ROUND_DOWN")
    shares = [base] * people
    remainder = total - base * people
    i = 0
    while remainder > 0:
        shares[i] += CENT
        remainder -= CENT
        i += 1
    return shares


def main() -> None:
    print("float vs decimal:", 0.1 + 0.2, Decimal("0.1") + Decimal("0.2"))
    lines = [(3, "19.99"), (1, "249.00"), (12, "0.35")]
    sub, disc, tax, total = invoice(lines, Decimal("0.0825"), Decimal("0.10"))
    print(f"subtotal {sub} discounted {disc} tax {tax} total {total}")
    print("payment on 25000 at 6.5% for 60 months:", monthly_payment(Decimal("25000"), Decimal("0.065"), 60))
    shares = split_bill(Decimal("100.00"), 3)
    print("split 100 three ways:", shares, "sum:", sum(shares))
    print("half-up vs banker's:", Decimal("2.675").quantize(CENT, ROUND_HALF_UP), Decimal("2.665").quantize(CENT, ROUND_HALF_EVEN))
    with localcontext() as ctx:
        ctx.prec = 50
        print("1/7 to 50 digits:", Decimal(1) / Decimal(7))
    print("default precision:", getcontext().prec)
    print("sqrt(2):", Decimal(2).sqrt())

    third = Fraction(1, 3)
    recipe = [Fraction(3, 4), Fraction(2, 3), Fraction(1, 6)]
    print("recipe total cups:", sum(recipe), "scaled x3:", [str(x * 3) for x in recipe])
    print("1/3 + 1/6 =", third + Fraction(1, 6), "| as float:", float(third))
    print("from decimal:", Fraction(Decimal("0.125")), "from string:", Fraction("3.75"))
    print("limit_denominator(pi):", Fraction(3.141592653589793).limit_denominator(1000))
    print("numerator/denominator:", Fraction(18, 24).numerator, Fraction(18, 24).denominator)
    interest = Fraction(5, 100)
    balance = Fraction(1000)
    for year in range(1, 4):
        balance *= 1 + interest
        print(f"year {year}: {balance} = {float(balance):.4f}")


if __name__ == "__main__":
    main()
