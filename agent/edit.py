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


def _used_imports(imports: list[str], source: str) -> list[str]:
    """The reply's import lines that bind a name the new definition uses; star imports never count
    (a small model sometimes prefixes its answer with `from typing import *`)."""
    words = set(re.findall(r"[A-Za-z_]\w*", source))
    kept = []
    for line in imports:
        try:
            (node,) = ast.parse(line.strip()).body
        except (SyntaxError, ValueError):
            continue
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        names = [(a.asname or a.name).split(".")[0] for a in node.names]
        if "*" not in names and any(name in words for name in names):
            kept.append(line)
    return kept


def _add_imports(text: str, imports: list[str]) -> str:
    present = {line.strip() for line in text.splitlines()}
    missing = [i for i in imports if i.strip() not in present and not i.startswith("from __future__")]
    if not missing:
        return text
    try:
        body = ast.parse(text).body
    except SyntaxError:
        return text  # the validity check that follows rejects it
    last = [s.end_lineno or 0 for s in body if isinstance(s, ast.Import | ast.ImportFrom)]
    at = max(last, default=0)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:at]) + "".join(i + "\n" for i in missing) + "".join(lines[at:])


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


def rewrite_definition(text: str, defn: Definition, reply: str) -> tuple[str, str]:
    """(new file text, new definition) with defn replaced by the reply's version of it."""
    got = extract_definition(reply, defn.name, kind="class" if defn.kind == "class" else "function")
    start, old_source = definition_body(text, defn)
    source = keep_docstring(_dedent(old_source, defn.indent), got.source)
    new_source = _indent(source, defn.indent)
    imports = _used_imports(got.imports, source)
    return _add_imports(splice_text(text, start, defn.end_line, new_source), imports), source


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
