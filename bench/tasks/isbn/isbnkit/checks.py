"""Check digits of ISBN-10 and ISBN-13 numbers."""

from __future__ import annotations


def isbn10_check_digit(digits: str) -> str:
    """The check character for the first nine digits of an ISBN-10.

    The digits are weighted 10, 9, ..., 2 from the left; the check value
    brings the weighted sum to a multiple of 11, and 10 is written "X".
    """
    if len(digits) != 9 or not digits.isdigit():
        raise ValueError(f"expected 9 digits, got {digits!r}")
    total = sum(weight * int(char) for weight, char in zip(range(10, 1, -1), digits))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check_digit(digits: str) -> str:
    """The check digit for the first twelve digits of an ISBN-13 (or any EAN-13).

    The digits are weighted 1, 3, 1, 3, ... starting with weight 1 on the
    leftmost digit; the check digit brings the weighted sum up to a multiple
    of 10.
    """
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError(f"expected 12 digits, got {digits!r}")
    total = 0
    for position, char in enumerate(digits, start=1):
        weight = 3 if position % 2 else 1
        total += weight * int(char)
    return str((10 - total % 10) % 10)
