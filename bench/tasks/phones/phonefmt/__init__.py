"""Normalise and format North American (NANP) phone numbers."""

from phonefmt.phone import InvalidNumber, digits_only, format_national, is_toll_free, to_e164

__all__ = ["InvalidNumber", "digits_only", "format_national", "is_toll_free", "to_e164"]
