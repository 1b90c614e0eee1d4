"""A memoizing wrapper whose results live in a plain dict the caller may supply."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CacheInfo:
    hits: int
    misses: int
    size: int


def make_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
    """A hashable key that ignores the order keyword arguments were given in."""
    return args + tuple(sorted(kwargs.items()))


def memoized(func: Callable[..., Any], store: dict[Hashable, Any] = {}) -> Callable[..., Any]:
    """Wrap `func` so that calls with equal arguments reuse the first result.

    Pass `store` to keep the results in a dict of your own (for example to share
    them or to inspect them); without it the wrapped function has its own cache.
    The wrapper gains `cache_info()` and `cache_clear()`.
    """
    counts = {"hits": 0, "misses": 0}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = make_key(args, kwargs)
        if key in store:
            counts["hits"] += 1
            return store[key]
        counts["misses"] += 1
        result = func(*args, **kwargs)
        store[key] = result
        return result

    def cache_info() -> CacheInfo:
        return CacheInfo(counts["hits"], counts["misses"], len(store))

    def cache_clear() -> None:
        store.clear()
        counts.update(hits=0, misses=0)

    wrapper.cache_info = cache_info
    wrapper.cache_clear = cache_clear
    return wrapper
