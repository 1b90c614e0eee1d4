"""Turn a URL path such as ``/docs/getting-started/install`` into a breadcrumb trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from urllib.parse import unquote


@dataclass(frozen=True)
class Crumb:
    """One link in the trail; the current page has ``href`` None."""

    label: str
    href: str | None


def split_path(path: str) -> list[str]:
    """Non-empty, percent-decoded segments of ``path``, ignoring any query or fragment."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return [unquote(segment) for segment in path.split("/") if segment]


def humanize(segment: str) -> str:
    """Readable label for a path segment: ``"getting-started"`` -> ``"Getting started"``."""
    words = segment.replace("_", " ").replace("-", " ").split()
    if not words:
        return segment
    text = " ".join(words)
    return text[0].upper() + text[1:]


def trail(
    path: str,
    home_label: str = "Home",
    titles: Mapping[str, str] | None = None,
) -> list[Crumb]:
    """Breadcrumbs for ``path``: home, then each ancestor section, then the page itself.

    Ancestors link to their own path (``/docs``, ``/docs/guide``); the last crumb
    is the current page and has no link.  ``titles`` maps a segment to a label
    that replaces its humanized form.
    """
    titles = titles or {}
    parts = split_path(path)
    crumbs = [Crumb(home_label, "/" if parts else None)]
    for depth, segment in enumerate(parts[1:], start=1):
        href = "/" + "/".join(parts[:depth])
        crumbs.append(Crumb(titles.get(segment, humanize(segment)), href))
    if parts:
        last = parts[-1]
        crumbs.append(Crumb(titles.get(last, humanize(last)), None))
    return crumbs


def render(crumbs: list[Crumb], separator: str = " / ") -> str:
    """HTML for a trail: links for ancestors, plain text for the current page."""
    pieces = []
    for crumb in crumbs:
        label = escape(crumb.label)
        if crumb.href is None:
            pieces.append(f'<span aria-current="page">{label}</span>')
        else:
            pieces.append(f'<a href="{escape(crumb.href)}">{label}</a>')
    return escape(separator).join(pieces)
