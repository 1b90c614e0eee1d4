"""Warehouse stock records: load them, total them, and plan reorders."""

from stockroom.records import load_records
from stockroom.reorder import low_stock, needs_reorder, restock_plan, units_in_stock

__all__ = ["load_records", "low_stock", "needs_reorder", "restock_plan", "units_in_stock"]
