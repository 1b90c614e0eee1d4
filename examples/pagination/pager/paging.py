"""Page arithmetic for list endpoints: page counts, single pages and all pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; `number` starts at 1."""

    number: int
    items: list[T]
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_count(total_items: int, per_page: int) -> int:
    """Number of pages needed to show `total_items`, `per_page` at a time.

    A partly filled last page still counts as a page; zero items need zero pages.
    """
    if per_page <= 0:
        raise ValueError(f"per_page must be positive, got {per_page}")
    if total_items <= 0:
        return 0
    return (total_items - 1) // per_page


def get_page(items: Sequence[T], number: int, per_page: int) -> Page[T]:
    """Return page `number` (1-based) of `items`.

    Page 1 of an empty sequence is an empty page; any other page past the end
    raises IndexError.
    """
    total = page_count(len(items), per_page)
    last = max(total, 1)
    if not 1 <= number <= last:
        raise IndexError(f"page {number} is out of range 1..{last}")
    start = (number - 1) * per_page
    return Page(number=number, items=list(items[start : start + per_page]), total_pages=total)


def paginate(items: Sequence[T], per_page: int) -> list[Page[T]]:
    """All pages of `items`, in order."""
    total = page_count(len(items), per_page)
    return [get_page(items, number, per_page) for number in range(1, total + 1)]
