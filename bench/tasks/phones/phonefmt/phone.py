"""Phone numbers of the North American Numbering Plan (US, Canada, ...).

A number is ten digits: a three-digit area code, a three-digit exchange and a
four-digit line number.  It may be written with the country code 1 in front.
"""

from __future__ import annotations

TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})


class InvalidNumber(ValueError):
    """The text is not a valid NANP phone number."""


def digits_only(text: str) -> str:
    """The digits of ``text``, with spaces, dots, dashes, brackets and a leading + removed.

    Any other character makes the number invalid.
    """
    allowed_punctuation = set(" .-()+")
    digits = []
    for char in text.strip():
        if char.isdigit():
            digits.append(char)
        elif char not in allowed_punctuation:
            raise InvalidNumber(f"unexpected character {char!r} in {text!r}")
    return "".join(digits)


def _check_ten_digits(digits: str, original: str) -> None:
    if len(digits) != 10:
        raise InvalidNumber(f"{original!r} does not have 10 digits")
    if digits[0] in "01" or digits[3] in "01":
        raise InvalidNumber(f"{original!r} has an invalid area code or exchange")


def format_national(number: str) -> str:
    """Format as ``(AAA) EEE-LLLL``.

    Accepts ten digits, or eleven starting with the country code 1, in any
    common punctuation.
    """
    digits = digits_only(number)
    if len(digits) == 11:
        if not digits.startswith("1"):
            raise InvalidNumber(f"{number!r} has an unknown country code")
        format_national(digits[1:])
    _check_ten_digits(digits, number)
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def to_e164(number: str) -> str:
    """The number in E.164 form, e.g. ``+14155550123``."""
    digits = digits_only(number)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    _check_ten_digits(digits, number)
    return "+1" + digits


def is_toll_free(number: str) -> bool:
    """Whether the number's area code is one of the toll-free codes (800, 888, ...)."""
    return to_e164(number)[2:5] in TOLL_FREE_AREA_CODES
