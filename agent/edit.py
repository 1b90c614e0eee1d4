"""Turning a model reply into a whole-file edit: splice a rewritten definition, or apply search/replace.

Nothing here writes to disk; an edit that does not parse is rejected before it can touch a file.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass

from kog.agent.errors import NoChange, ReplyRejected
from kog.agent.localize import Suspect
from kog.agent.parse_reply import apply_search_replace, extract_definition, search_replace_blocks
from kog.agent.reach import assigned_names
from kog.tools.codemap import Definition, is_valid_python
from kog.tools.files import splice_text

_HEADER = re.compile(r"^\s*(async\s+def|def|class)\b")


@dataclass(frozen=True)
class ProposedEdit:
    path: str
    label: str  # the qualname of the rewritten definition, or "<module>"
    old_text: str
    new_text: str
    code: str  # what the model proposed, as it goes into a retry prompt

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.old_text, self.new_text)


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def definition_body(text: str, defn: Definition) -> tuple[int, str]:
    """(first line, text) of a definition without its decorators, which edits leave alone."""
    lines = text.splitlines(keepends=True)[defn.start_line - 1 : defn.end_line]
    skip = next((i for i, line in enumerate(lines) if _HEADER.match(line)), 0)
    return defn.start_line + skip, "".join(lines[skip:])


def _dedent(source: str, indent: int) -> str:
    lines = source.splitlines(keepends=True)
    return "".join(
        line.lstrip(" \t") if not line.strip() else line[indent:] if line[:indent].isspace() else line
        for line in lines
    )


def _indent(source: str, indent: int) -> str:
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in source.splitlines(keepends=True))


def _names_used(source: str) -> set[str]:
    """The bare names the code reads (`functools` in `functools.wraps`, never `wraps`); every word
    when it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_]\w*", source))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _module_bindings(text: str) -> set[str]:
    """Names the module's top-level statements bind: imports, definitions, assignments."""
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return set()
    bound: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(stmt.name)
        else:
            bound |= assigned_names(stmt)
    return bound


def _needed_imports(imports: list[str], source: str, text: str) -> list[str]:
    """The reply's imports that the new definition needs: of each import line, the names the
    definition uses and the module does not bind yet (a small model re-imports what the file has,
    sometimes from elsewhere: `typing.Callable` over `collections.abc.Callable`). Star imports never
    count (a small model sometimes prefixes its answer with `from typing import *`)."""
    used, bound = _names_used(source), _module_bindings(text)
    kept = []
    for line in imports:
        try:
            (node,) = ast.parse(line.strip()).body
        except (SyntaxError, ValueError):
            continue
        if not isinstance(node, ast.Import | ast.ImportFrom) or any(a.name == "*" for a in node.names):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        names = []
        for alias in node.names:
            name = (alias.asname or alias.name).split(".")[0]
            if name in used and name not in bound:
                names.append(alias)
        if names:
            node.names = names
            kept.append(ast.unparse(node))
    return kept


def _add_imports(text: str, imports: list[str]) -> str:
    if not imports:
        return text
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return text  # the validity check that follows rejects it
    last = [s.end_lineno or 0 for s in body if isinstance(s, ast.Import | ast.ImportFrom)]
    at = max(last, default=0)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:at]) + "".join(i + "\n" for i in imports) + "".join(lines[at:])


def _docstring_lines(source: str) -> tuple[int, int] | None:
    """0-based [first, last] lines of the docstring of the one definition in source."""
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) or not node.body:
        return None
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.lineno - 1, (first.end_lineno or first.lineno) - 1
    return None


def keep_docstring(old: str, new: str) -> str:
    """The new definition with the old one's docstring: small models shorten or drop docstrings,
    and a fix should not rewrite documentation. Both are dedented definitions."""
    old_span = _docstring_lines(old)
    if old_span is None:
        return new
    old_lines = old.splitlines(keepends=True)
    docstring = old_lines[old_span[0] : old_span[1] + 1]
    new_lines = new.splitlines(keepends=True)
    new_span = _docstring_lines(new)
    if new_span is not None:
        merged = new_lines[: new_span[0]] + docstring + new_lines[new_span[1] + 1 :]
    else:
        try:
            body_start = ast.parse(new).body[0].body[0].lineno - 1  # type: ignore[attr-defined]
        except (SyntaxError, IndexError, AttributeError):
            return new
        body_indent = new_lines[body_start][
            : len(new_lines[body_start]) - len(new_lines[body_start].lstrip())
        ]
        if not docstring[0].startswith(body_indent) or docstring[0][len(body_indent)] in " \t":
            return new  # the rewrite is indented differently; leave it as it came
        merged = new_lines[:body_start] + docstring + new_lines[body_start:]
    return "".join(merged)


def _same_code(old: str, new: str) -> bool:
    """Whether two dedented definitions are the same program (layout, quotes and comments aside)."""
    try:
        return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    except SyntaxError:
        return False


def rewrite_definition(text: str, defn: Definition, reply: str) -> tuple[str, str]:
    """(new file text, new definition) with defn replaced by the reply's version of it.

    Raises NoChange when the new definition is the old one written differently and brings no import
    the file lacks: a test that fails on the old code fails on it too."""
    got = extract_definition(reply, defn.name, kind="class" if defn.kind == "class" else "function")
    start, old_source = definition_body(text, defn)
    old_code = _dedent(old_source, defn.indent)
    source = keep_docstring(old_code, got.source)
    new_source = _indent(source, defn.indent)
    spliced = splice_text(text, start, defn.end_line, new_source)
    new_text = _add_imports(spliced, _needed_imports(got.imports, source, text))
    if new_text == spliced and _same_code(old_code, source):
        raise NoChange()
    return new_text, source


def propose_edit(text: str, suspect: Suspect, reply: str) -> ProposedEdit:
    """The edit a reply asks for on the suspect, checked to change something and to parse."""
    if suspect.definition is not None:
        new_text, code = rewrite_definition(text, suspect.definition, reply)
        label = suspect.definition.qualname
    else:
        new_text = text
        for block in search_replace_blocks(reply):
            new_text = apply_search_replace(new_text, block)
        code, label = reply.strip(), "<module>"
    if new_text == text:
        raise NoChange()
    if not is_valid_python(new_text):
        raise ReplyRejected(f"with this edit {suspect.path} would not parse")
    return ProposedEdit(suspect.path, label, text, new_text, code)
