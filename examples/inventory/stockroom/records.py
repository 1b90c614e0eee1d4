"""Stock records as plain dicts from JSON.

Each record has "sku", "name" and "qty" (units on hand), and optionally
"reorder_at": reorder once "qty" falls to that level or below.
"""

from __future__ import annotations

import json
from typing import Any

REQUIRED_KEYS = ("sku", "name", "qty")


def load_records(text: str) -> list[dict[str, Any]]:
    """Parse a JSON list of stock records; ValueError names the first bad record."""
    records = json.loads(text)
    if not isinstance(records, list):
        raise ValueError("stock file must hold a JSON list of records")
    for index, record in enumerate(records):
        missing = [key for key in REQUIRED_KEYS if key not in record]
        if missing:
            raise ValueError(f"record {index} lacks {', '.join(missing)}")
        if not isinstance(record["qty"], int) or record["qty"] < 0:
            raise ValueError(f"record {index} has invalid qty {record['qty']!r}")
    return records
