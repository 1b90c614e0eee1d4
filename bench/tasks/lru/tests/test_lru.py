import pytest

from boundedcache import LRUCache, lru_memoize


def filled(capacity, *keys):
    cache = LRUCache(capacity)
    for key in keys:
        cache.put(key, key.upper())
    return cache


def test_put_and_get():
    cache = filled(2, "a")
    assert cache.get("a") == "A"
    assert cache.get("b", "none") == "none"


def test_oldest_entry_is_evicted():
    cache = filled(2, "a", "b", "c")
    assert "a" not in cache
    assert cache.keys() == ["b", "c"]
    assert cache.stats.evictions == 1


def test_get_protects_an_entry_from_eviction():
    cache = filled(2, "a", "b")
    cache.get("a")
    cache.put("c", "C")
    assert "a" in cache
    assert "b" not in cache


def test_keys_follow_recent_use():
    cache = filled(3, "a", "b", "c")
    cache.get("b")
    cache.get("a")
    assert cache.keys() == ["c", "b", "a"]


def test_peek_leaves_order_alone():
    cache = filled(2, "a", "b")
    assert cache.peek("a") == "A"
    cache.put("c", "C")
    assert "a" not in cache
    assert cache.stats.hits == 0


def test_hit_rate():
    cache = filled(2, "a")
    cache.get("a")
    cache.get("a")
    cache.get("zzz")
    assert cache.stats.hit_rate == pytest.approx(2 / 3)


def test_memoize_calls_function_once_per_argument():
    calls = []

    @lru_memoize(capacity=4)
    def square(x):
        calls.append(x)
        return x * x

    assert [square(3), square(3), square(x=3), square(4)] == [9, 9, 9, 16]
    assert calls == [3, 3, 4]


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        LRUCache(0)
