import pytest

from routefinder import NoRouteError, RoadMap, distance, route


@pytest.fixture
def roads():
    roads = RoadMap()
    roads.add_road("Arles", "Beaucaire", 5)
    roads.add_road("Beaucaire", "Nimes", 30)
    roads.add_road("Arles", "Cavaillon", 18)
    roads.add_road("Cavaillon", "Nimes", 22)
    roads.add_road("Uzes", "Bagnols", 30)
    return roads


def test_direct_road(roads):
    assert distance(roads, "Arles", "Beaucaire") == 5


def test_distance_adds_up_along_the_route(roads):
    assert distance(roads, "Arles", "Nimes") == 35


def test_route_takes_the_shorter_way(roads):
    assert route(roads, "Arles", "Nimes") == ["Arles", "Beaucaire", "Nimes"]


def test_unconnected_towns_have_no_route(roads):
    with pytest.raises(NoRouteError):
        distance(roads, "Arles", "Uzes")


def test_negative_road_is_rejected():
    with pytest.raises(ValueError):
        RoadMap().add_road("A", "B", -1)
