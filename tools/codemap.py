"""A map of the functions, methods and classes of a repository's Python files, built with tree-sitter.

Additions to the agreed API: Definition.signature (header text, for the repo map); find() returns a
list (a name can be defined in several places), best match first; parse_definitions(source, path)
maps one text without touching disk (to check a model's rewrite before splicing it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tree_sitter_python
from tree_sitter import Language, Node, Parser

from kog.tools.errors import ToolError
from kog.tools.files import RepoFiles

DefinitionKind = Literal["function", "method", "class"]

PYTHON = Language(tree_sitter_python.language())


@dataclass(frozen=True)
class Definition:
    """One def or class; lines are 1-based and inclusive, decorators included in the range.

    ``indent`` is the column (in characters) of the first line of the range, so a rewrite
    can be re-indented to fit. ``signature`` is the header up to its colon, on one line.
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
        self.files = RepoFiles(root)
        self.root = self.files.root
        self._by_path = {path: sorted(defs, key=_line_order) for path, defs in sorted(definitions.items())}

    @classmethod
    def build(cls, root: str | Path, files: list[str] | None = None) -> CodeMap:
        """Parse ``files`` (repository-relative; default: every Python file of the repository).

        Files that are not UTF-8 text are left out rather than failing the whole map.
        """
        repo = RepoFiles(root)
        definitions: dict[str, list[Definition]] = {}
        for rel in repo.python_files() if files is None else files:
            path = repo.relative(rel)
            try:
                text = repo.read(path)
            except ToolError:
                continue
            definitions[path] = parse_definitions(text, path)
        return cls(repo.root, definitions)

    @property
    def paths(self) -> list[str]:
        """The mapped files, repository-relative."""
        return list(self._by_path)

    def definitions(self, path: str | None = None) -> list[Definition]:
        """Every definition (of one file when ``path`` is given), in file then line order."""
        if path is not None:
            return list(self._by_path.get(self.files.relative(path), []))
        return [defn for defs in self._by_path.values() for defn in defs]

    def enclosing(self, path: str, line: int) -> Definition | None:
        """The innermost function or method containing ``line``, else the innermost class, else None."""
        containing = [d for d in self.definitions(path) if d.start_line <= line <= d.end_line]
        functions = [d for d in containing if d.kind != "class"]
        candidates = functions or containing
        if not candidates:
            return None
        return max(candidates, key=lambda d: (d.start_line, -d.end_line))

    def find(self, name_or_qualname: str, path: str | None = None) -> list[Definition]:
        """Definitions whose qualname or bare name equals the given one (qualname matches first)."""
        defs = self.definitions(path)
        exact = [d for d in defs if d.qualname == name_or_qualname]
        by_name = [d for d in defs if d.name == name_or_qualname and d not in exact]
        return exact + by_name

    def source(self, defn: Definition) -> str:
        """The current text of the definition's line range, read from disk."""
        lines = self.files.read(defn.path).splitlines(keepends=True)
        return "".join(lines[defn.start_line - 1 : defn.end_line])

    def repo_map(self, max_chars: int = 4000) -> str:
        """Per file, the signatures with their line ranges, indented by nesting; cut at max_chars.

        When everything does not fit, whole files are dropped from the end and counted on a last line.
        """
        blocks = [_file_block(path, defs) for path, defs in self._by_path.items() if defs]
        shown: list[str] = []
        used = 0
        for index, block in enumerate(blocks):
            left = len(blocks) - index - 1
            tail = _more_files(left) if left else ""
            if used + len(block) + len(tail) > max_chars:
                note = _more_files(len(blocks) - index)
                if used + len(note) <= max_chars:
                    shown.append(note)
                break
            shown.append(block)
            used += len(block)
        return "".join(shown)


def parse_definitions(source: str, path: str = "") -> list[Definition]:
    """The definitions of one Python text, in line order (recovered ones too, when it has errors)."""
    data = source.encode("utf-8")
    tree = Parser(PYTHON).parse(data)
    lines = source.splitlines()
    found: list[Definition] = []
    _collect(tree.root_node, data, lines, path, prefix="", in_class=False, found=found)
    return sorted(found, key=_line_order)


def parse_errors(source: str) -> list[int]:
    """1-based lines of tree-sitter ERROR/MISSING nodes and of compile() errors; empty when it parses."""
    tree = Parser(PYTHON).parse(source.encode("utf-8"))
    lines: set[int] = set()
    if tree.root_node.has_error:
        _error_lines(tree.root_node, lines)
    try:
        compile(source, "<source>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        lines.add(max(exc.lineno or 1, 1))
    except ValueError:
        lines.add(1)
    return sorted(lines)


def is_valid_python(source: str) -> bool:
    """True when ``source`` parses with both tree-sitter and compile()."""
    return not parse_errors(source)


def _collect(
    node: Node, data: bytes, lines: list[str], path: str, prefix: str, in_class: bool, found: list[Definition]
) -> None:
    for child in node.children:
        outer, inner = child, child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition") or child
        if inner.type not in ("function_definition", "class_definition"):
            _collect(child, data, lines, path, prefix, in_class, found)
            continue
        name_node = inner.child_by_field_name("name")
        if name_node is None or name_node.text is None:
            continue
        name = name_node.text.decode("utf-8")
        qualname = f"{prefix}{name}"
        is_class = inner.type == "class_definition"
        kind: DefinitionKind = "class" if is_class else ("method" if in_class else "function")
        start_line = outer.start_point.row + 1
        first_line = lines[start_line - 1] if start_line <= len(lines) else ""
        found.append(
            Definition(
                name=name,
                qualname=qualname,
                kind=kind,
                path=path,
                start_line=start_line,
                end_line=_end_line(outer),
                indent=len(first_line) - len(first_line.lstrip()),
                signature=_signature(inner, data),
            )
        )
        body = inner.child_by_field_name("body")
        if body is not None:
            _collect(body, data, lines, path, f"{qualname}.", is_class, found)


def _end_line(node: Node) -> int:
    row, column = node.end_point
    return row if column == 0 and row > node.start_point.row else row + 1


def _signature(node: Node, data: bytes) -> str:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    header = data[node.start_byte : end].decode("utf-8", errors="replace")
    return " ".join(header.split())


def _error_lines(node: Node, lines: set[int]) -> None:
    inner_errors = False
    for child in node.children:
        if child.has_error or child.is_missing:
            inner_errors = True
            _error_lines(child, lines)
    if node.is_missing or (node.is_error and not inner_errors):
        lines.add(node.start_point.row + 1)


def _file_block(path: str, defs: list[Definition]) -> str:
    out = [f"{path}\n"]
    for defn in defs:
        depth = defn.qualname.count(".") + 1
        span = f"{defn.start_line}-{defn.end_line}"
        out.append(f"{'  ' * depth}{defn.signature}  [{span}]\n")
    return "".join(out)


def _more_files(count: int) -> str:
    return f"... {count} more {'file' if count == 1 else 'files'}\n"


def _line_order(defn: Definition) -> tuple[int, int]:
    return (defn.start_line, -defn.end_line)
