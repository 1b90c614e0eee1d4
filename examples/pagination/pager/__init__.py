"""Split sequences into numbered pages for list views and API responses."""

from pager.paging import Page, get_page, page_count, paginate

__all__ = ["Page", "get_page", "page_count", "paginate"]
