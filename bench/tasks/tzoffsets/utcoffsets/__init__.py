"""Fixed UTC offsets such as +05:30 or -08:00, and timestamps that carry them."""

from utcoffsets.offsets import MAX_OFFSET, format_offset, parse_offset
from utcoffsets.stamps import convert, format_timestamp, parse_timestamp

__all__ = ["MAX_OFFSET", "convert", "format_offset", "format_timestamp", "parse_offset", "parse_timestamp"]
