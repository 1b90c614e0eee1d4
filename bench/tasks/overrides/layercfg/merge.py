"""Merging nested configuration dictionaries and addressing them by dotted paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a new dict with `override` merged over `base`.

    Values from `override` win, except that when both sides hold a mapping for
    the same key the two mappings are merged recursively. Neither argument is
    modified.
    """
    result = base
    for key, value in override.items():
        current = result.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = deep_merge(current, value)
        else:
            result[key] = value
    return result


def get_path(config: Mapping[str, Any], path: str, default: Any = _MISSING) -> Any:
    """Look up a dotted `path` such as "db.port" in nested mappings.

    Returns `default` when any part is missing; raises KeyError if no default
    was given.
    """
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            if default is _MISSING:
                raise KeyError(path)
            return default
        node = node[part]
    return node


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted `path` in `config` in place, creating nested dicts as needed."""
    parts = path.split(".")
    node = config
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _coerce(raw: str) -> Any:
    """Turn an environment string into a bool, int or float where it clearly is one."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def from_env(environ: Mapping[str, str], prefix: str, separator: str = "__") -> dict[str, Any]:
    """Nested settings from variables named like PREFIX__DB__PORT=5432.

    Names are lower-cased below the prefix and values are coerced with simple
    rules (true/false, integers, floats); other variables are ignored.
    """
    start = prefix + separator
    result: dict[str, Any] = {}
    for name, raw in sorted(environ.items()):
        if not name.startswith(start) or len(name) == len(start):
            continue
        path = ".".join(part.lower() for part in name[len(start) :].split(separator))
        set_path(result, path, _coerce(raw))
    return result
