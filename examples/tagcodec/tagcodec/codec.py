"""Tags joined by commas; a comma or backslash inside a tag is preceded by a backslash.

So ["c,d", "x"] is stored as the text  c\\,d,x  and any list of tags survives a
round trip through `encode_tags` and `decode_tags`.
"""

from __future__ import annotations

SEPARATOR = ","
ESCAPE = "\\"


def encode_tags(tags: list[str]) -> str:
    """One string holding `tags`, with separators and escapes inside tags escaped."""
    for tag in tags:
        if not tag:
            raise ValueError("tags must not be empty")
    return SEPARATOR.join(tags)


def decode_tags(text: str) -> list[str]:
    """The tags of a string made by `encode_tags`; the empty string holds no tags."""
    if not text:
        return []
    return text.split(SEPARATOR)
