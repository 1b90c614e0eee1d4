"""Breadth-first searches over adjacency-list graphs."""

from __future__ import annotations

from collections import deque

from netpaths.graph import Graph


def shortest_path(graph: Graph, start: str, goal: str) -> list[str] | None:
    """A path from `start` to `goal` with the fewest hops, or None if there is none.

    The path includes both ends; a node's path to itself is just [start].
    Among equally short paths, the one through alphabetically earlier
    neighbours is returned.
    """
    if start not in graph or goal not in graph:
        raise KeyError(start if start not in graph else goal)
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.pop()
        if node == goal:
            path: list[str] = []
            step: str | None = node
            while step is not None:
                path.append(step)
                step = parents[step]
            return path[::-1]
        for neighbour in graph[node]:
            if neighbour not in parents:
                parents[neighbour] = node
                queue.append(neighbour)
    return None


def hop_count(graph: Graph, start: str, goal: str) -> int | None:
    """Number of edges on a shortest path, or None when `goal` is unreachable."""
    path = shortest_path(graph, start, goal)
    return None if path is None else len(path) - 1


def reachable(graph: Graph, start: str) -> set[str]:
    """Every node reachable from `start`, including `start` itself."""
    seen = {start}
    queue = deque([start])
    while queue:
        for neighbour in graph[queue.popleft()]:
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen


def components(graph: Graph) -> list[list[str]]:
    """Connected components, each sorted, ordered by their first node."""
    remaining = set(graph)
    result: list[list[str]] = []
    for node in sorted(graph):
        if node in remaining:
            group = reachable(graph, node)
            remaining -= group
            result.append(sorted(group))
    return result
