from memocache import CacheInfo, make_key, memoized


def test_repeated_call_is_a_hit():
    calls = []

    def shout(word):
        calls.append(word)
        return word.upper()

    loud = memoized(shout)
    assert [loud("hey"), loud("hey")] == ["HEY", "HEY"]
    assert calls == ["hey"]


def test_explicit_store_receives_results():
    store = {}
    square = memoized(lambda x: x * x, store)
    square(4)
    assert store == {(4,): 16}
    assert square.cache_info() == CacheInfo(hits=0, misses=1, size=1)


def test_keyword_order_does_not_matter():
    assert make_key((1,), {"b": 2, "a": 1}) == make_key((1,), {"a": 1, "b": 2})


def test_functions_do_not_share_results():
    double = memoized(lambda x: 2 * x)
    cube = memoized(lambda x: x**3)
    assert double(3) == 6
    assert cube(3) == 27


def test_new_wrapper_starts_empty():
    first = memoized(len)
    first("abc")
    second = memoized(len)
    assert second.cache_info() == CacheInfo(hits=0, misses=0, size=0)
