"""Single-token variants of a suspect definition, tried when every edit the model wrote has failed.

Many bugs are one token wide, and a small model can see one and still not write its fix: an operator
or comparison the wrong way round, a constant off by one, the wrong end of a sequence. Each
variant changes one token of the definition (its header and body, never a string or comment) and is
judged like a model's edit: the target tests must pass and every test that passed before must
still pass. Variants nearest the lines the failing tests' tracebacks point at come first.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from dataclasses import dataclass

from kog.agent.edit import definition_body
from kog.tools.codemap import Definition, is_valid_python

# What each token may become. Arithmetic and comparisons both ways; one-sided pairs stay off (an
# `==` that becomes `is` changes meaning in ways tests rarely pin down).
SWAPS: dict[str, tuple[str, ...]] = {
    "+": ("-",),
    "-": ("+",),
    "*": ("//",),
    "//": ("/", "*"),
    "/": ("//",),
    "%": ("//",),
    "<": ("<=", ">"),
    "<=": ("<", ">="),
    ">": (">=", "<"),
    ">=": (">", "<="),
    "==": ("!=",),
    "!=": ("==",),
    "+=": ("-=",),
    "-=": ("+=",),
    "and": ("or",),
    "or": ("and",),
    "True": ("False",),
    "False": ("True",),
    "min": ("max",),
    "max": ("min",),
}


@dataclass(frozen=True)
class Variant:
    new_text: str  # the whole file with the one token changed
    line: int  # 1-based, in the file
    old: str
    new: str

    @property
    def describe(self) -> str:
        return f"`{self.old}` -> `{self.new}` on line {self.line}"


def _is_unary(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1]
    return (prev.type == tokenize.OP and prev.string not in (")", "]", "}")) or (
        prev.type == tokenize.NAME
        and keyword.iskeyword(prev.string)
        and prev.string not in ("True", "False", "None")
    )


def _token_options(tokens: list[tokenize.TokenInfo], i: int) -> list[tuple[int, str]]:
    """(index of the last token replaced, new text) for the variants starting at token i."""
    tok = tokens[i]

    def at(j: int) -> str:
        return tokens[j].string if 0 <= j < len(tokens) else ""

    options: list[tuple[int, str]] = []
    if tok.type == tokenize.NUMBER:
        try:
            value = int(tok.string, 0)
        except ValueError:
            return []  # floats and complex numbers: an off-by-one is an integer's
        options += [(i, str(v)) for v in (value + 1, value - 1) if v >= 0]
        if value == 0 and at(i - 1) == "[" and at(i + 1) == "]":
            options.append((i, "-1"))  # the other end of a sequence
    elif tok.string == "-" and _is_unary(tokens, i):
        if at(i + 1) == "1" and at(i - 1) == "[" and at(i + 2) == "]":
            options.append((i + 1, "0"))  # [-1] -> [0]
    elif tok.string == "pop" and at(i - 1) == "." and at(i + 1) == "(":
        if at(i + 2) == ")":
            options.append((i + 2, "pop(0)"))  # the other end of a list
        elif at(i + 2) == "0" and at(i + 3) == ")":
            options.append((i + 3, "pop()"))
    elif tok.type == tokenize.OP or (tok.type == tokenize.NAME and tok.string in SWAPS):
        if tok.string in ("min", "max") and (at(i - 1) == "." or at(i + 1) != "("):
            return []  # a method or variable of that name is someone else's
        options += [(i, new) for new in SWAPS.get(tok.string, ())]
    return options


def single_token_variants(text: str, defn: Definition, near: list[int]) -> list[Variant]:
    """Every single-token variant of `defn` in the file `text` that still parses, those on or nearest
    to the lines in `near` (1-based, e.g. where the failing tests' tracebacks pass) first."""
    start, body = definition_body(text, defn)
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    skip = (
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.COMMENT,
        tokenize.STRING,
    )
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(body).readline) if t.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return []
    found: list[Variant] = []
    for i, tok in enumerate(tokens):
        for last, new in _token_options(tokens, i):
            end = tokens[last]
            if tok.start[0] != end.end[0]:
                continue
            line = start + tok.start[0] - 1
            begin, stop = offsets[line - 1] + tok.start[1], offsets[line - 1] + end.end[1]
            new_text = text[:begin] + new + text[stop:]
            if new_text != text and is_valid_python(new_text):
                found.append(Variant(new_text, line, text[begin:stop], new))
    if near:
        found.sort(key=lambda v: min(abs(v.line - n) for n in near))  # stable: source order within a line
    return found
