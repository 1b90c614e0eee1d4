"""Turning glob patterns into regular expressions."""

from __future__ import annotations

import re

MAGIC = re.compile(r"[*?[]")


def has_magic(pattern: str) -> bool:
    """True if `pattern` holds any wildcard, so that it is more than a literal path."""
    return MAGIC.search(pattern) is not None


def translate(pattern: str) -> str:
    """A regular expression that matches exactly the paths the glob `pattern` matches.

    "**/" matches any number of whole directories (none included), "**"
    anything at all, "*" any run of characters within one path segment, "?"
    one character other than "/", and "[...]" one character of a class
    ("[!...]" negates it). Every other character matches itself literally.
    """
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
            continue
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            parts.append(f"[{body}]")
            i = end + 1
            continue
        else:
            parts.append(char)
        i += 1
    return r"\A" + "".join(parts) + r"\Z"
