"""Variants of a suspect definition: edits made without the model.

Many bugs are one token wide, and a small model can see one and still not write its fix: an operator
or comparison the wrong way round, a constant off by one, the wrong end of a sequence, a container
indexed by the wrong variable (one the same container is indexed by elsewhere in the definition), an
`except` clause catching another built-in exception than the one raised, `break` for `continue`, a
method for its sibling (`append` / `extend`, `startswith` / `endswith`, `lstrip` / `rstrip`). Each
such variant changes one token of the definition (its header and body, never a string or comment).
Structural variants are the usual slips wider than a token: a condition the wrong way round, a
call's result dropped where it should be returned, a `return` inside the loop it should follow, two
arguments swapped, a slice cutting the wrong end, a split at every separator where one was meant,
text split at each newline character where its lines were meant (`splitlines()`), a running minimum
or maximum started from a constant rather than the first item, a heap's or sort key's order the
other way (`-job.priority`). The pitfall
variants fix a known trap: a function whose own return annotation allows None, handed an empty
collection, returns None for it (`if not items: return None`); a mutable default (`cache={}`, built
once and shared by every call) becomes None and a new container made in the call that gets none; a
loop that takes items out of what it walks walks a copy. Every variant is judged like a model's
edit: the target tests must pass and every test that passed before must still pass. Guards and defaults (the pitfall
variants, a few at most) are tried before the model's edits; the single-token and structural ones,
nearest the lines the failing tests' tracebacks point at first, after its greedy edits and before
its sampled ones.
"""

from __future__ import annotations

import ast
import copy
import io
import itertools
import keyword
import re
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
    "int": ("round",),  # truncation where rounding was meant, and back
    "round": ("int",),
    "break": ("continue",),  # a loop left where one item was to be skipped, and back
    "continue": ("break",),
}

CALLED = frozenset({"min", "max", "int", "round"})  # swapped only where called as the built-ins

# A method of these names may be the other one: a regular expression anchored at the start only,
# at both ends, or nowhere; a list grown by one item or by each of several; the other end of a
# string, or both ends; the other case.
METHOD_SWAPS: dict[str, tuple[str, ...]] = {
    "match": ("fullmatch", "search"),
    "fullmatch": ("match",),
    "search": ("match", "fullmatch"),
    "append": ("extend",),
    "extend": ("append",),
    "startswith": ("endswith",),
    "endswith": ("startswith",),
    "strip": ("lstrip", "rstrip"),
    "lstrip": ("rstrip", "strip"),
    "rstrip": ("lstrip", "strip"),
    "find": ("rfind",),
    "rfind": ("find",),
    "lower": ("upper",),
    "upper": ("lower",),
}

# Methods by which a loop's body takes items out of the container the loop walks.
_SHRINKING = frozenset({"remove", "pop", "discard", "popitem", "clear"})


# The exception an `except` clause names may be the wrong one of these.
EXCEPTIONS = (
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "LookupError",
    "AttributeError",
    "ZeroDivisionError",
    "OSError",
)


@dataclass(frozen=True)
class Variant:
    new_text: str  # the whole file with the one change
    line: int  # 1-based, in the file
    old: str  # the text replaced on that line ("" when only a statement is added)
    new: str
    added: str = ""  # a statement added before the function's first one, on one line
    note: str = ""  # what a structural change did, where old -> new would not say it

    @property
    def describe(self) -> str:
        if self.note:
            return f"{self.note} on line {self.line}"
        if not self.old:
            return f"`{self.added}` added on line {self.line}"
        changed = f"`{self.old}` -> `{self.new}` on line {self.line}"
        return f"{changed}, `{self.added}` added" if self.added else changed


# Parameter annotations a guard may test for emptiness (none at all counts too).
_COLLECTION = re.compile(
    r"^(typing\.|collections\.abc\.)?(list|dict|set|frozenset|tuple|str|bytes|Sequence|MutableSequence|"
    r"Iterable|Collection|Mapping|MutableMapping|List|Dict|Set|Tuple)\b"
)


def _function(text: str, defn: Definition) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == defn.name
            and defn.start_line <= node.lineno <= defn.end_line
        ),
        None,
    )


