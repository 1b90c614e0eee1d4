"""Printing a summary as an aligned plain-text table."""

from __future__ import annotations

from decimal import Decimal

from reportgen.totals import Summary


def format_amount(value: Decimal) -> str:
    """Two decimals with thousands separators; negatives in parentheses like "(1,200.00)"."""
    text = f"{abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def render_report(summary: Summary, title: str, sort_by_total: bool = False) -> str:
    """A table of group, row count and total, with a TOTAL line at the bottom."""
    groups = list(summary.totals)
    if sort_by_total:
        groups.sort(key=lambda group: summary.totals[group], reverse=True)
    rows = [(group, str(summary.counts[group]), format_amount(summary.totals[group])) for group in groups]
    rows.append(("TOTAL", str(sum(summary.counts.values())), format_amount(summary.grand_total)))
    name_width = max(len(title), *(len(row[0]) for row in rows))
    amount_width = max(len(row[2]) for row in rows)
    lines = [title, "-" * (name_width + amount_width + 8)]
    for name, count, amount in rows:
        lines.append(f"{name:<{name_width}} {count:>5}  {amount:>{amount_width}}")
    return "\n".join(lines)
