import pytest

from slotbook import Slot, format_slot, free_slots, merge_slots, overlaps, parse_slot, total_busy


def slots(*texts):
    return [parse_slot(text) for text in texts]


def test_parse_and_format_round_trip():
    slot = parse_slot("9:05-10:30")
    assert slot == Slot(545, 630)
    assert format_slot(slot) == "09:05-10:30"


def test_back_to_back_slots_do_not_overlap():
    a, b, c = slots("09:00-10:00", "10:00-11:00", "10:30-12:00")
    assert not overlaps(a, b)
    assert overlaps(b, c)


def test_merge_overlapping_and_adjacent_slots():
    merged = merge_slots(slots("13:00-14:00", "09:00-10:00", "09:30-11:00", "11:00-11:30"))
    assert [format_slot(s) for s in merged] == ["09:00-11:30", "13:00-14:00"]


def test_merge_slot_inside_a_longer_one():
    merged = merge_slots(slots("09:00-12:00", "10:00-10:30"))
    assert [format_slot(s) for s in merged] == ["09:00-12:00"]


def test_busy_time_counts_shared_minutes_once():
    assert total_busy(slots("09:00-10:00", "09:30-10:30")) == 90
    assert total_busy(slots("08:00-12:00", "09:00-09:15")) == 240


def test_free_time_between_meetings():
    busy = slots("10:00-11:00", "12:00-13:00", "16:30-18:00")
    assert [format_slot(s) for s in free_slots(busy, min_minutes=30)] == [
        "09:00-10:00",
        "11:00-12:00",
        "13:00-16:30",
    ]


def test_free_time_around_an_all_morning_workshop():
    busy = slots("09:00-13:00", "10:00-11:00", "15:00-16:00")
    assert [format_slot(s) for s in free_slots(busy)] == ["13:00-15:00", "16:00-17:00"]


def test_invalid_slots_are_rejected():
    with pytest.raises(ValueError):
        parse_slot("11:00-10:00")
    with pytest.raises(ValueError):
        parse_slot("25:00-26:00")
