"""Files and folders as a tree, with sizes and lookups computed recursively."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    """A file (with a size in bytes) or a folder (with children)."""

    name: str
    size: int = 0
    is_dir: bool = False
    children: list[Node] = field(default_factory=list)


def file(name: str, size: int) -> Node:
    if size < 0:
        raise ValueError(f"file {name!r} has negative size {size}")
    return Node(name, size=size)


def folder(name: str, *children: Node) -> Node:
    return Node(name, is_dir=True, children=list(children))


def total_size(node: Node) -> int:
    """Bytes under `node`: a file's own size, or everything inside a folder."""
    if not node.is_dir:
        return 0
    return sum(total_size(child) for child in node.children)


def count_files(node: Node) -> int:
    """Number of files under `node` (a file counts itself)."""
    if not node.is_dir:
        return 1
    return sum(count_files(child) for child in node.children)


def find(node: Node, path: str) -> Node:
    """The node at a slash-separated `path` below `node`; KeyError if absent."""
    current = node
    for part in filter(None, path.split("/")):
        matches = [child for child in current.children if child.name == part]
        if not matches:
            raise KeyError(f"{path!r}: no {part!r} in {current.name!r}")
        current = matches[0]
    return current


def largest(node: Node, n: int = 3) -> list[tuple[str, int]]:
    """The `n` biggest direct children of a folder as (name, bytes), biggest first."""
    sizes = [(child.name, total_size(child)) for child in node.children]
    return sorted(sizes, key=lambda item: (-item[1], item[0]))[:n]
