import pytest

from stockroom import load_records, low_stock, needs_reorder, restock_plan, units_in_stock

STOCK = """[
  {"sku": "A-1", "name": "bolts", "qty": 120, "reorder_at": 50},
  {"sku": "B-2", "name": "nuts", "qty": 30, "reorder_at": 50},
  {"sku": "C-3", "name": "washers", "qty": 0},
  {"sku": "D-4", "name": "rivets", "qty": 10}
]"""


def test_load_and_total():
    assert units_in_stock(load_records(STOCK)) == 160


def test_record_without_qty_is_rejected():
    with pytest.raises(ValueError, match="record 0 lacks qty"):
        load_records('[{"sku": "A-1", "name": "bolts"}]')


def test_empty_item_needs_reorder():
    assert needs_reorder({"sku": "C-3", "name": "washers", "qty": 0})


def test_item_below_its_reorder_level():
    assert needs_reorder({"sku": "B-2", "name": "nuts", "qty": 30, "reorder_at": 50})


def test_low_stock():
    assert low_stock(load_records(STOCK)) == ["B-2", "C-3"]


def test_restock_plan():
    assert restock_plan(load_records(STOCK), target=100) == {"B-2": 70, "C-3": 100}
