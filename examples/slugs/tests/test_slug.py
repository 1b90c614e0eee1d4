import pytest

from slugkit import ascii_fold, slugify, unique_slug


def test_title_becomes_slug():
    assert slugify("Hello, World!") == "hello-world"


def test_accents_are_folded():
    assert slugify("Crème Brûlée") == "creme-brulee"


def test_custom_separator():
    assert slugify("Release notes 2.0", separator=".") == "release.notes.2.0"


def test_title_without_words_is_rejected():
    with pytest.raises(ValueError):
        slugify("!!!")


def test_ascii_fold():
    assert ascii_fold("Ångström") == "Angstrom"


def test_taken_slug_is_numbered():
    assert unique_slug("Hello World", {"hello-world", "hello-world-2"}) == "hello-world-3"
