import pytest

from isbnkit import clean, is_valid, isbn10_check_digit, isbn13_check_digit, to_isbn10, to_isbn13


def test_clean():
    assert clean("ISBN: 0-8044-2957-x") == "080442957X"
    assert clean(" 978 0 306 40615 7 ") == "9780306406157"


def test_isbn10_check_digits():
    assert isbn10_check_digit("030640615") == "2"
    assert isbn10_check_digit("080442957") == "X"
    with pytest.raises(ValueError):
        isbn10_check_digit("12345")


def test_isbn10_validation():
    assert is_valid("0-306-40615-2")
    assert is_valid("0-8044-2957-X")
    assert not is_valid("0-306-40615-3")


def test_isbn13_check_digits():
    assert isbn13_check_digit("978030640615") == "7"
    assert isbn13_check_digit("979100000001") == "5"


def test_isbn13_validation():
    assert is_valid("978-0-306-40615-7")
    assert is_valid("ISBN 978-1-86197-876-9")
    assert not is_valid("978-0-306-40615-8")
    assert not is_valid("123-0-306-40615-7")


def test_conversions():
    assert to_isbn13("0-306-40615-2") == "9780306406157"
    assert to_isbn10("978-0-8044-2957-3") == "080442957X"


def test_conversion_rejects_invalid_numbers():
    with pytest.raises(ValueError):
        to_isbn13("0-306-40615-3")
    with pytest.raises(ValueError):
        to_isbn10("9790000000001")


def test_other_lengths_are_invalid():
    assert not is_valid("12345")
    assert not is_valid("")
