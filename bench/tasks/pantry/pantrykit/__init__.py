"""Tracking pantry stock by expiry date."""

from pantrykit.stock import Batch, Pantry, parse_batch

__all__ = ["Batch", "Pantry", "parse_batch"]
