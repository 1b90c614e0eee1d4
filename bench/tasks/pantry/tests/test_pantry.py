from datetime import date

import pytest

from pantrykit import Batch, Pantry, parse_batch

TODAY = date(2025, 3, 10)
STOCK = """\
milk, 2, 2025-03-08
eggs, 12, 2025-03-09
bread, 1, 2025-03-09
yoghurt, 4, 2025-03-10
milk, 1, 2025-03-14
rice, 3, 2026-01-31
"""


@pytest.fixture
def pantry():
    pantry = Pantry()
    for line in reversed(STOCK.splitlines()):
        pantry.add(parse_batch(line))
    return pantry


def test_parse_batch():
    assert parse_batch("Rice , 3, 2025-01-31") == Batch(date(2025, 1, 31), "rice", 3)
    with pytest.raises(ValueError):
        parse_batch("rice, three, 2025-01-31")


def test_batches_are_kept_in_expiry_order(pantry):
    assert [batch.name for batch in pantry.batches] == ["milk", "bread", "eggs", "yoghurt", "milk", "rice"]


def test_use_takes_the_oldest_first(pantry):
    pantry.use("milk", 2)
    assert [(b.name, b.quantity, b.expires.day) for b in pantry.batches if b.name == "milk"] == [("milk", 1, 14)]
    with pytest.raises(ValueError):
        pantry.use("rice", 4)


def test_expiring_soon(pantry):
    assert [batch.name for batch in pantry.expiring_within(4, TODAY)] == ["yoghurt", "milk"]


def test_discard_expired_removes_every_old_batch(pantry):
    discarded = pantry.discard_expired(TODAY)
    assert [batch.name for batch in discarded] == ["milk", "bread", "eggs"]
    assert [batch.name for batch in pantry.batches] == ["yoghurt", "milk", "rice"]


def test_waste_is_counted(pantry):
    pantry.discard_expired(TODAY)
    assert pantry.wasted == {"milk": 2, "eggs": 12, "bread": 1}
    assert pantry.on_hand("milk") == 1


def test_nothing_expired_yet(pantry):
    assert pantry.discard_expired(date(2025, 3, 1)) == []
    assert len(pantry.batches) == 6
