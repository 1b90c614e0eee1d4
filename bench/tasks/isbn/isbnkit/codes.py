"""Cleaning, validating and converting ISBNs."""

from __future__ import annotations

from isbnkit.checks import isbn10_check_digit, isbn13_check_digit


def clean(text: str) -> str:
    """The ISBN without hyphens, spaces or an "ISBN" prefix, with a final x upper-cased."""
    text = text.strip()
    if text.upper().startswith("ISBN"):
        text = text[4:].lstrip(":").strip()
    return text.replace("-", "").replace(" ", "").upper()


def is_valid(text: str) -> bool:
    """True if `text` is an ISBN-10 or ISBN-13 whose check digit is right."""
    code = clean(text)
    if len(code) == 10:
        return code[:9].isdigit() and isbn10_check_digit(code[:9]) == code[9]
    if len(code) == 13:
        return code.isdigit() and code[:3] in ("978", "979") and isbn13_check_digit(code[:12]) == code[12]
    return False


def to_isbn13(text: str) -> str:
    """The ISBN-13 of a valid ISBN-10: prefix 978 and a new check digit."""
    code = clean(text)
    if len(code) != 10 or not is_valid(code):
        raise ValueError(f"not a valid ISBN-10: {text!r}")
    body = "978" + code[:9]
    return body + isbn13_check_digit(body)


def to_isbn10(text: str) -> str:
    """The ISBN-10 of a valid 978-prefixed ISBN-13 (979 numbers have none)."""
    code = clean(text)
    if len(code) != 13 or not is_valid(code):
        raise ValueError(f"not a valid ISBN-13: {text!r}")
    if not code.startswith("978"):
        raise ValueError(f"{text!r} has no ISBN-10 form")
    body = code[3:12]
    return body + isbn10_check_digit(body)
