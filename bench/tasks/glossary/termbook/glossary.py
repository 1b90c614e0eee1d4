"""Glossary storage, exact lookup and substring search."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


class DuplicateTerm(ValueError):
    """A term with the same (case-insensitive) spelling is already defined."""


@dataclass(frozen=True)
class Entry:
    term: str
    definition: str
    see_also: tuple[str, ...] = field(default=())


def _key(term: str) -> str:
    """Lookup key for a term: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(term.split()).casefold()


class Glossary:
    """Terms and their definitions, kept in alphabetical order."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        """Entries in alphabetical order of their terms, ignoring case."""
        for key in sorted(self._entries):
            yield self._entries[key]

    def add(self, term: str, definition: str, see_also: tuple[str, ...] = ()) -> Entry:
        """Define ``term``; raises DuplicateTerm if it is already defined."""
        key = _key(term)
        if not key:
            raise ValueError("term must not be blank")
        if key in self._entries:
            raise DuplicateTerm(f"{term!r} is already defined as {self._entries[key].term!r}")
        entry = Entry(" ".join(term.split()), definition.strip(), tuple(see_also))
        self._entries[key] = entry
        return entry

    def lookup(self, term: str) -> Entry | None:
        """The entry for ``term`` (case and spacing ignored), or None."""
        return self._entries.get(_key(term))

    def search(
        self,
        query: str,
        *,
        case_sensitive: bool = False,
        in_definitions: bool = True,
    ) -> list[str]:
        """Terms whose text contains ``query``, in alphabetical order.

        By default both the term and its definition are searched and case is
        ignored; ``case_sensitive=True`` matches case exactly.
        """
        needle = query.strip()
        if not needle:
            return []
        if case_sensitive:
            needle = needle.casefold()
        matches = []
        for entry in self:
            text = entry.term
            if in_definitions:
                text += "\n" + entry.definition
            if not case_sensitive:
                text = text.casefold()
            if needle in text:
                matches.append(entry.term)
        return matches

    def related(self, term: str) -> list[Entry]:
        """Defined entries listed in the ``see_also`` of ``term``'s entry."""
        entry = self.lookup(term)
        if entry is None:
            raise KeyError(term)
        found = (self.lookup(other) for other in entry.see_also)
        return [other for other in found if other is not None]
