"""Form encoding of query components: spaces as "+", other bytes as %XX."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

_SAFE = "-._~"


def encode_component(text: str) -> str:
    """Form-encode one key or value: spaces become "+", reserved characters %XX (UTF-8)."""
    return quote(text, safe=_SAFE + " ").replace(" ", "+")


def decode_component(text: str) -> str:
    """Decode one form-encoded key or value.

    "+" stands for a space and %XX escapes are UTF-8 bytes, so "a+b%2B" is
    "a b+". Malformed escapes are left as they are.
    """
    return unquote(text).replace("+", " ")


def parse_query(query: str, keep_blank: bool = True) -> dict[str, list[str]]:
    """Values per key of a query string such as "a=1&b=2&a=3", in order of appearance.

    A leading "?" is ignored. Keys without "=" get an empty value; empty
    values are dropped when `keep_blank` is false.
    """
    result: dict[str, list[str]] = {}
    for pair in query.removeprefix("?").split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key, value = decode_component(raw_key), decode_component(raw_value)
        if value or keep_blank:
            result.setdefault(key, []).append(value)
    return result


def _pairs(params: Mapping[str, str | Iterable[str]]) -> Iterable[tuple[str, str]]:
    for key in sorted(params):
        value = params[key]
        if isinstance(value, str):
            yield key, value
        else:
            for item in value:
                yield key, item


def build_query(params: Mapping[str, str | Iterable[str]]) -> str:
    """A query string (without "?") from a mapping; list values repeat the key.

    Keys are sorted so equal mappings give equal strings.
    """
    return "&".join(f"{encode_component(k)}={encode_component(v)}" for k, v in _pairs(params))
