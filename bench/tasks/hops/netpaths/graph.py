"""Building undirected graphs from edge lists."""

from __future__ import annotations

from collections.abc import Iterable

Graph = dict[str, list[str]]


def parse_edges(text: str) -> list[tuple[str, str]]:
    """Edges from lines like "router-a switch-b"; blank lines and # comments are skipped."""
    edges: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"line {number}: expected two node names, got {raw!r}")
        edges.append((parts[0], parts[1]))
    return edges


def build_graph(edges: Iterable[tuple[str, str]], nodes: Iterable[str] = ()) -> Graph:
    """Adjacency lists of an undirected graph.

    Every edge is recorded in both directions, duplicate edges and self-loops
    are dropped, and neighbour lists are sorted so results are repeatable.
    `nodes` adds nodes that have no edges.
    """
    adjacency: dict[str, set[str]] = {node: set() for node in nodes}
    for left, right in edges:
        adjacency.setdefault(left, set())
        adjacency.setdefault(right, set())
        if left != right:
            adjacency[left].add(right)
            adjacency[right].add(left)
    return {node: sorted(neighbours) for node, neighbours in sorted(adjacency.items())}


def edge_count(graph: Graph) -> int:
    """Number of undirected edges; each is stored twice in the adjacency lists."""
    return sum(len(neighbours) for neighbours in graph.values()) // 2


def degrees(graph: Graph) -> dict[str, int]:
    """Number of neighbours of every node."""
    return {node: len(neighbours) for node, neighbours in graph.items()}
