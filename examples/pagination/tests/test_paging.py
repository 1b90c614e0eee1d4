import pytest

from pager import get_page, page_count, paginate


def test_partial_last_page_is_counted():
    assert page_count(10, 3) == 4


def test_exact_multiple_fills_every_page():
    assert page_count(9, 3) == 3


def test_no_items_means_no_pages():
    assert page_count(0, 5) == 0


def test_page_size_must_be_positive():
    with pytest.raises(ValueError):
        page_count(10, 0)


def test_paginate_keeps_every_item():
    pages = paginate(list(range(1, 8)), 3)
    assert [page.items for page in pages] == [[1, 2, 3], [4, 5, 6], [7]]


def test_first_page_has_no_previous_page():
    page = get_page(list(range(10)), 1, 3)
    assert page.items == [0, 1, 2]
    assert not page.has_previous
    assert page.has_next
