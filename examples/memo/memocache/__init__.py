"""Memoize pure functions, with hit/miss statistics like functools.lru_cache."""

from memocache.memo import CacheInfo, make_key, memoized

__all__ = ["CacheInfo", "make_key", "memoized"]
