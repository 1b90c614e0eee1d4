import pytest

from centsplit import AmountError, allocate, format_amount, parse_amount, split_evenly


def test_parse_whole_and_half_amounts():
    assert parse_amount("7") == 700
    assert parse_amount("12.5") == 1250


def test_parse_price_ending_in_99():
    assert parse_amount("19.99") == 1999


def test_parse_with_symbol_and_separators():
    assert parse_amount("$1,234.56") == 123456
    assert parse_amount("-$5") == -500


def test_too_many_decimals_are_rejected():
    with pytest.raises(AmountError):
        parse_amount("12.345")


def test_format_negative_amount():
    assert format_amount(-123456) == "-1,234.56"
    assert format_amount(5, symbol="$") == "$0.05"


def test_small_amount_round_trip():
    assert format_amount(parse_amount("0.29")) == "0.29"


def test_split_evenly_gives_leftover_to_first_shares():
    assert split_evenly(1000, 3) == [334, 333, 333]


def test_allocate_by_weight_keeps_every_cent():
    shares = allocate(100, [1, 1, 1])
    assert shares == [34, 33, 33]
    assert sum(allocate(1001, [50, 30, 20])) == 1001
