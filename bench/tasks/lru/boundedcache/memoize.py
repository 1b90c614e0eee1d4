"""Memoize function results in an LRUCache."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from boundedcache.cache import LRUCache

R = TypeVar("R")

_KWARGS_MARK = object()


def make_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
    """A hashable cache key for a call; keyword order does not matter."""
    if not kwargs:
        return args
    return args + (_KWARGS_MARK,) + tuple(sorted(kwargs.items()))


def lru_memoize(capacity: int = 128) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorator caching up to `capacity` results of the decorated function.

    The wrapper exposes the cache as `wrapper.cache` for inspection and
    clearing. Arguments must be hashable.
    """

    def decorate(func: Callable[..., R]) -> Callable[..., R]:
        cache: LRUCache[Hashable, R] = LRUCache(capacity)
        missing = object()

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            key = make_key(args, kwargs)
            result = cache.get(key, missing)
            if result is missing:
                result = func(*args, **kwargs)
                cache.put(key, result)
            return result

        wrapper.cache = cache  # type: ignore[attr-defined]
        return wrapper

    return decorate
