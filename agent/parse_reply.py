"""Reading code out of a model's reply: fenced blocks, a named function, search/replace blocks.

Small models wrap code in prose, forget the closing fence, rename things or return several
definitions; everything here is forgiving about the wrapping and strict about the content.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from kog.agent.errors import ReplyRejected

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[ \t]*$", re.MULTILINE)
_CODE_START = re.compile(r"^[ \t]*(?:async\s+def|def|class|@|import|from)\b", re.MULTILINE)
_TRIM_LIMIT = 40  # trailing prose lines we are willing to cut off an unfenced reply


def code_blocks(reply: str) -> list[str]:
    """The fenced code blocks of a reply, in order; an unclosed last fence runs to the end."""
    fences = list(_FENCE.finditer(reply))
    blocks: list[str] = []
    i = 0
    while i < len(fences):
        start = fences[i].end() + 1
        if i + 1 < len(fences):
            blocks.append(reply[start : fences[i + 1].start()])
            i += 2
        else:
            blocks.append(reply[start:])
            i += 1
    return [b for b in blocks if b.strip()]


def _parse_trimming(code: str) -> ast.Module | None:
    """Parse code, cutting trailing lines (prose after an unfenced or truncated block) until it does."""
    lines = code.rstrip().splitlines()
    for cut in range(min(_TRIM_LIMIT, len(lines))):
        try:
            return ast.parse("\n".join(lines[: len(lines) - cut]))
        except SyntaxError:
            continue
    return None


def _candidate_sources(reply: str, name: str) -> list[str]:
    """Pieces of the reply that may hold the definition, most likely first, each dedented (models
    often return a method at its class indentation)."""
    blocks = code_blocks(reply)
    if not blocks:
        start = _CODE_START.search(reply)
        blocks = [reply[start.start() :]] if start else []
    header = re.compile(rf"^[ \t]*(async\s+def|def|class)\s+{re.escape(name)}\b", re.MULTILINE)
    named = [b for b in blocks if header.search(b)]
    sources = [textwrap.dedent(b) for b in named + [b for b in blocks if b not in named]]
    for block in named:  # the definition alone, cut from whatever surrounds it
        sources.append(textwrap.dedent(block[header.search(block).start() :]))  # type: ignore[union-attr]
    return sources


@dataclass(frozen=True)
class DefinitionReply:
    source: str  # the definition, dedented to column 0, without decorators
    imports: list[str]  # top-level import statements that came with it


def _dedent_def(lines: list[str]) -> str:
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in lines) + "\n"


def extract_definition(reply: str, name: str, kind: str = "function") -> DefinitionReply:
    """The function (or, with kind "class", the class) `name` in the reply; else ReplyRejected."""
    wanted = ast.ClassDef if kind == "class" else (ast.FunctionDef, ast.AsyncFunctionDef)
    sources = _candidate_sources(reply, name)
    if not sources:
        raise ReplyRejected("the reply holds no code")
    found_names: list[str] = []
    parsed = False
    for source in sources:
        module = _parse_trimming(source)
        if module is None:
            continue
        parsed = True
        lines = source.splitlines()
        for node in ast.walk(module):  # breadth first: the shallowest definition wins
            if not isinstance(node, wanted):
                continue
            if node.name != name:
                found_names.append(node.name)
                continue
            body = lines[node.lineno - 1 : node.end_lineno]
            imports = [
                ast.get_source_segment(source, stmt) or ""
                for stmt in module.body
                if isinstance(stmt, ast.Import | ast.ImportFrom)
            ]
            return DefinitionReply(source=_dedent_def(body), imports=[i for i in imports if i])
    if found_names:
        raise ReplyRejected(f"the reply defines {', '.join(found_names)} instead of {name}")
    if parsed:
        raise ReplyRejected(f"the reply defines no {kind} {name}")
    raise ReplyRejected("the code in the reply does not parse")


@dataclass(frozen=True)
class SearchReplace:
    search: str
    replace: str


_SEARCH_REPLACE = re.compile(
    r"^<{5,9} ?SEARCH[^\n]*\n(.*?)^={5,9}[ \t]*\n(.*?)^>{5,9} ?REPLACE[^\n]*$",
    re.MULTILINE | re.DOTALL,
)


def search_replace_blocks(reply: str) -> list[SearchReplace]:
    blocks = [SearchReplace(m.group(1), m.group(2)) for m in _SEARCH_REPLACE.finditer(reply)]
    if not blocks:
        raise ReplyRejected("the reply holds no SEARCH/REPLACE block")
    return blocks


def apply_search_replace(text: str, block: SearchReplace) -> str:
    """Replace the one place where block.search occurs; lines may differ in trailing whitespace."""
    if not block.search.strip():
        raise ReplyRejected("a SEARCH block is empty")
    if text.count(block.search) == 1:
        return text.replace(block.search, block.replace)
    lines = text.splitlines(keepends=True)
    wanted = [line.rstrip() for line in block.search.splitlines()]
    hits = [
        i
        for i in range(len(lines) - len(wanted) + 1)
        if [line.rstrip() for line in lines[i : i + len(wanted)]] == wanted
    ]
    if len(hits) != 1:
        where = "nowhere" if not hits else f"{len(hits)} times"
        raise ReplyRejected(f"the SEARCH text occurs {where} in the file")
    replacement = block.replace if block.replace.endswith("\n") or not block.replace else block.replace + "\n"
    i = hits[0]
    return "".join(lines[:i]) + replacement + "".join(lines[i + len(wanted) :])


def has_closed_block(text: str) -> bool:
    """True once a reply holds a complete fenced block: enough to stop generating an edit."""
    return len(_FENCE.findall(text)) >= 2


def has_search_replace(text: str) -> bool:
    return bool(_SEARCH_REPLACE.search(text))
