"""A map of the functions, methods and classes of a repository's Python files, built with tree-sitter.

Additions to the agreed API: Definition.signature (header text, for the repo map); find() returns a
list (a name can be defined in several places), best match first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DefinitionKind = Literal["function", "method", "class"]


@dataclass(frozen=True)
class Definition:
    """One def or class; lines are 1-based and inclusive, decorators included in the range.

    ``indent`` is the column (in characters) of the first line of the range, so a rewrite
    can be re-indented to fit. ``signature`` is the header line(s) up to the colon.
    """

    name: str
    qualname: str
    kind: DefinitionKind
    path: str
    start_line: int
    end_line: int
    indent: int
    signature: str = ""


class CodeMap:
    """Definitions of a set of files of one repository."""

    def __init__(self, root: str | Path, definitions: dict[str, list[Definition]]) -> None:
        raise NotImplementedError

    @classmethod
    def build(cls, root: str | Path, files: list[str] | None = None) -> CodeMap:
        """Parse ``files`` (repository-relative; default: every Python file of the repository)."""
        raise NotImplementedError

    def definitions(self, path: str | None = None) -> list[Definition]:
        """Every definition (of one file when ``path`` is given), in file then line order."""
        raise NotImplementedError

    def enclosing(self, path: str, line: int) -> Definition | None:
        """The innermost function or method containing ``line``, else the innermost class, else None."""
        raise NotImplementedError

    def find(self, name_or_qualname: str, path: str | None = None) -> list[Definition]:
        """Definitions whose qualname or bare name equals the given one (qualname matches first)."""
        raise NotImplementedError

    def source(self, defn: Definition) -> str:
        """The current text of the definition's line range, read from disk."""
        raise NotImplementedError

    def repo_map(self, max_chars: int = 4000) -> str:
        """Per file, the signatures with their line ranges, indented by nesting; cut at max_chars."""
        raise NotImplementedError


def parse_errors(source: str) -> list[int]:
    """1-based lines of tree-sitter ERROR/MISSING nodes and of compile() errors; empty when it parses."""
    raise NotImplementedError


def is_valid_python(source: str) -> bool:
    """True when ``source`` parses with both tree-sitter and compile()."""
    return not parse_errors(source)
