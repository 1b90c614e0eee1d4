"""Area, perimeter, centroid and point containment for simple polygons.

A polygon is a sequence of at least three vertices in order; the edge from
the last vertex back to the first is implied and must not be repeated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


class Point(NamedTuple):
    x: float
    y: float


def _check(points: Sequence[Point]) -> None:
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 vertices, got {len(points)}")


def signed_area(points: Sequence[Point]) -> float:
    """Shoelace area: positive for counter-clockwise vertices, negative for clockwise."""
    _check(points)
    n = len(points)
    total = 0.0
    for i in range(n):
        j = (i + 1) % n
        total += points[i].x * points[j].y - points[j].x * points[i].y
    return total / 2


def area(points: Sequence[Point]) -> float:
    """Enclosed area, whatever the vertex order."""
    return abs(signed_area(points))


def is_clockwise(points: Sequence[Point]) -> bool:
    """True if the vertices run clockwise (with y pointing up)."""
    return signed_area(points) < 0


def perimeter(points: Sequence[Point]) -> float:
    """Total length of all edges, including the closing edge back to the start."""
    _check(points)
    total = 0.0
    for i in range(len(points) - 1):
        total += math.dist(points[i], points[i + 1])
    return total


def bounding_box(points: Sequence[Point]) -> tuple[Point, Point]:
    """The lower-left and upper-right corners of the smallest enclosing axis-aligned box."""
    _check(points)
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    return Point(min(xs), min(ys)), Point(max(xs), max(ys))


def centroid(points: Sequence[Point]) -> Point:
    """Centre of mass of the polygon's area (not the mean of its vertices)."""
    doubled = 2 * signed_area(points)
    if doubled == 0:
        raise ValueError("degenerate polygon has no centroid")
    n = len(points)
    cx = cy = 0.0
    for i in range(n):
        j = (i + 1) % n
        cross = points[i].x * points[j].y - points[j].x * points[i].y
        cx += (points[i].x + points[j].x) * cross
        cy += (points[i].y + points[j].y) * cross
    return Point(cx / (3 * doubled), cy / (3 * doubled))


def contains(points: Sequence[Point], target: Point) -> bool:
    """True if `target` lies strictly inside the polygon (even-odd ray casting).

    Points exactly on an edge may be reported either way.
    """
    _check(points)
    inside = False
    n = len(points)
    for i in range(n):
        a, b = points[i], points[(i + 1) % n]
        if (a.y > target.y) != (b.y > target.y):
            x_cross = a.x + (target.y - a.y) * (b.x - a.x) / (b.y - a.y)
            if target.x < x_cross:
                inside = not inside
    return inside
