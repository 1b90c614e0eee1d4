"""Runs of equal items in any sequence."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from itertools import groupby


def encode_runs(items: Iterable[Hashable]) -> list[tuple[Hashable, int]]:
    """Consecutive equal items as (item, count) pairs: "aab" gives [("a", 2), ("b", 1)]."""
    return [(item, sum(1 for _ in group)) for item, group in groupby(items)]


def decode_runs(runs: Iterable[tuple[Hashable, int]]) -> list[Hashable]:
    """The items back from (item, count) pairs."""
    items: list[Hashable] = []
    for item, count in runs:
        if count < 1:
            raise ValueError(f"run of {item!r} has count {count}")
        items.extend([item] * count)
    return items


def longest_run(items: Sequence[Hashable]) -> tuple[Hashable, int] | None:
    """The item with the longest run and that run's length; the first wins ties."""
    best: tuple[Hashable, int] | None = None
    for item, count in encode_runs(items):
        if best is None or count > best[1]:
            best = (item, count)
    return best
