"""Batches of food with expiry dates, kept in the order they expire."""

from __future__ import annotations

from bisect import insort
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Batch:
    """Some quantity of one food that expires on one date; batches sort by expiry."""

    expires: date
    name: str
    quantity: int


def parse_batch(line: str) -> Batch:
    """A batch from a line such as "rice, 3, 2025-01-31"."""
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 3 or not parts[1].isdigit():
        raise ValueError(f"expected 'name, quantity, YYYY-MM-DD', got {line!r}")
    return Batch(expires=date.fromisoformat(parts[2]), name=parts[0].lower(), quantity=int(parts[1]))


@dataclass
class Pantry:
    """All batches in stock, soonest expiry first, and what has been thrown away."""

    batches: list[Batch] = field(default_factory=list)
    wasted: Counter[str] = field(default_factory=Counter)

    def add(self, batch: Batch) -> None:
        """Put a batch in stock."""
        if batch.quantity < 1:
            raise ValueError(f"quantity must be positive, got {batch.quantity}")
        insort(self.batches, batch)

    def on_hand(self, name: str) -> int:
        """Total quantity of `name` in stock."""
        return sum(batch.quantity for batch in self.batches if batch.name == name)

    def use(self, name: str, quantity: int) -> None:
        """Take `quantity` of `name` out of stock, from the batches that expire first."""
        if quantity > self.on_hand(name):
            raise ValueError(f"only {self.on_hand(name)} {name} in stock, {quantity} wanted")
        index = 0
        while quantity > 0:
            batch = self.batches[index]
            if batch.name != name:
                index += 1
                continue
            taken = min(batch.quantity, quantity)
            quantity -= taken
            if taken == batch.quantity:
                del self.batches[index]
            else:
                self.batches[index] = replace(batch, quantity=batch.quantity - taken)

    def expiring_within(self, days: int, today: date) -> list[Batch]:
        """Batches that are still good but expire within `days` days of `today`."""
        limit = today + timedelta(days=days)
        return [batch for batch in self.batches if today <= batch.expires <= limit]

    def discard_expired(self, today: date) -> list[Batch]:
        """Throw away every batch past its expiry date and return those batches.

        A batch is still good on its expiry date itself. The quantities thrown
        away are added to `wasted`.
        """
        discarded: list[Batch] = []
        for batch in self.batches:
            if batch.expires < today:
                self.batches.remove(batch)
                discarded.append(batch)
                self.wasted[batch.name] += batch.quantity
        return discarded
