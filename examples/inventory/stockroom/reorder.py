"""Totals and reorder decisions over stock records (see stockroom.records)."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]


def units_in_stock(records: list[Record]) -> int:
    """Units on hand over all records."""
    return sum(record["qty"] for record in records)


def needs_reorder(record: Record) -> bool:
    """True when the quantity has fallen to the record's reorder level (0 when unset)."""
    return record["qty"] <= record.get("reoder_at", 0)


def low_stock(records: list[Record]) -> list[str]:
    """SKUs that need reordering, sorted."""
    return sorted(record["sku"] for record in records if needs_reorder(record))


def restock_plan(records: list[Record], target: int) -> dict[str, int]:
    """Units to order per SKU so that every low item reaches `target` units."""
    return {
        record["sku"]: target - record["qty"]
        for record in records
        if needs_reorder(record) and record["qty"] < target
    }
