"""Summing CSV exports by a column and printing the totals as a text report."""

from reportgen.render import format_amount, render_report
from reportgen.totals import Summary, parse_amount, read_rows, summarise

__all__ = ["Summary", "format_amount", "parse_amount", "read_rows", "render_report", "summarise"]
