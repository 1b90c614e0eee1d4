"""Matching paths against glob patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from globmatch.translate import has_magic, translate


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The compiled expression for `pattern`, cached."""
    return re.compile(translate(pattern))


def normalise(path: str) -> str:
    """Forward slashes, and no leading "./"."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def match(path: str, pattern: str) -> bool:
    """True if the whole of `path` matches the glob `pattern`."""
    if not has_magic(pattern):
        return normalise(path) == normalise(pattern)
    return compile_glob(pattern).match(normalise(path)) is not None


def select(paths: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The paths that match at least one of `patterns`, in their original order."""
    compiled = [compile_glob(pattern) for pattern in patterns]
    return [path for path in paths if any(regex.match(normalise(path)) for regex in compiled)]


def exclude(paths: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The paths that match none of `patterns`."""
    compiled = [compile_glob(pattern) for pattern in patterns]
    return [path for path in paths if not any(regex.match(normalise(path)) for regex in compiled)]
