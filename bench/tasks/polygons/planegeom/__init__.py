"""Measurements of simple polygons in the plane."""

from planegeom.polygon import (
    Point,
    area,
    bounding_box,
    centroid,
    contains,
    is_clockwise,
    perimeter,
    signed_area,
)

__all__ = [
    "Point",
    "area",
    "bounding_box",
    "centroid",
    "contains",
    "is_clockwise",
    "perimeter",
    "signed_area",
]
