import math

import pytest

from planegeom import Point, area, bounding_box, centroid, contains, is_clockwise, perimeter

RECT = [Point(0, 0), Point(4, 0), Point(4, 3), Point(0, 3)]
TRIANGLE = [Point(0, 0), Point(3, 0), Point(0, 4)]
L_SHAPE = [Point(0, 0), Point(2, 0), Point(2, 1), Point(1, 1), Point(1, 2), Point(0, 2)]


def test_area_of_rectangle_and_triangle():
    assert area(RECT) == 12
    assert area(TRIANGLE) == 6


def test_area_ignores_vertex_order():
    clockwise = list(reversed(TRIANGLE))
    assert is_clockwise(clockwise)
    assert area(clockwise) == 6


def test_perimeter_of_rectangle():
    assert perimeter(RECT) == 14


def test_perimeter_of_right_triangle():
    assert perimeter(TRIANGLE) == pytest.approx(12)


def test_bounding_box_of_l_shape():
    assert bounding_box(L_SHAPE) == (Point(0, 0), Point(2, 2))


def test_centroid_of_l_shape():
    c = centroid(L_SHAPE)
    assert math.isclose(c.x, 5 / 6) and math.isclose(c.y, 5 / 6)


def test_point_containment():
    assert contains(L_SHAPE, Point(0.5, 1.5))
    assert not contains(L_SHAPE, Point(1.5, 1.5))
    assert not contains(RECT, Point(5, 1))


def test_two_points_are_not_a_polygon():
    with pytest.raises(ValueError):
        perimeter([Point(0, 0), Point(1, 1)])
