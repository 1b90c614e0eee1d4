"""Clean up user-entered tags before they are stored."""

from __future__ import annotations


def normalize_tags(raw: list[str]) -> list[str]:
    """Strip and lower-case tags, drop blanks and repeats, keep first-seen order."""
    seen: set[str] = set()
    result = []
    for tag in raw:
        cleaned = " ".join(tag.split()).lower()
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            result.append(cleaned)
    return result
