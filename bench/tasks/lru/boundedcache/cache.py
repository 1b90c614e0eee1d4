"""Least-recently-used cache on top of an OrderedDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class CacheStats:
    """Counters of cache lookups and evictions."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0

    @property
    def hit_rate(self) -> float:
        """Share of lookups that were hits; 0.0 before any lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class LRUCache(Generic[K, V]):
    """Holds at most `capacity` entries, evicting the least recently used one.

    Both `get` and `put` count as a use of the key; `peek` does not.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.stats = CacheStats()
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: Any = None) -> V | Any:
        """The value for `key`, marking it most recently used, or `default`."""
        try:
            value = self._data[key]
        except KeyError:
            self.stats.misses += 1
            return default
        self.stats.hits += 1
        return value

    def peek(self, key: K, default: Any = None) -> V | Any:
        """The value for `key` without touching recency or statistics."""
        return self._data.get(key, default)

    def put(self, key: K, value: V) -> None:
        """Store `value`, evicting the least recently used entry when full."""
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)
            self.stats.evictions += 1

    def pop(self, key: K, default: Any = None) -> V | Any:
        """Remove `key` and return its value, or `default` if absent."""
        return self._data.pop(key, default)

    def clear(self) -> None:
        """Drop every entry; statistics are kept."""
        self._data.clear()

    def keys(self) -> list[K]:
        """Keys from least to most recently used."""
        return list(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys())
