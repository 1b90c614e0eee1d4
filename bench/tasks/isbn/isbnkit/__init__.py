"""International Standard Book Numbers: cleaning, check digits, validation, conversion."""

from isbnkit.checks import isbn10_check_digit, isbn13_check_digit
from isbnkit.codes import clean, is_valid, to_isbn10, to_isbn13

__all__ = ["clean", "is_valid", "isbn10_check_digit", "isbn13_check_digit", "to_isbn10", "to_isbn13"]
