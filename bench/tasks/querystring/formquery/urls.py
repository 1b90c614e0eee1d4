"""Reading and replacing query parameters of whole URLs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from formquery.codec import build_query, parse_query


def get_param(url: str, key: str, default: str | None = None) -> str | None:
    """The first value of `key` in the URL's query string, or `default`."""
    values = parse_query(urlsplit(url).query).get(key)
    return values[0] if values else default


def set_params(url: str, updates: Mapping[str, str | Iterable[str] | None]) -> str:
    """The URL with some query parameters replaced.

    A value of None removes the key; other keys are kept. The fragment is kept.
    """
    parts = urlsplit(url)
    params: dict[str, str | Iterable[str]] = dict(parse_query(parts.query))
    for key, value in updates.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlunsplit(parts._replace(query=build_query(params)))


def strip_params(url: str, prefixes: Iterable[str] = ("utm_",), keys: Iterable[str] = ()) -> str:
    """The URL without parameters named in `keys` or starting with one of `prefixes`.

    Used to drop tracking parameters such as utm_source before URLs are
    compared or stored.
    """
    prefixes = tuple(prefixes)
    removed = set(keys)
    parts = urlsplit(url)
    params = {
        key: values
        for key, values in parse_query(parts.query).items()
        if key not in removed and not key.startswith(prefixes)
    }
    return urlunsplit(parts._replace(query=build_query(params)))
