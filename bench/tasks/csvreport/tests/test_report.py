from decimal import Decimal

import pytest

from reportgen import format_amount, parse_amount, read_rows, render_report, summarise

EXPORT = """\
date, category, amount
2024-06-01, Groceries, 54.20
2024-06-02, Rent, "1,200.00"
2024-06-03, Groceries, 17.80
2024-06-05,  Transport , 2.75
2024-06-07, Groceries, (10.00)
2024-06-09, Transport, 2.75
2024-06-10, , 5.00
"""


def test_read_rows_strips_headers_and_values():
    rows = read_rows(EXPORT)
    assert rows[1] == {"date": "2024-06-02", "category": "Rent", "amount": "1,200.00"}
    assert len(rows) == 7


def test_parse_amounts():
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("(12.00)") == Decimal("-12.00")
    assert parse_amount("") == 0
    with pytest.raises(ValueError):
        parse_amount("ten")


def test_group_totals_and_counts():
    summary = summarise(read_rows(EXPORT), "category", "amount")
    assert summary.totals == {
        "Groceries": Decimal("62.00"),
        "Rent": Decimal("1200.00"),
        "Transport": Decimal("5.50"),
        "(none)": Decimal("5.00"),
    }
    assert summary.counts == {"Groceries": 3, "Rent": 1, "Transport": 2, "(none)": 1}


def test_grand_total_covers_every_row():
    summary = summarise(read_rows(EXPORT), "category", "amount")
    assert summary.grand_total == Decimal("1272.50")


def test_single_row_per_group():
    rows = [{"k": "a", "v": "1"}, {"k": "b", "v": "2"}]
    assert summarise(rows, "k", "v").grand_total == 3


def test_format_amounts():
    assert format_amount(Decimal("1234.5")) == "1,234.50"
    assert format_amount(Decimal("-1200")) == "(1,200.00)"


def test_render_report():
    summary = summarise(read_rows(EXPORT), "category", "amount")
    assert render_report(summary, "June", sort_by_total=True).splitlines() == [
        "June",
        "-" * 25,
        "Rent          1  1,200.00",
        "Groceries     3     62.00",
        "Transport     2      5.50",
        "(none)        1      5.00",
        "TOTAL         7  1,272.50",
    ]
