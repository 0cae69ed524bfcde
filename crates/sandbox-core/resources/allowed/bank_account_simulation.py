# Simulates bank accounts with deposits, withdrawals, transfers, interest and a transaction ledger.
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, ROUND_HALF_UP
from enum import Enum
from typing import List


class TxKind(Enum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer-in"
    TRANSFER_OUT = "transfer-out"
    INTEREST = "interest"
    FEE = "fee"


@dataclass(frozen=True)
class Transaction:
    day: date
    kind: TxKind
    amount: Decimal
    balance_after: Decimal
    memo: str = ""


class InsufficientFunds(Exception):
    def __init__(self, account: "Account", amount: Decimal) -> None:
        super().__init__(f"{account.owner} cannot withdraw {amount}: balance is {account.balance}")


class Account:
    _next_number = 1000

    def __init__(self, owner: str, opening: Decimal = Decimal("0")) -> None:
        Account._next_number += 1
        self.number = Account._next_number
        self.owner = owner
        self.balance = Decimal("0")
        self.ledger: List[Transaction] = []
        if opening:
            self.deposit(opening, date(2024, 1, 1), "opening deposit")

    def _record(self, day: date, kind: TxKind, amount: Decimal, memo: str) -> None:
        self.ledger.append(Transaction(day, kind, amount, self.balance, memo))

    def deposit(self, amount: Decimal, day: date, memo: str = "") -> None:
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        self._record(day, TxKind.DEPOSIT, amount, memo)

    def withdraw(self, amount: Decimal, day: date, memo: str = "") -> None:
        if amount > self.balance:
            raise InsufficientFunds(self, amount)
        self.balance -= amount
        self._record(day, TxKind.WITHDRAWAL, amount, memo)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(#{self.number}, {self.owner!r}, balance={self.balance})"

    def __len__(self) -> int:
        return len(self.ledger)

    def __iter__(self):
        return iter(self.ledger)


class SavingsAccount(Account):
    def __init__(self, owner: str, opening: Decimal, rate: Decimal) -> None:
        super().__init__(owner, opening)
        self.rate = rate

    def add_monthly_interest(self, day: date) -> Decimal:
        interest = (self.balance * self.rate / 12).quantize(Decimal("0.01"), ROUND_HALF_UP)
        self.balance += interest
        self._record(day, TxKind.INTEREST, interest, f"{self.rate:.2%} p.a.")
        return interest


class CheckingAccount(Account):
    FEE = Decimal("1.50")

    def withdraw(self, amount: Decimal, day: date, memo: str = "") -> None:
        super().withdraw(amount + self.FEE, day, memo)
        self.ledger[-1] = Transaction(day, TxKind.WITHDRAWAL, amount, self.balance, memo + " (+fee)")


class Bank:
    def __init__(self, name: str) -> None:
        self.name = name
        self.accounts: List[Account] = []

    def open(self, account: Account) -> Account:
        self.accounts.append(account)
        return account

    def transfer(self, src: Account, dst: Account, amount: Decimal, day: date) -> bool:
        if amount > src.balance:
            print(f"  transfer refused: {src.owner} has only {src.balance}")
            return False
        src.balance -= amount
        dst.balance += amount
        src._record(day, TxKind.TRANSFER_OUT, amount, f"to #{dst.number}")
        dst._record(day, TxKind.TRANSFER_IN, amount, f"from #{src.number}")
        return True

    def total_deposits(self) -> Decimal:
        return sum((a.balance for a in self.accounts), Decimal("0"))


def main() -> None:
    bank = Bank("River Bank")
    alice = bank.open(CheckingAccount("Alice", Decimal("500.00")))
    bob = bank.open(SavingsAccount("Bob", Decimal("2000.00"), Decimal("0.03")))
    day = date(2024, 1, 2)
    alice.deposit(Decimal("1200.00"), day, "salary")
    alice.withdraw(Decimal("80.25"), day + timedelta(days=1), "groceries")
    bank.transfer(alice, bob, Decimal("300.00"), day + timedelta(days=2))
    bank.transfer(bob, alice, Decimal("9999.00"), day + timedelta(days=3))
    try:
        alice.withdraw(Decimal("5000"), day + timedelta(days=4))
    except InsufficientFunds as exc:
        print("  refused:", exc)
    for month in range(1, 4):
        interest = bob.add_monthly_interest(date(2024, month, 28))
        print(f"  month {month} interest for Bob: {interest}")
    for account in bank.accounts:
        print(account, "transactions:", len(account))
        for tx in account:
            print(f"    {tx.day} {tx.kind.value:<12} {tx.amount:>9} -> {tx.balance_after:>9} {tx.memo}")
    print("bank total:", bank.total_deposits())


if __name__ == "__main__":
    main()
