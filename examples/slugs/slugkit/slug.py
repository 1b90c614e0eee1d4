"""Slug building: fold accents to ASCII, keep letters and digits, join the words."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")


def ascii_fold(text: str) -> str:
    """Drop accents and any character without an ASCII equivalent ("Ångström" -> "Angstrom")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slugify(title: str, separator: str = "_", max_length: int = 60) -> str:
    """Turn `title` into a URL slug such as "hello-world".

    Words are lower-cased letters and digits joined by `separator`; words are
    dropped from the end until the slug fits in `max_length` characters.
    Raise ValueError when the title has no letters or digits at all.
    """
    words = _WORD.findall(ascii_fold(title).lower())
    if not words:
        raise ValueError(f"cannot make a slug from {title!r}")
    slug = separator.join(words)
    while len(slug) > max_length and len(words) > 1:
        words.pop()
        slug = separator.join(words)
    return slug[:max_length]


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug for `title` not in `taken`, numbered "-2", "-3", ... when needed."""
    base = slugify(title)
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug
