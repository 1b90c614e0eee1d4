"""Well-known Python pitfalls spotted in a definition by its syntax tree alone (the checks linters
call B006 and F632), told to the model beside the code: a small model reads past a shared `{}`
default or an `is` against a literal, and one sentence naming it is often the whole diagnosis."""

from __future__ import annotations

import ast

_MUTABLE_CALLS = {"list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque"}


def _is_mutable(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in _MUTABLE_CALLS
    return False


def _mutable_defaults(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    return [
        f"`{fn.name}`'s parameter `{arg.arg}` defaults to `{ast.unparse(default)}`: Python builds that "
        f"object once, when the def runs, so every call that leaves out `{arg.arg}` shares the same one. "
        f"The usual fix: `{arg.arg}=None` in the signature, then `if {arg.arg} is None: "
        f"{arg.arg} = {ast.unparse(default)}` in the body."
        for arg, default in pairs
        if _is_mutable(default)
    ]


def _is_literal(node: ast.expr) -> bool:
    """A literal whose identity means nothing (None, True, False and ... are singletons)."""
    if isinstance(node, ast.Constant):
        return node.value not in (None, True, False, ...)
    return isinstance(node, ast.Tuple | ast.List)


def _identity_with_literals(tree: ast.AST) -> list[str]:
    notes = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if not isinstance(op, ast.Is | ast.IsNot):
                continue
            literal = left if _is_literal(left) else right if _is_literal(right) else None
            if literal is None:
                continue
            word, value_op = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
            notes.append(
                f"`{ast.unparse(node)}` uses `{word}`, which compares object identity, not value, "
                f"against the literal `{ast.unparse(literal)}`; `{value_op}` compares values."
            )
    return notes


def pitfalls(source: str) -> list[str]:
    """One sentence per pitfall in `source` (a dedented definition or module code); none when it
    does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    notes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            notes += _mutable_defaults(node)
    return notes + _identity_with_literals(tree)
