import pytest

from termbook import DuplicateTerm, Glossary


@pytest.fixture
def glossary():
    g = Glossary()
    g.add("Cache", "A store of recently used data kept for fast access.", see_also=("TTL", "Eviction"))
    g.add("API", "Application programming interface.")
    g.add("TTL", "Time to live: how long an item may stay in a cache.")
    g.add("idempotent", "Giving the same result when repeated; common in API design.")
    return g


def test_lookup_ignores_case_and_spacing(glossary):
    assert glossary.lookup("  ttl ").term == "TTL"
    assert glossary.lookup("unknown") is None


def test_duplicate_terms_are_rejected(glossary):
    with pytest.raises(DuplicateTerm):
        glossary.add("cache", "again")


def test_iteration_is_alphabetical(glossary):
    assert [entry.term for entry in glossary] == ["API", "Cache", "idempotent", "TTL"]


def test_search_lowercase_query(glossary):
    assert glossary.search("cache") == ["Cache", "TTL"]


def test_search_ignores_case_by_default(glossary):
    assert glossary.search("CACHE") == ["Cache", "TTL"]


def test_search_terms_only(glossary):
    assert glossary.search("Api", in_definitions=False) == ["API"]


def test_case_sensitive_search(glossary):
    assert glossary.search("API", case_sensitive=True) == ["API", "idempotent"]


def test_related_skips_undefined_terms(glossary):
    assert [entry.term for entry in glossary.related("cache")] == ["TTL"]
