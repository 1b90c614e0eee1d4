"""Money amounts as integer cents: parsing, formatting and fair splitting."""

from centsplit.amounts import AmountError, format_amount, parse_amount
from centsplit.split import allocate, percent_of, split_evenly

__all__ = ["AmountError", "allocate", "format_amount", "parse_amount", "percent_of", "split_evenly"]
