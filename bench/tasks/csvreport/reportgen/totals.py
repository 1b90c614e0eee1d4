"""Reading CSV rows and totalling an amount column per group."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Summary:
    """Per-group totals and row counts (groups in order of first appearance) and the grand total."""

    totals: dict[str, Decimal]
    counts: dict[str, int]
    grand_total: Decimal


def read_rows(text: str) -> list[dict[str, str]]:
    """The rows of CSV text with a header line, as dicts keyed by the stripped header names."""
    reader = csv.DictReader(io.StringIO(text.strip()), skipinitialspace=True)
    return [{key.strip(): (value or "").strip() for key, value in row.items()} for row in reader]


def parse_amount(text: str) -> Decimal:
    """An amount such as "1,234.50", "(12.00)" for a negative, or "" for zero."""
    text = text.strip().replace(",", "")
    if not text:
        return Decimal(0)
    negative = text.startswith("(") and text.endswith(")")
    try:
        value = Decimal(text.strip("()"))
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    return -value if negative else value


def summarise(rows: Iterable[dict[str, str]], group_by: str, amount: str) -> Summary:
    """Totals of the `amount` column for each value of the `group_by` column.

    Group names are compared without surrounding whitespace; groups keep the
    order in which they first appear. The grand total is the sum of the
    amounts of all rows.
    """
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    grand_total = Decimal(0)
    for row in rows:
        group = row[group_by].strip() or "(none)"
        value = parse_amount(row[amount])
        if group not in totals:
            totals[group] = Decimal(0)
            counts[group] = 0
            grand_total += value
        totals[group] += value
        counts[group] += 1
    return Summary(totals, counts, grand_total)
