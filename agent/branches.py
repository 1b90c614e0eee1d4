"""Branches of a reply that changed nothing: the model's own second choices at its least certain tokens.

A small model asked to fix a function often copies it back unchanged, yet its doubt shows where the
bug is: scored token by token (`Engine.score`), the copied reply has places where another token came
close (`+` against `-` in `subtotal * (100 + self.discount_percent)`, `:` against `}` in
`f"{hours}:{rest}"`). A branch takes the reply up to such a place, puts the runner-up token there and
lets the model finish greedily, so it writes the rest of the edit consistently (a format spec after
the `:`, say). Only tokens of the code after the definition's name count: the fence, docstrings,
comments and changes of whitespace alone are no edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kog.engine.api import TokenScore

# Runner-ups further below the chosen token than this (in nats: e^-6 ~ 1/400) are not the model's doubt.
MAX_MARGIN = 6.0
FENCE = "```"
# Places count once the code has its definition's name and `(` (or a class's `:`): before, a change
# is no edit of that definition (`def` against `from`, the name itself).
HEADER = re.compile(r"\b(?:def|class)\s+\w+\s*[(:]")


@dataclass(frozen=True)
class Branch:
    begun: tuple[int, ...]  # the reply's token ids up to the place, then the runner-up
    text: str  # their text
    margin: float  # chosen minus runner-up log-probability: the smaller, the closer the call
    describe: str  # for the step log: "`}:{` -> `:` in line 4" (of the rewrite)


def branch_points(scores: Sequence[TokenScore], limit: int) -> list[Branch]:
    """Up to `limit` branches of a scored reply, closest calls first."""
    found: list[Branch] = []
    text = ""
    code_from: int | None = None  # where the first fenced block's code starts in `text`
    for i, score in enumerate(scores):
        before = text
        text += score.text
        if code_from is None:  # still in the prose or fence line before the code
            fence = text.find(FENCE)
            newline = text.find("\n", fence) if fence >= 0 else -1
            if newline >= 0:
                code_from = newline + 1
            continue
        code = before[code_from:]
        if FENCE in code or FENCE in score.text:
            break  # the block has ended
        if (
            not HEADER.search(code)
            or _in_docstring_or_comment(code)
            or '"""' in score.text
            or "'''" in score.text
        ):
            continue
        for alt in score.top:
            if alt.token == score.token or not _is_edit(score.text, alt.text):
                continue
            margin = score.logprob - alt.logprob
            if margin > MAX_MARGIN:
                continue
            line = code.count("\n") + 1
            describe = f"`{_shown(score.text)}` -> `{_shown(alt.text)}` in line {line}"
            begun = tuple(s.token for s in scores[:i]) + (alt.token,)
            found.append(Branch(begun, before + alt.text, margin, describe))
    found.sort(key=lambda b: b.margin)
    return found[:limit]


def _shown(token: str) -> str:
    return token.strip() or token.encode("unicode_escape").decode()


def _is_edit(chosen: str, alt: str) -> bool:
    """Whether putting `alt` where the reply has `chosen` changes code, not just layout or prose."""
    if not alt.strip() or alt.strip() == chosen.strip():
        return False
    if FENCE in alt or "<|" in alt or alt.lstrip().startswith("#"):
        return False
    return True


def _in_docstring_or_comment(code: str) -> bool:
    """Whether the code so far ends inside a triple-quoted string or a comment (a rough reading: it
    counts quotes, which is right for the short definitions an edit rewrites)."""
    if (code.count('"""') + code.count("'''")) % 2:
        return True
    line = code.rsplit("\n", 1)[-1]
    return line.lstrip().startswith("#")
