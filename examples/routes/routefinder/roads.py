"""A two-way road network and Dijkstra's shortest paths over it."""

from __future__ import annotations

import heapq
from collections import defaultdict


class NoRouteError(LookupError):
    """No chain of roads connects the two towns."""


class RoadMap:
    """Towns joined by two-way roads with a length in km."""

    def __init__(self) -> None:
        self._roads: dict[str, dict[str, float]] = defaultdict(dict)

    def add_road(self, a: str, b: str, km: float) -> None:
        if km < 0:
            raise ValueError(f"road {a}-{b} has negative length {km}")
        self._roads[a][b] = km
        self._roads[b][a] = km

    def towns(self) -> set[str]:
        return set(self._roads)

    def neighbours(self, town: str) -> dict[str, float]:
        return dict(self._roads.get(town, {}))


def shortest_paths(roads: RoadMap, start: str) -> tuple[dict[str, float], dict[str, str]]:
    """Dijkstra from `start`: km to every reachable town, and each town's predecessor."""
    if start not in roads.towns():
        raise KeyError(f"unknown town {start!r}")
    dist = {start: 0.0}
    previous: dict[str, str] = {}
    queue = [(0.0, start)]
    while queue:
        km_so_far, town = heapq.heappop(queue)
        if km_so_far > dist[town]:
            continue
        for neighbour, km in roads.neighbours(town).items():
            candidate = dist[start] + km
            if candidate < dist.get(neighbour, float("inf")):
                dist[neighbour] = candidate
                previous[neighbour] = town
                heapq.heappush(queue, (candidate, neighbour))
    return dist, previous


def distance(roads: RoadMap, start: str, goal: str) -> float:
    """Length in km of the shortest route from `start` to `goal`."""
    dist, _ = shortest_paths(roads, start)
    if goal not in dist:
        raise NoRouteError(f"no route from {start} to {goal}")
    return dist[goal]


def route(roads: RoadMap, start: str, goal: str) -> list[str]:
    """Towns along the shortest route, `start` and `goal` included."""
    dist, previous = shortest_paths(roads, start)
    if goal not in dist:
        raise NoRouteError(f"no route from {start} to {goal}")
    path = [goal]
    while path[-1] != start:
        if len(path) > len(previous):
            raise RuntimeError(f"predecessors of {goal} loop without reaching {start}")
        path.append(previous[path[-1]])
    return path[::-1]
