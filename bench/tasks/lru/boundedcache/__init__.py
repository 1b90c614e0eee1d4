"""A size-bounded least-recently-used cache and a memoizing decorator built on it."""

from boundedcache.cache import CacheStats, LRUCache
from boundedcache.memoize import lru_memoize, make_key

__all__ = ["CacheStats", "LRUCache", "lru_memoize", "make_key"]
