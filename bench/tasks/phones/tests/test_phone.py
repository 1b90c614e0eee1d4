import pytest

from phonefmt import InvalidNumber, digits_only, format_national, is_toll_free, to_e164


def test_digits_only_strips_punctuation():
    assert digits_only("+1 (415) 555-0123") == "14155550123"


def test_letters_are_rejected():
    with pytest.raises(InvalidNumber):
        digits_only("415-555-CALL")


def test_format_ten_digits():
    assert format_national("415.555.0123") == "(415) 555-0123"


def test_format_with_country_code():
    assert format_national("+1 415 555 0123") == "(415) 555-0123"


def test_format_rejects_other_country_codes():
    with pytest.raises(InvalidNumber):
        format_national("44 207 946 0958")


def test_e164():
    assert to_e164("(212) 555-0199") == "+12125550199"
    assert to_e164("1-212-555-0199") == "+12125550199"


def test_toll_free():
    assert is_toll_free("1 (800) 555-0100")
    assert not is_toll_free("212 555 0100")


def test_exchange_cannot_start_with_one():
    with pytest.raises(InvalidNumber):
        to_e164("415 155 0123")