class _Prologue:
    """Where statements go in before a function's first one (after its docstring), and how its lines
    are indented and end."""

    def __init__(self, text: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        body = func.body[1:] if ast.get_docstring(func) is not None else func.body
        self.ok = bool(body) and body[0].lineno != func.lineno
        self.lines = text.splitlines(keepends=True)
        self.line = body[0].lineno if self.ok else func.lineno
        first = self.lines[self.line - 1]
        self.indent = first[: len(first) - len(first.lstrip())]
        header = self.lines[func.lineno - 1]
        self.step = self.indent[len(header) - len(header.lstrip()) :] or "    "
        self.newline = "\r\n" if first.endswith("\r\n") else "\n"

    def block(self, head: str, inner: str) -> str:
        """`head:` with `inner` under it, indented as the function's body."""
        return f"{self.indent}{head}:{self.newline}{self.indent}{self.step}{inner}{self.newline}"

    def insert(self, lines: list[str], block: str) -> str:
        return "".join(lines[: self.line - 1]) + block + "".join(lines[self.line - 1 :])


def _allows_none(annotation: ast.expr) -> bool:
    return re.search(r"\bNone\b|Optional\[", ast.unparse(annotation)) is not None


def _parameters(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    args = func.args
    return [a for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg not in ("self", "cls")]


def guard_variants(text: str, defn: Definition) -> list[Variant]:
    """`if not p: return None` before the first statement of function `defn`, one variant for each
    parameter that may be a collection, when the function's return annotation allows None."""
    func = _function(text, defn)
    if func is None or func.returns is None or not _allows_none(func.returns):
        return []
    at = _Prologue(text, func)
    if not at.ok:
        return []
    found = []
    for arg in _parameters(func):
        note = ast.unparse(arg.annotation) if arg.annotation is not None else ""
        if note and not _COLLECTION.match(note):
            continue
        new_text = at.insert(at.lines, at.block(f"if not {arg.arg}", "return None"))
        if is_valid_python(new_text):
            found.append(Variant(new_text, at.line, "", "", f"if not {arg.arg}: return None"))
    return found


def _replace(line: str, col: int, end_col: int, new: str) -> str:
    """line with its UTF-8 byte columns col..end_col (as ast counts them) replaced by new."""
    raw = line.encode()
    return raw[:col].decode() + new + raw[end_col:].decode()


def default_variants(text: str, defn: Definition) -> list[Variant]:
    """For each parameter of function `defn` whose default is a mutable container (`{}`, `[]`,
    `set()`, ...), built once and shared by every call: the default None and a new container made
    in the body when the caller gives none."""
    func = _function(text, defn)
    if func is None:
        return []
    at = _Prologue(text, func)
    if not at.ok:
        return []
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)) + [
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    found = []
    for arg, default in pairs:
        mutable = isinstance(default, (ast.Dict, ast.List, ast.Set)) or (
            isinstance(default, ast.Call)
            and isinstance(default.func, ast.Name)
            and default.func.id in ("dict", "list", "set")
        )
        if not mutable or default.lineno != default.end_lineno or default.end_col_offset is None:
            continue
        made = ast.get_source_segment(text, default)
        if made is None:
            continue
        lines = list(at.lines)
        row = default.lineno - 1
        line = _replace(lines[row], default.col_offset, default.end_col_offset, "None")
        note = arg.annotation
        if note is not None and note.end_lineno == default.lineno and note.end_col_offset is not None:
            if not _allows_none(note):
                line = _replace(line, note.end_col_offset, note.end_col_offset, " | None")
        lines[row] = line
        new_text = at.insert(lines, at.block(f"if {arg.arg} is None", f"{arg.arg} = {made}"))
        if is_valid_python(new_text):
            added = f"if {arg.arg} is None: {arg.arg} = {made}"
            found.append(Variant(new_text, default.lineno, f"= {made}", "= None", added))
    return found


def _is_unary(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1]
    return (prev.type == tokenize.OP and prev.string not in (")", "]", "}")) or (
        prev.type == tokenize.NAME
        and keyword.iskeyword(prev.string)
        and prev.string not in ("True", "False", "None")
    )


def _index_of(tokens: list[tokenize.TokenInfo], i: int) -> str | None:
    """The container a plain name at token i indexes (`c[name]`, `c.get(name, ...)`), if it does."""

    def at(j: int) -> tokenize.TokenInfo | None:
        return tokens[j] if 0 <= j < len(tokens) else None

    def plain(t: tokenize.TokenInfo | None) -> bool:
        return t is not None and t.type == tokenize.NAME and not keyword.iskeyword(t.string)

    before, after = at(i - 1), at(i + 1)
    if not plain(tokens[i]) or before is None or after is None:
        return None
    if before.string == "[" and after.string == "]" and plain(at(i - 2)):
        return tokens[i - 2].string
    get, dot, owner = at(i - 2), at(i - 3), at(i - 4)
    if before.string == "(" and after.string in (")", ",") and get is not None and get.string == "get":
        if dot is not None and dot.string == "." and plain(owner):
            return owner.string  # type: ignore[union-attr]
    return None


def _index_names(tokens: list[tokenize.TokenInfo]) -> dict[str, list[str]]:
    """For each container the definition indexes by plain names, those names in order of appearance."""
    names: dict[str, list[str]] = {}
    for i in range(len(tokens)):
        container = _index_of(tokens, i)
        if container is not None and tokens[i].string not in names.setdefault(container, []):
            names[container].append(tokens[i].string)
    return names


def _token_options(
    tokens: list[tokenize.TokenInfo], i: int, index_names: dict[str, list[str]]
) -> list[tuple[int, str]]:
    """(index of the last token replaced, new text) for the variants starting at token i."""
    tok = tokens[i]

    def at(j: int) -> str:
        return tokens[j].string if 0 <= j < len(tokens) else ""

    options: list[tuple[int, str]] = []
    container = _index_of(tokens, i)
    if container is not None:  # another key the same container is indexed by
        return [(i, name) for name in index_names[container] if name != tok.string]
    if tok.string in EXCEPTIONS and (at(i - 1) == "except" or (at(i - 1) == "(" and at(i - 2) == "except")):
        return [(i, other) for other in EXCEPTIONS if other != tok.string]  # the exception it catches
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
    elif tok.string in METHOD_SWAPS and at(i - 1) == "." and at(i + 1) == "(":
        options += [(i, new) for new in METHOD_SWAPS[tok.string]]
    elif tok.type == tokenize.OP or (tok.type == tokenize.NAME and tok.string in SWAPS):
        if tok.string in CALLED and (at(i - 1) == "." or at(i + 1) != "("):
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
    index_names = _index_names(tokens)
    for i, tok in enumerate(tokens):
        for last, new in _token_options(tokens, i, index_names):
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


def _segment(lines: list[str], node: ast.AST) -> str | None:
    """The source of a node that lies on one line, else None."""
    if node.lineno != node.end_lineno or node.end_col_offset is None:
        return None
    return lines[node.lineno - 1].encode()[node.col_offset : node.end_col_offset].decode()


def _rewritten(lines: list[str], row: int, col: int, end_col: int, new: str) -> str:
    """The file with line `row` (1-based) having its byte columns col..end_col replaced by new."""
    out = list(lines)
    out[row - 1] = _replace(out[row - 1], col, end_col, new)
    return "".join(out)


def _negations(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """An `if` / `elif` test or a conditional expression's, the other way: `not` added, or taken off
    where the test is a `not` (a `while` test stays: the other way round it often never ends, and
    each such variant would cost its test run's whole timeout)."""
    found = []
    for node in ast.walk(func):
        if not isinstance(node, (ast.If, ast.IfExp)):
            continue
        test, old = node.test, _segment(lines, node.test)
        if old is None:
            continue
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            new = _segment(lines, test.operand)
            if new is None:
                continue
            if isinstance(test.operand, (ast.BoolOp, ast.Compare, ast.IfExp, ast.NamedExpr)):
                new = f"({new})"
        elif (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq))
        ):
            continue  # the token variants turn == and != round
        elif isinstance(test, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            new = f"not {old}"
        else:
            new = f"not ({old})"
        text = _rewritten(lines, test.lineno, test.col_offset, test.end_col_offset or 0, new)
        found.append((test.lineno, text, old, new))
    return found


def _returns_a_value(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    annotated = func.returns is not None and ast.unparse(func.returns) != "None"
    return annotated or any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(func))


def _dropped_results(
    lines: list[str], func: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[tuple[int, str, str, str]]:
    """A call of a function (a plain name, or a method of self / cls) made as a statement, its result
    unused, returned instead: in a function that returns values."""
    if not _returns_a_value(func):
        return []
    found = []
    for node in ast.walk(func):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        callee = node.value.func
        plain = isinstance(callee, ast.Name) or (
            isinstance(callee, ast.Attribute)
            and isinstance(callee.value, ast.Name)
            and callee.value.id in ("self", "cls")
        )
        old = _segment(lines, node)
        if plain and old is not None:
            text = _rewritten(lines, node.lineno, node.col_offset, node.end_col_offset or 0, f"return {old}")
            found.append((node.lineno, text, old, f"return {old}"))
    return found


def _loop_returns(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """A `return` that ends a loop's body (so the loop stops after its first pass) moved out of the
    loop, to run after it."""
    found = []
    for loop in ast.walk(func):
        if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) or loop.orelse or len(loop.body) < 2:
            continue
        last = loop.body[-1]
        if not isinstance(last, ast.Return) or last.end_lineno is None:
            continue
        shift = last.col_offset - loop.col_offset
        span = lines[last.lineno - 1 : last.end_lineno]
        if shift <= 0 or any(line.strip() and not line[:shift].isspace() for line in span):
            continue
        out = list(lines)
        out[last.lineno - 1 : last.end_lineno] = [line[shift:] if line.strip() else line for line in span]
        found.append((last.lineno, "".join(out), span[0].strip(), "moved out of the loop"))
    return found


def _swapped_arguments(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """Two neighbouring positional arguments of a call (names or attributes) the other way round."""
    found = []
    for call in ast.walk(func):
        if not isinstance(call, ast.Call) or len(call.args) < 2:
            continue
        for first, second in itertools.pairwise(call.args):
            simple = all(isinstance(a, (ast.Name, ast.Attribute)) for a in (first, second))
            a, b = _segment(lines, first), _segment(lines, second)
            if not simple or a is None or b is None or a == b or first.lineno != second.lineno:
                continue
            raw = lines[first.lineno - 1].encode()
            between = raw[first.end_col_offset : second.col_offset].decode()
            new = f"{b}{between}{a}"
            text = _rewritten(lines, first.lineno, first.col_offset, second.end_col_offset or 0, new)
            found.append((first.lineno, text, f"{a}{between}{b}", new))
    return found


def _int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int(node.operand)
        return None if inner is None else -inner
    return None


def _slice_ends(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """A slice that drops n items from one end, dropping or keeping them at the other instead:
    `[n:]` -> `[:-n]` / `[:n]`, `[:-n]` -> `[n:]`, `[:n]` -> `[n:]`."""
    found = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Slice):
            continue
        cut, old = node.slice, _segment(lines, node.slice)
        if cut.step is not None or old is None:
            continue
        lower, upper = _int(cut.lower), _int(cut.upper)
        if cut.upper is None and lower is not None and lower > 0:
            options = [f":-{lower}", f":{lower}"]
        elif cut.lower is None and upper is not None and upper != 0:
            options = [f"{abs(upper)}:"]
        else:
            continue
        for new in options:
            text = _rewritten(lines, cut.lineno, cut.col_offset, cut.end_col_offset or 0, new)
            found.append((cut.lineno, text, f"[{old}]", f"[{new}]"))
    return found


def _splits(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """`s.split(sep)` / `s.rsplit(sep)` cutting at one separator only (`s.split(sep, 1)`); and
    `s.split("\\n")`, which keeps the `\\r` of Windows line ends and gives an empty last line after a
    final newline, as `s.splitlines()`."""
    found = []
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("split", "rsplit") or len(node.args) != 1 or node.keywords:
            continue
        old, owner = _segment(lines, node), _segment(lines, node.func.value)
        if old is None or owner is None or not old.endswith(")"):
            continue
        options = [f"{old[:-1]}, 1)"]
        sep = node.args[0]
        if node.func.attr == "split" and isinstance(sep, ast.Constant) and sep.value == "\n":
            options.append(f"{owner}.splitlines()")
        for new in options:
            text = _rewritten(lines, node.lineno, node.col_offset, node.end_col_offset or 0, new)
            found.append((node.lineno, text, old, new))
    return found


def _negated_keys(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """An ordering the other way for one of its keys: the first element of what goes into a heap
    (`heappush(h, (job.priority, n, job))`, so a max-heap where a min-heap was built), and each
    element of a `key=lambda` sort key, negated (`-job.priority`)."""
    keys: list[ast.expr] = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        name = (
            callee.attr
            if isinstance(callee, ast.Attribute)
            else callee.id
            if isinstance(callee, ast.Name)
            else ""
        )
        if name in ("heappush", "heappushpop", "heapreplace") and len(node.args) == 2:
            item = node.args[1]
            keys.append(item.elts[0] if isinstance(item, ast.Tuple) and item.elts else item)
        for given in node.keywords:
            if given.arg == "key" and isinstance(given.value, ast.Lambda):
                body = given.value.body
                keys.extend(body.elts if isinstance(body, ast.Tuple) else [body])
    found = []
    for key in keys:
        old = _segment(lines, key)
        if old is None or not isinstance(key, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            continue
        new = f"-{old}"
        text = _rewritten(lines, key.lineno, key.col_offset, key.end_col_offset or 0, new)
        found.append((key.lineno, text, old, new))
    return found


class _First(ast.NodeTransformer):
    """An expression of a loop's item as it reads for the first item (`r.celsius` -> `rs[0].celsius`)."""

    def __init__(self, item: str, sequence: ast.expr) -> None:
        self.item, self.sequence = item, sequence

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id != self.item:
            return node
        return ast.Subscript(value=self.sequence, slice=ast.Constant(0), ctx=ast.Load())


def _running_extremes(lines: list[str], func: ast.AST) -> list[tuple[int, str, str, str]]:
    """A running minimum or maximum that starts from a constant (`low = 0.0` before `for r in rs:` and
    `if r.celsius < low:`), which the items may never pass, starting from the first item instead
    (`low = rs[0].celsius`)."""
    found = []
    for block in ast.walk(func):
        body = getattr(block, "body", None)
        if not isinstance(body, list):
            continue
        for index, loop in enumerate(body):
            if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name)):
                continue
            if not isinstance(loop.iter, (ast.Name, ast.Attribute)):
                continue
            item = loop.target.id
            compared: dict[str, ast.expr] = {}  # accumulator -> the item's expression it is compared with
            for node in (n for stmt in loop.body for n in ast.walk(stmt)):
                if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
                    continue
                if not isinstance(node.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                    continue
                for acc, other in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
                    reads = {n.id for n in ast.walk(other) if isinstance(n, ast.Name)}
                    if isinstance(acc, ast.Name) and item in reads and acc.id not in reads:
                        compared.setdefault(acc.id, other)
            for start in body[:index]:
                if not (isinstance(start, ast.Assign) and isinstance(start.value, ast.Constant)):
                    continue
                if type(start.value.value) not in (int, float):
                    continue
                names = [t.id for t in start.targets if isinstance(t, ast.Name)]
                value, old = start.value, _segment(lines, start.value)
                starts = {
                    ast.unparse(_First(item, loop.iter).visit(copy.deepcopy(compared[n])))
                    for n in names
                    if n in compared
                }
                for new in sorted(starts - {old}):
                    if old is not None:
                        text = _rewritten(
                            lines, value.lineno, value.col_offset, value.end_col_offset or 0, new
                        )
                        found.append((value.lineno, text, old, new))
    return found


def _derived_names(
    lines: list[str], func: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[tuple[int, str, str, str]]:
    """A name read after a value was derived from it (`total = start.month - 1 + months`), the derived
    one read there instead (`months // 12` -> `total // 12`): the raw input used where the worked
    value was meant."""
    derived: list[tuple[int, str, set[str]]] = []  # (line, name assigned, names its value reads)
    for node in ast.walk(func):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                derived.append((node.end_lineno or node.lineno, targets[0].id, reads - {targets[0].id}))
    found, seen = [], set()
    for node in ast.walk(func):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        for line, name, reads in derived:
            if node.id in reads and node.lineno > line and (node.lineno, node.col_offset, name) not in seen:
                seen.add((node.lineno, node.col_offset, name))
                text = _rewritten(lines, node.lineno, node.col_offset, node.end_col_offset or 0, name)
                found.append((node.lineno, text, node.id, name))
    return found


def _aliases(
    lines: list[str], func: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[tuple[int, str, str, str]]:
    """A parameter bound to a local name (`result = base`), a copy bound instead (`base.copy()`), so
    changing the local leaves the caller's object alone."""
    params = {a.arg for a in _parameters(func)}
    found = []
    for node in ast.walk(func):
        if not (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in params and value.lineno == value.end_lineno:
            new = f"{value.id}.copy()"
            text = _rewritten(lines, value.lineno, value.col_offset, value.end_col_offset or 0, new)
            found.append((value.lineno, text, value.id, new))
    return found


STRUCTURAL = (
    _negations,
    _dropped_results,
    _loop_returns,
    _swapped_arguments,
    _slice_ends,
    _splits,
    _negated_keys,
    _running_extremes,
    _derived_names,
    _aliases,
)


def structural_variants(text: str, defn: Definition) -> list[Variant]:
    """Variants of function `defn` wider than a token, each one of the usual slips: a condition the
    wrong way round, a call's result dropped where it should be returned, a `return` inside the loop
    it should follow, two arguments swapped, a slice that cuts the wrong end, a split at every
    separator where one was meant, lines split at "\\n", a heap's or sort key's order the other way, a
    running minimum or maximum started from a constant, a raw input read where a value derived from
    it was meant, a parameter changed in place where a copy was meant."""
    func = _function(text, defn)
    if func is None:
        return []
    lines = text.splitlines(keepends=True)
    found = []
    for make in STRUCTURAL:
        for line, new_text, old, new in make(lines, func):
            if new_text != text and is_valid_python(new_text):
                note = f"`{old}` {new}" if make is _loop_returns else ""
                found.append(Variant(new_text, line, old, new, note=note))
    return found


def edit_variants(text: str, defn: Definition, near: list[int]) -> list[Variant]:
    """The single-token and structural variants of `defn`, those on or nearest the lines in `near`
    first (the token ones first within a line)."""
    found, seen = [], {text}
    for variant in single_token_variants(text, defn, []) + structural_variants(text, defn):
        if variant.new_text not in seen:
            seen.add(variant.new_text)
            found.append(variant)
    if near:
        found.sort(key=lambda v: min(abs(v.line - n) for n in near))
    return found


def _walked(loop: ast.For | ast.AsyncFor) -> ast.expr | None:
    """The container a `for` loop walks, where it is a name or attribute (`items`, `self.items`), or
    its keys, values or items (`d.items()`)."""
    walked = loop.iter
    if isinstance(walked, ast.Call) and not walked.args and not walked.keywords:
        if isinstance(walked.func, ast.Attribute) and walked.func.attr in ("keys", "values", "items"):
            walked = walked.func.value
    return walked if isinstance(walked, (ast.Name, ast.Attribute)) else None


def copy_loop_variants(text: str, defn: Definition) -> list[Variant]:
    """A `for` loop whose body takes items out of the container it walks (`.remove`, `.pop`, `del
    c[k]`, ...), which skips the items after each one taken (a list) or raises (a dict or set),
    walking a copy instead: `for x in list(items):`."""
    func = _function(text, defn)
    if func is None:
        return []
    lines = text.splitlines(keepends=True)
    found = []
    for loop in ast.walk(func):
        if not isinstance(loop, (ast.For, ast.AsyncFor)) or (walked := _walked(loop)) is None:
            continue
        name = ast.unparse(walked)
        inner = [node for stmt in loop.body for node in ast.walk(stmt)]
        shrinks = any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _SHRINKING
            and ast.unparse(node.func.value) == name
            for node in inner
        ) or any(
            isinstance(node, ast.Delete)
            and any(isinstance(t, ast.Subscript) and ast.unparse(t.value) == name for t in node.targets)
            for node in inner
        )
        old = _segment(lines, loop.iter)
        if not shrinks or old is None:
            continue
        new = f"list({old})"
        new_text = _rewritten(
            lines, loop.iter.lineno, loop.iter.col_offset, loop.iter.end_col_offset or 0, new
        )
        if is_valid_python(new_text):
            found.append(Variant(new_text, loop.iter.lineno, old, new))
    return found


def pitfall_variants(text: str, defn: Definition) -> list[Variant]:
    """A suspect's guards, mutable defaults made per call and loops over a copy of what they shrink:
    few, each a known pitfall's usual fix, so the loop tries them before the model's edits (a test run
    each, no tokens)."""
    return guard_variants(text, defn) + default_variants(text, defn) + copy_loop_variants(text, defn)


def suspect_variants(text: str, defn: Definition, near: list[int]) -> list[Variant]:
    """Every variant of a suspect: its pitfall variants, then its single-token and structural variants
    nearest `near` first (tried once the model's greedy edits have failed)."""
    return pitfall_variants(text, defn) + edit_variants(text, defn, near)
