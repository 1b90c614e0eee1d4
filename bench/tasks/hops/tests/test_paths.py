import pytest

from netpaths import build_graph, components, hop_count, parse_edges, reachable, shortest_path

NETWORK = """
# core
gw-a core
gw-a edge-x
edge-x edge-y
edge-y core
edge-y db
core db
lab-1 lab-2   # isolated lab
"""


@pytest.fixture
def graph():
    return build_graph(parse_edges(NETWORK), nodes=["spare"])


def test_edges_are_undirected_and_sorted(graph):
    assert graph["core"] == ["db", "edge-y", "gw-a"]
    assert graph["spare"] == []


def test_path_along_a_chain():
    chain = build_graph([("a", "b"), ("b", "c"), ("c", "d")])
    assert shortest_path(chain, "a", "d") == ["a", "b", "c", "d"]


def test_shortest_path_takes_fewest_hops(graph):
    assert shortest_path(graph, "gw-a", "db") == ["gw-a", "core", "db"]


def test_hop_count(graph):
    assert hop_count(graph, "gw-a", "edge-y") == 2
    assert hop_count(graph, "gw-a", "db") == 2


def test_unreachable_and_trivial_paths(graph):
    assert shortest_path(graph, "gw-a", "lab-1") is None
    assert hop_count(graph, "spare", "spare") == 0


def test_components(graph):
    assert components(graph) == [
        ["core", "db", "edge-x", "edge-y", "gw-a"],
        ["lab-1", "lab-2"],
        ["spare"],
    ]


def test_reachable_includes_start(graph):
    assert reachable(graph, "lab-2") == {"lab-1", "lab-2"}


def test_bad_edge_line_is_reported():
    with pytest.raises(ValueError, match="line 2"):
        parse_edges("a b\na b c\n")
